// Writes result rows as a table, JSON, JSON lines or CSV: the CLI's output formats.

import type { ResultRow } from '../store/store.js';

/** Output formats every listing command accepts. */
export const OUTPUT_FORMATS = ['table', 'json', 'jsonl', 'csv'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** JSON text of a value; bigints (counts beyond 2^53) are written as plain JSON numbers. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `__big__${v}` : v)).replace(/"__big__(-?\d+)"/g, '$1');
}

function cellText(value: ResultRow[string]): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join(';');
  return String(value);
}

function csvCell(text: string): string {
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Renders rows in a format; `columns` fixes the column order (defaults to the first row's keys). */
export function formatRows(rows: readonly ResultRow[], format: OutputFormat, columns?: readonly string[]): string {
  const cols = columns ?? (rows.length > 0 ? Object.keys(rows[0]!) : []);
  switch (format) {
    case 'json':
      return `${toJson(rows)}\n`;
    case 'jsonl':
      return rows.map((r) => `${toJson(r)}\n`).join('');
    case 'csv':
      return [cols.map(csvCell).join(','), ...rows.map((r) => cols.map((c) => csvCell(cellText(r[c]!))).join(','))].join('\n') + '\n';
    case 'table': {
      const cells = rows.map((r) => cols.map((c) => cellText(r[c]!)));
      const numeric = cols.map((c) => rows.length > 0 && rows.every((r) => typeof r[c] === 'number' || typeof r[c] === 'bigint'));
      const widths = cols.map((c, i) => Math.max(c.length, ...cells.map((row) => row[i]!.length)));
      const line = (values: readonly string[]) =>
        values.map((v, i) => (numeric[i] ? v.padStart(widths[i]!) : v.padEnd(widths[i]!))).join('  ').trimEnd();
      return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...cells.map(line)].join('\n') + `\n(${rows.length} row${rows.length === 1 ? '' : 's'})\n`;
    }
  }
}
