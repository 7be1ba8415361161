// DuckDB's SQL dialect: addresses split into a v4 UINTEGER and a v6 UHUGEINT column (DuckDB has
// no offline INET type), `$n` positional parameters, epoch-ms BIGINT times.

import { countryCode, FLOW_COLUMNS, type ColumnDef, type ColumnKind } from '../../core/columns.js';
import { toV6Space, type Ip, type IpRange } from '../../core/ip.js';
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

/** How a packed field's value is kept in its bits. */
export type PackedEncoding =
  /** The value as it is, and a bit of the high word that says it is present (0 is a value). */
  | { readonly kind: 'presence'; readonly bit: number }
  /** The value plus one (0: none). */
  | { readonly kind: 'plusOne' }
  /** A country of two capital letters as their places in the alphabet, 5 bits each (0: none). */
  | { readonly kind: 'letters' };

/**
 * One field of a packed column: its value bits, and how a missing value (null) is told apart:
 * by a presence bit of the high word; by storing the value plus one, so that 0 means missing
 * (an AS number); or, for a country of two capital letters, by the letters' places in the
 * alphabet (1-26) in 5 bits each. A field may have two slots: a narrow one in the column
 * enrichment fills, for the values that fit there, and a wide one in another column for the rest
 * (see `PACKED_COLUMNS`).
 */
export interface PackedField {
  readonly source: ColumnDef;
  /** 32-bit word of the 64-bit column holding the value (0 = low), and its shift and width there. */
  readonly word: 0 | 1;
  readonly shift: number;
  readonly width: number;
  readonly encoding: PackedEncoding;
  /** 'narrow': this slot takes the values it can hold; 'wide': the field's other slot, for the rest. */
  readonly slot?: 'narrow' | 'wide';
}

/** One physical column of the DuckDB flow table. */
export interface PhysicalColumn {
  readonly name: string;
  readonly sqlType: string;
  /** The logical column stored here (absent for a packed column). */
  readonly source?: ColumnDef;
  /** For ip columns: which family this half holds. */
  readonly family?: 4 | 6;
  /** For a packed column: the logical columns it holds. */
  readonly packs?: readonly PackedField[];
  /** For a packed field: the SQL of the `flows` view that reads it from its packed column. */
  readonly generated?: string;
}

/**
 * Small fields that most exports leave empty, stored together in 64-bit columns and read under
 * their own names through the `flows` view: DuckDB's append costs about the same per column
 * whether a value is there or null (statistics, validity, compression analysis), and such
 * columns, null in nearly every flow, were a quarter of the append time. Queries see the same
 * columns. (TOS stays a column: NetFlow v5 and most exporters fill it, and alone it bit-packs.)
 * A field below a whole word has its presence bit in the high word (bits 16-23 of it, one per
 * field across the columns, the bits `flows-v4` gave them); an AS number is stored plus one
 * instead, a country in a narrow slot as its letters' places in the alphabet.
 */
const PACKED_COLUMNS: readonly {
  name: string;
  fields: readonly { name: string; word: 0 | 1; shift: number; width: number; presence?: number; letters?: true; slot?: 'narrow' | 'wide' }[];
}[] = [
  // The AS numbers beyond what `packed_enrichment` holds (AS 4194303 and up: private 32-bit ones
  // an exporter reports), each stored plus one, 0 meaning none; AS 4294967295, reserved by RFC
  // 7300 and never routed, is read back as none.
  {
    name: 'packed_as',
    fields: [
      { name: 'src_as', word: 0, shift: 0, width: 32, slot: 'wide' },
      { name: 'dst_as', word: 1, shift: 0, width: 32, slot: 'wide' },
    ],
  },
  // The vlans and marks, and in their low bits (where `flows-v4` had them) the countries that are
  // not two capital letters, which hardly ever occur: a column of their own would be one more
  // null column in every flow.
  {
    name: 'packed_vlans',
    fields: [
      { name: 'src_country', word: 0, shift: 0, width: 16, presence: 16, slot: 'wide' },
      { name: 'src_vlan', word: 0, shift: 16, width: 16, presence: 17 },
      { name: 'dst_vlan', word: 1, shift: 0, width: 16, presence: 18 },
    ],
  },
  {
    name: 'packed_marks',
    fields: [
      { name: 'dst_country', word: 0, shift: 0, width: 16, presence: 19, slot: 'wide' },
      { name: 'icmp_type', word: 0, shift: 16, width: 8, presence: 20 },
      { name: 'icmp_code', word: 0, shift: 24, width: 8, presence: 21 },
      { name: 'end_reason', word: 1, shift: 0, width: 8, presence: 22 },
      { name: 'direction', word: 1, shift: 8, width: 8, presence: 23 },
    ],
  },
  // What enrichment fills, in one column (`flows-v7`): a word per side, its AS number plus one in
  // the low 22 bits and its country's two letters in the high 10. Two columns (AS numbers,
  // countries), both non-null in nearly every enriched flow, cost the append about 0.1 µs a flow
  // more.
  {
    name: 'packed_enrichment',
    fields: [
      { name: 'src_as', word: 0, shift: 0, width: 22, slot: 'narrow' },
      { name: 'src_country', word: 0, shift: 22, width: 10, letters: true, slot: 'narrow' },
      { name: 'dst_as', word: 1, shift: 0, width: 22, slot: 'narrow' },
      { name: 'dst_country', word: 1, shift: 22, width: 10, letters: true, slot: 'narrow' },
    ],
  },
];

const PACKED_FIELD_NAMES = new Set(PACKED_COLUMNS.flatMap((p) => p.fields.map((f) => f.name)));

/** A packed field's slot as the `flows` view reads it: when it holds a value, and the value. */
function unpackSql(column: string, field: PackedField, sqlType: string): { when: string; then: string } {
  const col = quote(column);
  const bits = `((${col} >> ${field.word * 32 + field.shift}) & ${2 ** field.width - 1})`;
  const encoding = field.encoding;
  switch (encoding.kind) {
    case 'plusOne':
      return { when: `${bits} <> 0`, then: `(${bits} - 1)::${sqlType}` };
    case 'letters':
      // Places p and q (1-26, 5 bits each) are the code of letters '@' + p and '@' + q, that is
      // 0x4040 | p << 8 | q: shifts and masks, which a filter on a country evaluates on every row
      // (with division instead it took twice as long).
      return { when: `${bits} <> 0`, then: `(((${bits} >> 5) << 8) | (${bits} & 31) | ${0x4040})::${sqlType}` };
    case 'presence':
      return { when: `(${col} >> ${32 + encoding.bit}) & 1 = 1`, then: `${bits}::${sqlType}` };
  }
}

/** The physical DuckDB columns of a logical column (none for a packed field: see `DUCKDB_VIEW_COLUMNS`). */
export function physicalColumns(column: ColumnDef): PhysicalColumn[] {
  if (column.kind === 'ip') {
    return [
      { name: `${column.name}4`, sqlType: 'UINTEGER', source: column, family: 4 },
      { name: `${column.name}6`, sqlType: 'UHUGEINT', source: column, family: 6 },
    ];
  }
  if (PACKED_FIELD_NAMES.has(column.name)) return [];
  return [{ name: column.name, sqlType: DUCK_TYPE[column.kind], source: column }];
}

function logical(name: string): ColumnDef {
  const column = FLOW_COLUMNS.find((c) => c.name === name);
  if (!column) throw new Error(`no flow column ${name}`);
  return column;
}

function packedColumns(): { stored: PhysicalColumn[]; unpacked: PhysicalColumn[] } {
  const stored: PhysicalColumn[] = [];
  // Per field, the SQL of each of its slots, the narrow one first.
  const slots = new Map<string, { source: ColumnDef; sqlType: string; sql: { when: string; then: string }[] }>();
  for (const p of PACKED_COLUMNS) {
    const packs: PackedField[] = p.fields.map(({ presence, letters, ...f }) => ({
      ...f,
      source: logical(f.name),
      encoding: presence !== undefined ? { kind: 'presence', bit: presence } : { kind: letters ? 'letters' : 'plusOne' },
    }));
    stored.push({ name: p.name, sqlType: 'BIGINT', packs });
    for (const f of packs) {
      const sqlType = DUCK_TYPE[f.source.kind as Exclude<ColumnKind, 'ip'>];
      const field = slots.get(f.source.name) ?? { source: f.source, sqlType, sql: [] };
      field.sql[f.slot === 'narrow' ? 'unshift' : 'push'](unpackSql(p.name, f, sqlType));
      slots.set(f.source.name, field);
    }
  }
  // A field with two slots has its value in one of them (one CASE: COALESCE of two took longer).
  const unpacked = [...slots].map(([name, { source, sqlType, sql }]) => ({ name, sqlType, source, generated: `CASE ${sql.map((x) => `WHEN ${x.when} THEN ${x.then}`).join(' ')} END` }));
  // In the column table's order.
  const order = FLOW_COLUMNS.map((c) => c.name as string);
  unpacked.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  return { stored, unpacked };
}

const PACKED = packedColumns();

/** Every stored column, in table order: the columns of `flow_rows6` (see `DUCKDB_V4_ROW_COLUMNS`). */
export const DUCKDB_FLOW_COLUMNS: readonly PhysicalColumn[] = [...FLOW_COLUMNS.flatMap((c) => physicalColumns(c)), ...PACKED.stored];

/**
 * The columns of `flow_rows`, which holds the flows without any IPv6 address: the stored columns
 * but the IPv6 halves. DuckDB's append costs about the same per column, null or not, and four
 * UHUGEINT columns that are null for every IPv4 flow were a fifth of its append time; flows with
 * an IPv6 address (any of them) go to `flow_rows6`, which has every column.
 */
export const DUCKDB_V4_ROW_COLUMNS: readonly PhysicalColumn[] = DUCKDB_FLOW_COLUMNS.filter((c) => c.family !== 6);

/** The IPv6 halves of the address columns: a flow with any of them set belongs in `flow_rows6`. */
export const DUCKDB_V6_HALVES: readonly PhysicalColumn[] = DUCKDB_FLOW_COLUMNS.filter((c) => c.family === 6);

/** The `flows` view's columns: the stored ones but the packed, then each packed field with the SQL that unpacks it. */
export const DUCKDB_VIEW_COLUMNS: readonly PhysicalColumn[] = [...DUCKDB_FLOW_COLUMNS.filter((c) => !c.packs), ...PACKED.unpacked];

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
  flowsIpInRange(column, range: IpRange, params) {
    // The flows table's address columns are the ones every table has: nothing narrower to test.
    return duckDbDialect.ipInRange(column, range, params);
  },
  flowsIpIn(column, ips: readonly Ip[], params) {
    // One value is an equality the scan filters. A parameter list is written as a subquery, which
    // DuckDB plans as a semi-join (rows are dropped before the other columns are read), where a
    // plain IN list of parameters became a mark join after a full projection.
    const list = (col: string, values: string[]) => (values.length === 1 ? `${col} = ${values[0]}` : `${col} IN (SELECT unnest([${values.join(', ')}]))`);
    const v4 = ips.filter((ip): ip is number => typeof ip === 'number');
    const v6 = ips.filter((ip): ip is bigint => typeof ip === 'bigint');
    const parts = [
      ...(v4.length > 0 ? [list(quote(`${column}4`), v4.map((ip) => params.bind('u32', ip)))] : []),
      ...(v6.length > 0 ? [list(quote(`${column}6`), v6.map((ip) => params.bind('u128', ip)))] : []),
    ];
    return parts.length === 0 ? '1 = 0' : parts.length === 1 ? parts[0]! : `(${parts.join(' OR ')})`;
  },
  ipKeyOf(exprs) {
    return `COALESCE(CAST(${exprs[0]} AS UHUGEINT) + ${toV6Space(0)}, ${exprs[1]})`;
  },
  ipIsFamily(column, family) {
    return `${quote(`${column}${family}`)} IS NOT NULL`;
  },
  timeMs: (column) => quote(column),
  intDiv: (a, b) => `((${a}) // (${b}))`,
  int128: (e) => `CAST(${e} AS HUGEINT)`,
  bitAnd: (a, b) => `(${a} & ${b})`,
  timeBucket(column, intervalMs, params) {
    const p = params.bind('i64', intervalMs);
    return `(${quote(column)} // ${p}) * ${p}`;
  },
  countDistinct(column, kind) {
    if (kind === 'ip') return `COUNT(DISTINCT COALESCE(${quote(`${column}6`)}, ${quote(`${column}4`)}::UHUGEINT + ${toV6Space(0)}))`;
    return `COUNT(DISTINCT ${quote(column)})`;
  },
  tagsContain(column, value, params) {
    return `list_contains(${quote(column)}, ${params.bind('string', value)})`;
  },
  newParams: () => new DuckDbParams(),
};
