// Turns raw SQL results into result records: addresses formatted, big counts made JSON-safe.
// Results are decoded a column at a time: both engines hand columns over faster than rows
// (DuckDB's getColumns against getRows, ClickHouse's JSONColumns against JSON rows), and each
// field's loop then sees one kind of value.

import { countryText } from '../core/columns.js';
import { formatIp } from '../core/ip.js';
import type { Dialect, OutputField, ResultRow } from './store.js';

const MAX_EXACT = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_EXACT = -MAX_EXACT;

function plainNumber(value: unknown): number | bigint | null {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return value <= MAX_EXACT && value >= MIN_EXACT ? Number(value) : value;
  if (typeof value !== 'string') return Number(value);
  // 64-bit integers arrive as text from JSON formats, so they keep every digit; most fit a
  // double exactly and need no bigint on the way.
  const n = Number(value);
  if (Number.isSafeInteger(n)) return n;
  return /^-?\d+$/.test(value) ? plainNumber(BigInt(value)) : n;
}

type Value = ResultRow[string];
type Column = ArrayLike<unknown>;

function tagList(v: unknown): string[] {
  const list = v as { items?: unknown[] } | unknown[] | null | undefined;
  const items = Array.isArray(list) ? list : list && Array.isArray(list.items) ? list.items : [];
  return items.map(String);
}

/** The decoder of one field's value from its SQL column(s) at a row. */
function fieldDecoder(dialect: Dialect, kind: OutputField['kind'], columns: readonly Column[]): (row: number) => Value {
  const [c] = columns as [Column];
  switch (kind) {
    case 'ip': {
      // One array reused for every row: the dialect only reads it.
      const values: unknown[] = columns.map(() => null);
      return (i) => {
        for (let k = 0; k < columns.length; k++) values[k] = columns[k]![i];
        const ip = dialect.decodeIp(values);
        return ip === null ? null : formatIp(ip);
      };
    }
    case 'time':
      return (i) => (c[i] === null || c[i] === undefined ? null : new Date(Number(c[i])).toISOString());
    case 'country':
      return (i) => (c[i] === null || c[i] === undefined ? null : typeof c[i] === 'string' ? (c[i] as string) : countryText(Number(c[i])));
    case 'string':
      return (i) => (c[i] === null || c[i] === undefined ? null : String(c[i]));
    case 'tags':
      return (i) => tagList(c[i]);
    default:
      return (i) => plainNumber(c[i]);
  }
}

/**
 * Decodes a result given as columns (`columns[k]` holds the values of the SQL column named
 * `columnNames[k]`, `rowCount` of them) into records keyed by output field, in output order.
 */
export function decodeColumns(
  dialect: Dialect,
  outputs: readonly OutputField[],
  columnNames: readonly string[],
  columns: readonly Column[],
  rowCount: number,
): ResultRow[] {
  const index = new Map(columnNames.map((name, k) => [name, k]));
  const absent: Column = { length: rowCount };
  const rows: ResultRow[] = new Array(rowCount);
  for (let i = 0; i < rowCount; i++) rows[i] = {};
  for (const o of outputs) {
    const decode = fieldDecoder(
      dialect,
      o.kind,
      o.aliases.map((a) => columns[index.get(a) ?? -1] ?? absent),
    );
    const name = o.name;
    for (let i = 0; i < rowCount; i++) rows[i]![name] = decode(i);
  }
  return rows;
}
