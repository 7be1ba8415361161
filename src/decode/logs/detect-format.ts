// Tells a log's format from its first lines, so `vantage import` works without --format.

import { isArgusBinetflowHeader } from './argus-binetflow-parser.js';
import { isCicFlowMeterHeader } from './cicflowmeter-parser.js';
import { guessDelimiter } from './csv-parser.js';
import { FIRST_RECORD_LINES } from './first-record-check.js';
import type { LogFormat } from './log-parser.js';
import { NFDUMP_CSV_HEADER_PREFIX } from './nfdump-csv-parser.js';

const NFDUMP_TYPE = /"type"\s*:\s*"(FLOW|EVENT)"/;

/**
 * The format of a log from its first lines (a few dozen are plenty), or undefined:
 * `ts,te,td,sa,da...` = nfdump-csv; `[` then objects with `"type" : "FLOW"` = nfdump-json;
 * `#separator`/`#fields` = zeek-tsv; JSON objects one per line = zeek-json when one of the
 * first that parse has `id.orig_h`, else jsonl; a header naming Argus's columns
 * (`StartTime,...,SrcAddr,...`) = argus-binetflow; one naming CICFlowMeter's (`Src IP`, `Flow Duration`, `Total Fwd Packet`...) = cicflowmeter;
 * another line with a delimiter (a header row) = csv. Blank lines and, before a CSV header,
 * `#` comments are skipped. nfcapd files are binary: see `isNfcapdMagic`.
 */
export function detectFormat(head: readonly string[]): LogFormat | undefined {
  let i = 0;
  const next = (): string | undefined => {
    while (i < head.length) {
      let line = head[i++]!;
      if (line.charCodeAt(0) === 0xfeff) line = line.slice(1);
      line = line.trim();
      if (line !== '') return line;
    }
    return undefined;
  };
  let first = next();
  if (first === undefined) return undefined;
  if (first.startsWith(NFDUMP_CSV_HEADER_PREFIX)) return 'nfdump-csv';
  if (first.startsWith('#')) {
    while (first !== undefined && first.startsWith('#')) {
      if (first.startsWith('#separator') || first.startsWith('#fields')) return 'zeek-tsv';
      first = next();
    }
    if (first === undefined) return undefined;
    return first.startsWith('{') || first.startsWith('[') ? undefined : delimitedFormat(first);
  }
  if (first.startsWith('[')) {
    const rest = [first.slice(1), ...head.slice(i, i + 60)].join('\n');
    return rest.trimStart().startsWith('{') && NFDUMP_TYPE.test(rest) ? 'nfdump-json' : undefined;
  }
  if (first.startsWith('{')) {
    // A lone `{` opening a multi-line object: nfdump output cut before its `[`.
    if (first === '{' && NFDUMP_TYPE.test(head.slice(i, i + 60).join('\n'))) return 'nfdump-json';
    // One object per line. A first line cut short or of another kind must not decide for the
    // file (the parser rejects it by number): the first objects that parse do.
    let objects = 0;
    for (let line: string | undefined = first; line !== undefined && objects < FIRST_RECORD_LINES; line = next()) {
      let obj: unknown;
      try {
        obj = JSON.parse(line);
      } catch {
        continue;
      }
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) continue;
      objects++;
      const o = obj as Record<string, unknown>;
      const id = o.id;
      if ('id.orig_h' in o || (id !== null && typeof id === 'object' && 'orig_h' in (id as object))) return 'zeek-json';
    }
    return objects > 0 ? 'jsonl' : undefined;
  }
  return delimitedFormat(first);
}

/** A header row's format: a fixed layout recognised by its column names, else generic csv. */
function delimitedFormat(header: string): LogFormat | undefined {
  if (isArgusBinetflowHeader(header)) return 'argus-binetflow';
  if (isCicFlowMeterHeader(header)) return 'cicflowmeter';
  return guessDelimiter(header) ? 'csv' : undefined;
}

/**
 * True when a file's first bytes are an nfcapd header: the 16-bit magic 0xA50C (written in the
 * writer's byte order, so `0C A5` on the usual little-endian machines) then layout version 1
 * (nfdump 1.6) or 2 (nfdump 1.7).
 */
export function isNfcapdMagic(head: Uint8Array): boolean {
  if (head.length < 4) return false;
  if (head[0] === 0x0c && head[1] === 0xa5) return head[3] === 0 && (head[2] === 1 || head[2] === 2);
  if (head[0] === 0xa5 && head[1] === 0x0c) return head[2] === 0 && (head[3] === 1 || head[3] === 2);
  return false;
}
