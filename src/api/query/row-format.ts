// Result rows as JSON, NDJSON and CSV text; 64-bit counts beyond 2^53 stay exact JSON numbers.

import type { ResultRow } from '../../store/store.js';

/** JSON text of a value; bigints are written as plain JSON numbers (every digit kept). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? `__big__${v}` : v)).replace(/"__big__(-?\d+)"/g, '$1');
}

function cellText(value: ResultRow[string] | undefined): string {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.join(';');
  return String(value);
}

/** One CSV cell, quoted when needed; a leading = + - @ is prefixed with ' so spreadsheets do not run it. */
export function csvCell(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) && !/^-?\d+(\.\d+)?$/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** A CSV line (with newline) of a row in column order. */
export function csvLine(row: ResultRow, columns: readonly string[]): string {
  return `${columns.map((c) => csvCell(cellText(row[c]))).join(',')}\n`;
}

/** The CSV header line. */
export function csvHeader(columns: readonly string[]): string {
  return `${columns.map(csvCell).join(',')}\n`;
}
