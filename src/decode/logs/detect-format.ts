// Tells a log's format from its first lines, so `vantage import` works without --format.

import { guessDelimiter } from './csv-parser.js';
import type { LogFormat } from './log-parser.js';
import { NFDUMP_CSV_HEADER_PREFIX } from './nfdump-csv-parser.js';

const NFDUMP_TYPE = /"type"\s*:\s*"(FLOW|EVENT)"/;

/**
 * The format of a log from its first lines (a few dozen are plenty), or undefined:
 * `ts,te,td,sa,da...` = nfdump-csv; `[` then objects with `"type" : "FLOW"` = nfdump-json;
 * `#separator`/`#fields` = zeek-tsv; a JSON object with `id.orig_h` = zeek-json; another JSON
 * object = jsonl; another line with a delimiter (a header row) = csv. Blank lines and, before a
 * CSV header, `#` comments are skipped.
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
    return first.startsWith('{') || first.startsWith('[') ? undefined : guessDelimiter(first) ? 'csv' : undefined;
  }
  if (first.startsWith('[')) {
    const rest = [first.slice(1), ...head.slice(i, i + 60)].join('\n');
    return rest.trimStart().startsWith('{') && NFDUMP_TYPE.test(rest) ? 'nfdump-json' : undefined;
  }
  if (first.startsWith('{')) {
    let obj: unknown;
    try {
      obj = JSON.parse(first);
    } catch {
      // A lone `{` opening a multi-line object: nfdump output cut before its `[`.
      return first === '{' && NFDUMP_TYPE.test(head.slice(i, i + 60).join('\n')) ? 'nfdump-json' : undefined;
    }
    if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) return undefined;
    const o = obj as Record<string, unknown>;
    const id = o.id;
    if ('id.orig_h' in o || (id !== null && typeof id === 'object' && 'orig_h' in (id as object))) return 'zeek-json';
    return 'jsonl';
  }
  return guessDelimiter(first) ? 'csv' : undefined;
}
