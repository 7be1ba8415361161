// Parses a whole log held in memory (an upload, a test fixture) with one parser.

import type { FlowRecord } from '../../core/columns.js';
import type { LineProblem, LogParser } from './log-parser.js';

/** Everything one parse of a text yields: flows, input records read, and the problems. */
export interface ParsedLogText {
  readonly records: FlowRecord[];
  /** Input records seen: converted ones plus record-level rejections. */
  readonly read: number;
  readonly problems: LineProblem[];
}

/**
 * Feeds `text` line by line (LF or CRLF) to `parser`. Unlike the file import it does not stop
 * at a format problem: callers decide what a problem means.
 */
export function parseLogText(parser: LogParser, text: string): ParsedLogText {
  const records: FlowRecord[] = [];
  const problems: LineProblem[] = [];
  let read = 0;
  const lines = text.split('\n');
  if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  lines.forEach((raw, i) => {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    const r = parser.parseLine(line, i + 1, records);
    if (r === true) read++;
    else if (r !== false) {
      problems.push(r);
      if (r.code === 'IMPORT_RECORD') read++;
    }
  });
  const end = parser.finish(lines.length);
  if (end) {
    problems.push(end);
    read++;
  }
  return { records, read, problems };
}
