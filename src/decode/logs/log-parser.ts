// The contract every text-log parser meets: lines in, flow records out, problems returned
// (never thrown) so one bad line costs one record, not the file.

import type { FlowRecord } from '../../core/columns.js';

/**
 * The formats `vantage import` reads: text logs, and nfcapd binary files (read through
 * `nfdump -o csv`, then parsed as nfdump CSV).
 */
export const LOG_FORMATS = ['nfdump-csv', 'nfdump-json', 'zeek-tsv', 'zeek-json', 'argus-binetflow', 'cicflowmeter', 'nfcapd', 'csv', 'jsonl'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/**
 * Why a line could not be imported. `IMPORT_RECORD` costs that record only;
 * `IMPORT_FORMAT` means the file cannot be read as this format at all (bad or missing header).
 */
export interface LineProblem {
  readonly code: 'IMPORT_RECORD' | 'IMPORT_FORMAT';
  /** 1-based line the problem is on. */
  readonly line: number;
  readonly message: string;
}

/**
 * What `parseLine` reports: `true` when the line completed an input record that was
 * converted (its flows are in `out`), `false` when it held no record (header, comment,
 * blank line, part of a multi-line object), or the problem that rejected it.
 */
export type LineResult = boolean | LineProblem;

/**
 * A stateful line parser for one file. Pure: no I/O; the caller feeds lines in order.
 * One input record can yield more than one flow (a Zeek connection is two directions).
 */
export interface LogParser {
  readonly format: LogFormat;
  /** Parses one line, given without its line ending; appends the flows it yields to `out`. */
  parseLine(text: string, line: number, out: FlowRecord[]): LineResult;
  /** Called once after the last line (`lastLine` is its number): reports a record left open. */
  finish(lastLine: number): LineProblem | undefined;
  /**
   * For formats whose records span lines: a line the reader skipped unread (too long). The
   * record it is part of is rejected with `problem` (false now, the problem when it ends);
   * without this method the line is rejected on its own.
   */
  skipLine?(problem: LineProblem): LineResult;
}

/** A record-level problem. */
export function recordProblem(line: number, message: string): LineProblem {
  return { code: 'IMPORT_RECORD', line, message };
}

/** A file-level problem: the header is missing or not the expected one. */
export function formatProblem(line: number, message: string): LineProblem {
  return { code: 'IMPORT_FORMAT', line, message };
}

/** What can be wrong with one field's value; the words start the message. */
export type FieldFault = 'bad address' | 'bad number' | 'bad country' | 'bad time' | 'bad protocol' | 'bad TCP flags' | 'value out of range' | 'missing value';

/** A record-level problem naming the field and (shortened) value, e.g. `bad address in field 'sa': '10.0.0.999'`. */
export function fieldProblem(line: number, fault: FieldFault, field: string, value: string): LineProblem {
  const shown = value.length > 60 ? `${value.slice(0, 57)}...` : value;
  return recordProblem(line, `${fault} in field '${field}': '${shown}'`);
}

/**
 * The problem for a line JSON.parse refused: "truncated" when the parser ran off the end of
 * the text (the line was cut short), else "malformed" with the parser's reason.
 */
export function jsonLineProblem(line: number, err: Error, text: string): LineProblem {
  const message = err.message;
  const at = /at position (\d+)/.exec(message);
  if (/end of JSON input/.test(message) || (at && Number(at[1]) >= text.trimEnd().length)) {
    return recordProblem(line, 'truncated line: the JSON object is not closed');
  }
  return recordProblem(line, `malformed JSON: ${message.length > 120 ? `${message.slice(0, 117)}...` : message}`);
}

/**
 * What a parser whose records span lines may return for one line: a line can end one record
 * and start another, or close a broken record while completing the next, so each counts.
 */
export type LineResults = LineResult | readonly LineResult[];

/** The problem for a line the reader skipped for its length (`readLineBatches`' `tooLong`). */
export function longLineProblem(line: number, maxChars: number): LineProblem {
  return recordProblem(line, `line longer than ${maxChars} characters: skipped`);
}

/**
 * A JSON value as text for a message: strings as they are, anything else as JSON
 * (`{"a":1}`, not `[object Object]`). Numbers JSON.parse turned to Infinity (`1e400`) print as
 * null in JSON, so pass the source text: the literal that overflowed is shown instead.
 */
export function jsonValueText(v: unknown, source?: string): string {
  if (typeof v === 'string') return v;
  if (typeof v === 'number' && !Number.isFinite(v) && source !== undefined) return overflowingNumbers(source)[0] ?? String(v);
  return JSON.stringify(v) ?? String(v);
}

const JSON_NUMBER = /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/**
 * The number literals of a JSON text, outside strings, that do not fit a double (`1e400`,
 * `-1e999`): JSON.parse reads them as ±Infinity, and only the text still says what they were.
 */
export function overflowingNumbers(text: string): string[] {
  const found: string[] = [];
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34) {
      // skip the string, escapes included
      for (i++; i < n && text.charCodeAt(i) !== 34; i++) if (text.charCodeAt(i) === 92) i++;
      continue;
    }
    if (c === 45 || (c >= 48 && c <= 57)) {
      JSON_NUMBER.lastIndex = i;
      const m = JSON_NUMBER.exec(text);
      if (m) {
        if (!Number.isFinite(Number(m[0]))) found.push(m[0]);
        i += m[0].length - 1;
      }
    }
  }
  return found;
}

/** The results of one line as a list, whether the parser returned one or several. */
export function resultList(r: LineResults): readonly LineResult[] {
  return typeof r === 'object' && Array.isArray(r) ? r : [r as LineResult];
}
