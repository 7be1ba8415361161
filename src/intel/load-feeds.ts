// `intel load` without the CLI: reads feed files, tells their format, parses them all before
// anything is written (an unreadable or unrecognisable file fails the whole load), then saves
// each under its source, reporting rejected lines by file and line.

import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { fileError } from '../collect/line-reader.js';
import { VantageError } from '../core/errors.js';
import { detectFeed, FEED_PARSERS } from './detect-feed.js';
import type { FeedParseResult } from './feed-parser.js';
import type { FeedKind, IndicatorKind } from './indicator.js';
import type { IndicatorRepository, SaveSummary } from './indicator-repository.js';

/** How to load. */
export interface LoadOptions {
  /** The feed format, or undefined to tell it from each file. */
  readonly feed?: FeedKind;
  /** Load as allow-list entries. */
  readonly kind?: IndicatorKind;
  /** Source name for a single file (overrides the parser's). */
  readonly source?: string;
  readonly family?: string;
  readonly confidence?: number;
  /** Stop at the first rejected entry. */
  readonly strict?: boolean;
  /** Accept a file with no indicators (which expires everything its source had). */
  readonly allowEmpty?: boolean;
  /** Rejected entries printed per file before the rest are only counted. */
  readonly maxMessages?: number;
  /** Load time (tests pin it). */
  readonly now?: number;
}

/** Where messages go. */
export interface LoadIo {
  readonly stderr: { write(text: string): unknown };
}

/** One file's outcome: what was saved, and the rejected entries. */
export interface FileLoadSummary extends SaveSummary {
  readonly problems: FeedParseResult['problems'];
}

/** Reads a file as text (gzip told by its magic bytes). */
async function readText(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw fileError(file, err);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) bytes = gunzipSync(bytes);
  if (bytes.subarray(0, 4096).includes(0)) throw new VantageError('IMPORT_FORMAT', 'binary data, not a feed file', { file });
  return bytes.toString('utf8').replace(/^\uFEFF/, '');
}

/** Parses one file into indicators; throws only for files that cannot be read as a feed at all. */
export async function parseFeedFile(file: string, options: LoadOptions = {}): Promise<FeedParseResult> {
  const text = await readText(file);
  const feed = options.feed ?? detectFeed(file, text);
  const result = FEED_PARSERS[feed].parse({ file, text, kind: options.kind ?? 'threat', source: options.source, family: options.family, confidence: options.confidence });
  const fatal = result.indicators.length === 0 && result.problems.find((p) => p.message.startsWith('invalid JSON'));
  if (fatal) throw new VantageError('IMPORT_FORMAT', `${fatal.message} (read as ${feed}; --feed picks another)`, { file, line: fatal.line });
  if (result.indicators.length === 0 && result.entries > 0 && result.problems.length === result.entries && !result.problems.every((p) => p.code === 'INTEL_UNSUPPORTED')) {
    throw new VantageError('IMPORT_FORMAT', `none of ${result.entries} entries could be read as ${feed} (first: line ${result.problems[0]!.line}: ${result.problems[0]!.message}); --feed picks another format`, { file });
  }
  if (options.strict && result.problems.length > 0) {
    const p = result.problems[0]!;
    throw new VantageError('IMPORT_RECORD', `${p.message} [${p.code}]`, { file, line: p.line });
  }
  return result;
}

/**
 * Loads feed files: all are read and parsed first, then saved one by one. Prints rejected
 * entries (`FILE:LINE: message [CODE]`, at most `maxMessages` per file) and one summary line per
 * file to `io.stderr`.
 */
export async function loadFeeds(repository: IndicatorRepository, files: readonly string[], options: LoadOptions, io: LoadIo): Promise<FileLoadSummary[]> {
  if (options.source && files.length > 1) throw new VantageError('USAGE', '--source names one feed: give one file with it');
  const parsed: FeedParseResult[] = [];
  for (const file of files) parsed.push(await parseFeedFile(file, options));
  // A feed with nothing to load would expire its whole source: refused when the source has
  // entries (a truncated download looks like this), skipped with a notice when it has none.
  const skip = new Set<number>();
  for (let k = 0; k < parsed.length; k++) {
    const result = parsed[k]!;
    if (result.indicators.length > 0 || options.allowEmpty) continue;
    const active = await repository.activeCount(result.source);
    if (active > 0) {
      throw new VantageError('IMPORT_FORMAT', `no indicators found (read as ${result.feed}); loading it would expire all ${active} entries of ${result.source}: give --allow-empty to do that`, { file: files[k] });
    }
    skip.add(k);
  }
  const maxMessages = options.maxMessages ?? 20;
  const out: FileLoadSummary[] = [];
  let now = options.now ?? Date.now();
  for (let k = 0; k < parsed.length; k++) {
    const result = parsed[k]!;
    const file = files[k]!;
    for (const p of result.problems.slice(0, maxMessages)) io.stderr.write(`${file}:${p.line}: ${p.message} [${p.code}]\n`);
    if (result.problems.length > maxMessages) io.stderr.write(`${file}: ${result.problems.length - maxMessages} more rejected entries not shown\n`);
    if (skip.has(k)) {
      io.stderr.write(`nothing to load from ${file} (read as ${result.feed}: ${result.entries} entries, ${result.problems.length} reported)\n`);
      continue;
    }
    const saved = await repository.save(result, now++);
    io.stderr.write(
      `loaded ${saved.active} indicators from ${file} as ${saved.source} (${result.feed}): ${saved.added} new, ${saved.updated} updated, ${saved.expired} expired, ${saved.rejected} rejected\n`,
    );
    out.push({ ...saved, file, problems: result.problems });
  }
  return out;
}
