// Turns raw SQL rows into result records: addresses formatted, big counts made JSON-safe.

import { countryText } from '../core/columns.js';
import { formatIp } from '../core/ip.js';
import type { Dialect, OutputField, ResultRow } from './store.js';

function plainNumber(value: unknown): number | bigint | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'bigint') return value <= BigInt(Number.MAX_SAFE_INTEGER) && value >= -BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return Number(value);
  // 64-bit integers arrive as text from JSON formats, so they keep every digit; most fit a
  // double exactly and need no bigint on the way.
  const n = Number(value);
  if (Number.isSafeInteger(n)) return n;
  return /^-?\d+$/.test(value) ? plainNumber(BigInt(value)) : n;
}

/** Decodes rows whose columns are named by `columnNames` into records keyed by output field. */
export function decodeRows(
  dialect: Dialect,
  outputs: readonly OutputField[],
  columnNames: readonly string[],
  rows: readonly (readonly unknown[])[],
): ResultRow[] {
  const index = new Map(columnNames.map((name, i) => [name, i]));
  const plan = outputs.map((o) => ({ o, at: o.aliases.map((a) => index.get(a)!) }));
  return rows.map((row) => {
    const out: ResultRow = {};
    for (const { o, at } of plan) {
      if (o.kind === 'ip') {
        const ip = dialect.decodeIp(at.map((i) => row[i]));
        out[o.name] = ip === null ? null : formatIp(ip);
      } else if (o.kind === 'time') {
        const v = row[at[0]!];
        out[o.name] = v === null || v === undefined ? null : new Date(Number(v)).toISOString();
      } else if (o.kind === 'country') {
        const v = row[at[0]!];
        out[o.name] = v === null || v === undefined ? null : typeof v === 'string' ? v : countryText(Number(v));
      } else if (o.kind === 'string') {
        const v = row[at[0]!];
        out[o.name] = v === null || v === undefined ? null : String(v);
      } else if (o.kind === 'tags') {
        const v = row[at[0]!] as { items?: unknown[] } | unknown[] | null;
        const items = Array.isArray(v) ? v : v && Array.isArray(v.items) ? v.items : [];
        out[o.name] = items.map(String);
      } else {
        out[o.name] = plainNumber(row[at[0]!]);
      }
    }
    return out;
  });
}
