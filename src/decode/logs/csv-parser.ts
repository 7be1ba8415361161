// Parses generic delimited text with a header row (CSV, TSV, semicolons) into flows through the
// column mapping: any tool's export whose header names its columns.

import type { FlowRecord } from '../../core/columns.js';
import { aliasHint, buildGenericRecord, ColumnResolver, MAPPED_FIELDS, slotOf, type ColumnOverrides } from './column-mapping.js';
import { formatProblem, recordProblem, type LineProblem, type LineResult, type LogParser } from './log-parser.js';

/** Splits one delimited line, honouring RFC 4180 quotes; null when a quote is left open. */
export function splitDelimited(text: string, delimiter: string): string[] | null {
  if (!text.includes('"')) return text.split(delimiter);
  const cells: string[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (text.charCodeAt(i) === 34) {
      let cell = '';
      let j = i + 1;
      for (;;) {
        const q = text.indexOf('"', j);
        if (q < 0) return null;
        cell += text.slice(j, q);
        if (text.charCodeAt(q + 1) === 34) {
          cell += '"';
          j = q + 2;
          continue;
        }
        i = q + 1;
        break;
      }
      // Text between the closing quote and the delimiter is kept, as spreadsheets do.
      const d = text.indexOf(delimiter, i);
      cells.push(d < 0 ? cell + text.slice(i) : cell + text.slice(i, d));
      if (d < 0) return cells;
      i = d + delimiter.length;
    } else {
      const d = text.indexOf(delimiter, i);
      if (d < 0) {
        cells.push(text.slice(i));
        return cells;
      }
      cells.push(text.slice(i, d));
      i = d + delimiter.length;
    }
    if (i > n) return cells;
  }
}

/** The delimiter of a header line: the most frequent of comma, tab and semicolon (comma on ties). */
export function guessDelimiter(header: string): string | undefined {
  const count = (c: string): number => header.split(c).length - 1;
  const candidates: [string, number][] = [[',', count(',')], ['\t', count('\t')], [';', count(';')], ['|', count('|')]];
  candidates.sort((a, b) => b[1] - a[1]);
  return candidates[0]![1] > 0 ? candidates[0]![0] : undefined;
}

/**
 * Parser for delimited text with a header row. The first line that is neither blank nor a
 * `#` comment is the header; its names are mapped by `column-mapping.ts` (Vantage names,
 * aliases, --map overrides). Columns that map to nothing are ignored. Quoted cells may not
 * span lines. A later line identical to the header (concatenated files) is skipped.
 */
export class CsvParser implements LogParser {
  readonly format = 'csv' as const;
  private header: string | undefined;
  private delimiter = ',';
  private names: string[] = [];
  private columnOf: Int32Array = new Int32Array(0);
  private readonly values: unknown[] = new Array(MAPPED_FIELDS.length);
  private readonly slotNames: string[] = new Array(MAPPED_FIELDS.length).fill('');
  private readonly resolver: ColumnResolver;

  constructor(overrides?: ColumnOverrides) {
    this.resolver = new ColumnResolver(overrides);
  }

  parseLine(text: string, line: number, out: FlowRecord[]): LineResult {
    if (text.length === 0) return false;
    if (this.header === undefined) {
      if (text.charCodeAt(0) === 35 || text.trim() === '') return false;
      return this.readHeader(text, line);
    }
    if (text === this.header) return false;
    const cells = splitDelimited(text, this.delimiter);
    if (cells === null) return recordProblem(line, 'truncated line: a quoted value is not closed');
    if (cells.length !== this.names.length) {
      if (cells.length === 1 && cells[0]!.trim() === '') return false;
      return recordProblem(
        line,
        cells.length < this.names.length
          ? `truncated line: expected ${this.names.length} columns, got ${cells.length}`
          : `wrong column count: expected ${this.names.length} columns, got ${cells.length}`,
      );
    }
    const { values, columnOf } = this;
    for (let slot = 0; slot < values.length; slot++) {
      const c = columnOf[slot]!;
      values[slot] = c >= 0 ? cells[c] : undefined;
    }
    return buildGenericRecord(values, this.slotNames, line, out);
  }

  finish(): LineProblem | undefined {
    return undefined;
  }

  private readHeader(text: string, line: number): LineResult {
    const header = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
    const delimiter = guessDelimiter(header);
    if (delimiter === undefined) return formatProblem(line, `unknown header: expected a delimited header row naming the columns, got '${header.slice(0, 40)}'`);
    const names = splitDelimited(header, delimiter);
    if (names === null) return formatProblem(line, 'unknown header: a quoted column name is not closed');
    const trimmed = names.map((n) => n.trim());
    const missing = this.resolver.missingOverrides(trimmed);
    if (missing.length > 0) return formatProblem(line, `unknown header: --map names column(s) ${missing.map((m) => `'${m}'`).join(', ')} that the header does not have`);
    const columnOf = this.resolver.columnsFor(trimmed);
    for (const field of ['src', 'dst', 'start'] as const) {
      if (columnOf[slotOf(field)]! < 0) return formatProblem(line, `unknown header: ${aliasHint(field)}`);
    }
    this.header = text;
    this.delimiter = delimiter;
    this.names = trimmed;
    this.columnOf = columnOf;
    columnOf.forEach((c, slot) => {
      this.slotNames[slot] = c >= 0 ? trimmed[c]! : '';
    });
    return false;
  }
}
