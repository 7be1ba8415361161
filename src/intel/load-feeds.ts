// `intel load` without the CLI: reads feed files, tells their format, parses them all before
// anything is written, then saves each under its source, reporting rejected lines by file and
// line. A file that cannot be read as a feed is reported by name and the others still load; the
// load then fails (exit 1) naming it, as it does for a feed that was cut short.

import { readFile } from 'node:fs/promises';
import { gunzipSync } from 'node:zlib';
import { fileError } from '../collect/line-reader.js';
import { VantageError } from '../core/errors.js';
import { detectFeed, FEED_PARSERS } from './detect-feed.js';
import { isBadInput, type FeedParseResult } from './feed-parser.js';
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
  /** Why the feed was not read in full (nothing of its source was expired), when it was not. */
  readonly incomplete?: string;
}

/** A file that did not load in full, with the error that says why. */
export interface FileLoadFailure {
  readonly file: string;
  readonly code: VantageError['code'];
  readonly message: string;
  readonly line?: number;
}

/**
 * The error a load ends with when a file could not be read or was not read in full; it carries
 * what did load, so that callers can still report it (`intel load --json`).
 */
export class FeedLoadError extends VantageError {
  constructor(
    error: VantageError,
    readonly loaded: readonly FileLoadSummary[],
    readonly failed: readonly FileLoadFailure[],
  ) {
    super(error.code, error.message, error.location);
  }
}

/** Reads a file as text (gzip told by its magic bytes). */
async function readText(file: string): Promise<string> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (err) {
    throw fileError(file, err);
  }
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = gunzipSync(bytes);
    } catch (err) {
      // A download cut short or damaged: named as `import` names it, not an internal error.
      throw fileError(file, err);
    }
  }
  if (bytes.subarray(0, 4096).includes(0)) throw new VantageError('IMPORT_FORMAT', 'binary data, not a feed file', { file });
  return bytes.toString('utf8').replace(/^\uFEFF/, '');
}

/** Parses one file into indicators; throws only for files that cannot be read as a feed at all. */
export async function parseFeedFile(file: string, options: LoadOptions = {}): Promise<FeedParseResult> {
  const text = await readText(file);
  const feed = options.feed ?? detectFeed(file, text);
  const result = parseFeed(feed, { file, text, kind: options.kind ?? 'threat', source: options.source, family: options.family, confidence: options.confidence });
  const failure = feedParseFailure(result, feed, { strict: options.strict, otherFormat: '--feed', strictName: '--strict' });
  if (failure) throw new VantageError(failure.code, failure.message, { file, ...(failure.line ? { line: failure.line } : {}) });
  return result;
}

/** Parses feed text as `feed`, its problems in line order (parsers report some after a pass over the file). */
export function parseFeed(feed: FeedKind, input: Parameters<(typeof FEED_PARSERS)[FeedKind]['parse']>[0]): FeedParseResult {
  const parsed = FEED_PARSERS[feed].parse(input);
  return { ...parsed, problems: [...parsed.problems].sort((a, b) => a.line - b.line) };
}

/** Why a parsed feed is not loaded at all; the CLI and the API word their flags differently. */
export interface FeedParseFailure {
  readonly code: 'IMPORT_FORMAT' | 'IMPORT_RECORD';
  readonly message: string;
  readonly line?: number;
}

/**
 * The checks every loader applies to a parsed feed before saving it: text that is not the format
 * (invalid JSON, no entry readable), a feed cut short before anything was read (or at all, when
 * strict), and, when strict, any rejected entry. `otherFormat` and `strictName` name the flag or
 * field that picks another format and asks for strictness.
 */
export function feedParseFailure(result: FeedParseResult, feed: FeedKind, words: { strict?: boolean; otherFormat: string; strictName: string }): FeedParseFailure | undefined {
  const fatal = result.indicators.length === 0 && result.problems.find((p) => p.message.startsWith('invalid JSON'));
  if (fatal) return { code: 'IMPORT_FORMAT', message: `${fatal.message} (read as ${feed}; ${words.otherFormat} picks another)`, line: fatal.line };
  // Not read in full with nothing read at all (a list that is not a list, a feed cut before its
  // first entry): an error naming what is wrong, where the parser knows the line.
  if (result.incomplete && (result.indicators.length === 0 || words.strict)) {
    const at = result.problems.find((p) => p.message === result.incomplete);
    const what = result.indicators.length === 0 ? 'nothing to load' : `stopped (${words.strictName})`;
    return { code: 'IMPORT_FORMAT', message: `${result.incomplete} (read as ${feed}): ${what}`, line: at?.line };
  }
  if (result.indicators.length === 0 && result.entries > 0 && result.problems.length === result.entries && result.problems.some(isBadInput)) {
    const first = result.problems[0]!;
    return { code: 'IMPORT_FORMAT', message: `none of ${result.entries} entries could be read as ${feed} (first: line ${first.line}: ${first.message}); ${words.otherFormat} picks another format`, line: first.line };
  }
  if (words.strict && result.problems.length > 0) {
    const first = result.problems[0]!;
    return { code: 'IMPORT_RECORD', message: `${first.message} [${first.code}]`, line: first.line };
  }
  return undefined;
}

/** `FILE[:LINE]: message [CODE]`, as the CLI prints a coded error (without its `vantage:`). */
function describe(err: VantageError): string {
  const { file, line } = err.location;
  return `${file ? `${file}${line ? `:${line}` : ''}: ` : ''}${err.message} [${err.code}]`;
}

/**
 * Loads feed files: all are read and parsed first, then saved one by one. Prints rejected
 * entries (`FILE:LINE: message [CODE]`, at most `maxMessages` per file) and one summary line per
 * file to `io.stderr`. A file that cannot be read as a feed, or that would expire its whole
 * source, is reported and left out; a feed not read in full (cut short: see
 * FeedParseResult.incomplete) loads what it holds and expires nothing. Either way the other files
 * load, and the call then throws a FeedLoadError naming the files. `strict` stops at the first
 * problem of any kind before anything is written.
 */
export async function loadFeeds(repository: IndicatorRepository, files: readonly string[], options: LoadOptions, io: LoadIo): Promise<FileLoadSummary[]> {
  if (options.source !== undefined && options.source.trim() === '') throw new VantageError('USAGE', '--source needs a name: got an empty one');
  if (options.source && files.length > 1) throw new VantageError('USAGE', '--source names one feed: give one file with it');
  const failures: { file: string; error: VantageError }[] = [];
  const fail = (file: string, error: VantageError) => {
    failures.push({ file, error });
    // With one file the final error says it all; with several, each is named as it happens.
    if (files.length > 1) io.stderr.write(`${describe(error)}\n`);
  };
  const parsed: { file: string; result: FeedParseResult }[] = [];
  for (const file of files) {
    try {
      parsed.push({ file, result: await parseFeedFile(file, options) });
    } catch (err) {
      if (options.strict || !(err instanceof VantageError)) throw err;
      fail(file, err);
    }
  }
  // A feed with nothing to load would expire its whole source: refused when the source has
  // entries (a truncated download looks like this), skipped with a notice when it has none.
  const skip = new Set<number>();
  const refused = new Set<number>();
  for (let k = 0; k < parsed.length; k++) {
    const { file, result } = parsed[k]!;
    if (result.indicators.length > 0 || options.allowEmpty) continue;
    const active = await repository.activeCount(result.source);
    if (active > 0) {
      const error = new VantageError('IMPORT_FORMAT', `no indicators found (read as ${result.feed}); loading it would expire all ${active} entries of ${result.source}: give --allow-empty to do that`, { file });
      if (options.strict) throw error;
      fail(file, error);
      refused.add(k);
    }
    skip.add(k);
  }
  const maxMessages = options.maxMessages ?? 20;
  const out: FileLoadSummary[] = [];
  let now = options.now ?? Date.now();
  for (let k = 0; k < parsed.length; k++) {
    const { file, result } = parsed[k]!;
    if (refused.has(k)) continue;
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
    out.push({ ...saved, file, problems: result.problems, ...(result.incomplete ? { incomplete: result.incomplete } : {}) });
    if (result.incomplete) {
      fail(file, new VantageError('IMPORT_FORMAT', `${result.incomplete}: loaded its ${saved.active} readable entries, expired nothing from ${saved.source}`, { file }));
    }
  }
  if (failures.length === 0) return out;
  const failed = failures.map(({ file, error }) => ({ file, code: error.code, message: error.message, ...(error.location.line ? { line: error.location.line } : {}) }));
  if (files.length === 1) throw new FeedLoadError(failures[0]!.error, out, failed);
  const names = failures.map((f) => f.file).join(', ');
  const summary = `${failures.length} of ${files.length} feed files not loaded in full (${names}: see above); the other files loaded`;
  throw new FeedLoadError(new VantageError(failures[0]!.error.code, summary), out, failed);
}
