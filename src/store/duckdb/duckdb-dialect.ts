// DuckDB's SQL dialect: addresses split into a v4 UINTEGER and a v6 UHUGEINT column (DuckDB has
// no offline INET type), `$n` positional parameters, epoch-ms BIGINT times.

import { countryCode, FLOW_COLUMNS, type ColumnDef, type ColumnKind } from '../../core/columns.js';
import type { Ip, IpRange } from '../../core/ip.js';
import type { BoundParam, Dialect, ParamSink } from '../store.js';

/** Physical DuckDB type per logical kind (ip is two columns, see `physicalColumns`). */
const DUCK_TYPE: Record<Exclude<ColumnKind, 'ip'>, string> = {
  time: 'BIGINT',
  u8: 'UTINYINT',
  u16: 'USMALLINT',
  u32: 'UINTEGER',
  // Signed: DuckDB sums BIGINT with a fast int64 path, UBIGINT only after widening to 128 bits
  // (half the speed of a filtered count); 2^63 bytes in one flow is not a real concern.
  u64: 'BIGINT',
  string: 'VARCHAR',
  // Two letters as a 2-byte number: fixed width appends as fast as an integer, where VARCHAR
  // values go through the string heap one at a time.
  country: 'USMALLINT',
  tags: 'VARCHAR[]',
};

/** One physical column of the DuckDB flow table. */
export interface PhysicalColumn {
  readonly name: string;
  readonly sqlType: string;
  readonly source: ColumnDef;
  /** For ip columns: which family this half holds. */
  readonly family?: 4 | 6;
}

/** The physical DuckDB columns of a logical column. */
export function physicalColumns(column: ColumnDef): PhysicalColumn[] {
  if (column.kind === 'ip') {
    return [
      { name: `${column.name}4`, sqlType: 'UINTEGER', source: column, family: 4 },
      { name: `${column.name}6`, sqlType: 'UHUGEINT', source: column, family: 6 },
    ];
  }
  return [{ name: column.name, sqlType: DUCK_TYPE[column.kind], source: column }];
}

/** Every physical column of the flow table, in table order. */
export const DUCKDB_FLOW_COLUMNS: readonly PhysicalColumn[] = FLOW_COLUMNS.flatMap((c) => physicalColumns(c));

function quote(identifier: string): string {
  return `"${identifier.replace(/"/g, '""')}"`;
}

class DuckDbParams implements ParamSink {
  readonly params: BoundParam[] = [];
  bind(kind: BoundParam['kind'], value: BoundParam['value']): string {
    // A code that is not two letters matches nothing, as the text would not.
    if (kind === 'country') this.params.push({ kind: 'u16', value: countryCode(String(value)) ?? 0 });
    else this.params.push({ kind, value });
    return `$${this.params.length}`;
  }
}

/** The DuckDB dialect. */
export const duckDbDialect: Dialect = {
  name: 'duckdb',
  quote,
  ipColumns: (column) => [quote(`${column}4`), quote(`${column}6`)],
  decodeIp(values) {
    const [v4, v6] = values;
    if (v4 !== null && v4 !== undefined) return Number(v4);
    if (v6 !== null && v6 !== undefined) return BigInt(v6 as bigint);
    return null;
  },
  ipEquals(column, ip: Ip, params) {
    return typeof ip === 'number'
      ? `${quote(`${column}4`)} = ${params.bind('u32', ip)}`
      : `${quote(`${column}6`)} = ${params.bind('u128', ip)}`;
  },
  ipInRange(column, range: IpRange, params) {
    const [col, kind] = range.family === 4 ? [quote(`${column}4`), 'u32' as const] : [quote(`${column}6`), 'u128' as const];
    if (range.first === range.last) return `${col} = ${params.bind(kind, range.first)}`;
    return `${col} BETWEEN ${params.bind(kind, range.first)} AND ${params.bind(kind, range.last)}`;
  },
  ipIsFamily(column, family) {
    return `${quote(`${column}${family}`)} IS NOT NULL`;
  },
  timeMs: (column) => quote(column),
  intDiv: (a, b) => `((${a}) // (${b}))`,
  bitAnd: (a, b) => `(${a} & ${b})`,
  timeBucket(column, intervalMs, params) {
    const p = params.bind('i64', intervalMs);
    return `(${quote(column)} // ${p}) * ${p}`;
  },
  countDistinct(column, kind) {
    if (kind === 'ip') return `COUNT(DISTINCT COALESCE(${quote(`${column}6`)}, ${quote(`${column}4`)}::UHUGEINT + 281470681743360))`;
    return `COUNT(DISTINCT ${quote(column)})`;
  },
  tagsContain(column, value, params) {
    return `list_contains(${quote(column)}, ${params.bind('string', value)})`;
  },
  newParams: () => new DuckDbParams(),
};
