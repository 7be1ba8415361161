// DuckDB DDL generated from the column table, as idempotent statements run at every open, and
// the one-time rewrite of stores created with an older layout.

import { DUCKDB_FLOW_COLUMNS, DUCKDB_V4_ROW_COLUMNS, DUCKDB_V6_HALVES, DUCKDB_VIEW_COLUMNS, type PackedField, type PhysicalColumn } from './duckdb-dialect.js';

/**
 * The layout this code writes. `flows-v7`: flows without an IPv6 address live in `flow_rows`
 * (no IPv6 columns), the others in `flow_rows6` (every column); rarely filled small fields are
 * folded into packed columns, and what enrichment fills (AS numbers and countries) into one
 * column, `packed_enrichment`, with the values it cannot hold in others; `flows` is a view over
 * both tables that unpacks them. (Not virtual columns of the table: DuckDB's appender takes a
 * much slower path for a table that has any.) Earlier: `flows-v6` had the countries in a column
 * of their own and the AS numbers in another, `flows-v5` kept the AS numbers as columns,
 * `flows-v4` had the countries in the low bits of the vlan and mark columns, `flows-v3` as
 * columns, `flows-v2` had one `flow_rows` table with the IPv6 columns, `flows-v1` a `flows` table
 * with every field a column.
 */
export const FLOW_TABLE_LAYOUT = 'flows-v7';

/** The tables flows are appended to and deleted from; everything else reads the `flows` view. */
export const FLOW_ROWS_TABLE = 'flow_rows';
export const FLOW_ROWS6_TABLE = 'flow_rows6';

/** Each row table with its columns, in table order. */
export const FLOW_ROW_TABLES: readonly { readonly name: string; readonly columns: readonly PhysicalColumn[] }[] = [
  { name: FLOW_ROWS_TABLE, columns: DUCKDB_V4_ROW_COLUMNS },
  { name: FLOW_ROWS6_TABLE, columns: DUCKDB_FLOW_COLUMNS },
];

function createTable(name: string, columns: readonly PhysicalColumn[], ifNotExists = true): string {
  return `CREATE TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${name} (${columns.map((c) => `"${c.name}" ${c.sqlType}`).join(', ')})`;
}

/** The `flows` view: every logical column under its own name, packed fields unpacked, over both row tables. */
function createFlowsView(): string {
  const selects = FLOW_ROW_TABLES.map(({ name, columns }) => {
    const stored = new Set(columns.map((c) => c.name));
    const list = DUCKDB_VIEW_COLUMNS.map((c) => (c.generated ? `${c.generated} AS "${c.name}"` : stored.has(c.name) ? `"${c.name}"` : `NULL::${c.sqlType} AS "${c.name}"`));
    return `SELECT ${list.join(', ')} FROM ${name}`;
  });
  return `CREATE OR REPLACE VIEW flows AS ${selects.join(' UNION ALL ')}`;
}

/** Statements that create or bring the schema up to date; safe to run any number of times. */
export function duckDbMigrations(): string[] {
  return [
    ...FLOW_ROW_TABLES.flatMap(({ name, columns }) => [
      createTable(name, columns),
      // Columns added to the table after a store was created arrive here.
      ...columns.map((c) => `ALTER TABLE ${name} ADD COLUMN IF NOT EXISTS "${c.name}" ${c.sqlType}`),
    ]),
    createFlowsView(),
    `CREATE TABLE IF NOT EXISTS vantage_meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
    `INSERT OR REPLACE INTO vantage_meta VALUES ('schema', '${FLOW_TABLE_LAYOUT}')`,
  ];
}

/** Where an older layout packed a field: column, bit of the value, width, presence bit of the high word (none: stored plus one). */
type OlderPacking = Readonly<Record<string, { column: string; at: number; width: number; presence?: number }>>;

/** `flows-v2` and `flows-v3`: the small fields (the countries and AS numbers were columns). Frozen, to read those stores. */
const V2_PACKING: OlderPacking = {
  src_vlan: { column: 'packed_vlans', at: 0, width: 16, presence: 16 },
  dst_vlan: { column: 'packed_vlans', at: 16, width: 16, presence: 17 },
  icmp_type: { column: 'packed_marks', at: 0, width: 8, presence: 18 },
  icmp_code: { column: 'packed_marks', at: 8, width: 8, presence: 19 },
  end_reason: { column: 'packed_marks', at: 16, width: 8, presence: 20 },
  direction: { column: 'packed_marks', at: 24, width: 8, presence: 21 },
};

/** `flows-v4`: the countries in the low bits of the vlan and mark columns (the AS numbers were columns). Frozen. */
const V4_PACKING: OlderPacking = {
  src_country: { column: 'packed_vlans', at: 0, width: 16, presence: 16 },
  src_vlan: { column: 'packed_vlans', at: 16, width: 16, presence: 17 },
  dst_vlan: { column: 'packed_vlans', at: 32, width: 16, presence: 18 },
  dst_country: { column: 'packed_marks', at: 0, width: 16, presence: 19 },
  icmp_type: { column: 'packed_marks', at: 16, width: 8, presence: 20 },
  icmp_code: { column: 'packed_marks', at: 24, width: 8, presence: 21 },
  end_reason: { column: 'packed_marks', at: 32, width: 8, presence: 22 },
  direction: { column: 'packed_marks', at: 40, width: 8, presence: 23 },
};

/** `flows-v5`: the countries in a column of their own, the rest as in v4 (the AS numbers were columns). Frozen. */
const V5_PACKING: OlderPacking = {
  ...V4_PACKING,
  src_country: { column: 'packed_countries', at: 0, width: 16, presence: 16 },
  dst_country: { column: 'packed_countries', at: 16, width: 16, presence: 19 },
};

/** `flows-v6`: as v5, with the AS numbers in `packed_as`, each a whole word stored plus one. Frozen. */
const V6_PACKING: OlderPacking = {
  ...V5_PACKING,
  src_as: { column: 'packed_as', at: 0, width: 32 },
  dst_as: { column: 'packed_as', at: 32, width: 32 },
};

/** The packing of a store by the layout it records (v1 had none; v2 and v3 agree). */
function olderPacking(layout: string | undefined): OlderPacking {
  return layout === 'flows-v6' ? V6_PACKING : layout === 'flows-v5' ? V5_PACKING : layout === 'flows-v4' ? V4_PACKING : V2_PACKING;
}

/** A packed field's value in an older table: its own column (v1; v3's countries; v5's AS numbers), or its bits in a packed column. */
function olderFieldSql(field: string, present: ReadonlySet<string>, packing: OlderPacking): string | undefined {
  if (present.has(field)) return `"${field}"`;
  const old = packing[field];
  if (!old || !present.has(old.column)) return undefined;
  const bits = `(("${old.column}" >> ${old.at}) & ${2 ** old.width - 1})`;
  if (old.presence === undefined) return `CASE WHEN ${bits} <> 0 THEN ${bits} - 1 END`;
  return `CASE WHEN ("${old.column}" >> ${32 + old.presence}) & 1 = 1 THEN ${bits} END`;
}

/** Each field's narrow slot, for the rewrite to tell which values go there. */
const NARROW_SLOTS = new Map(DUCKDB_FLOW_COLUMNS.flatMap((c) => c.packs ?? []).filter((f) => f.slot === 'narrow').map((f) => [f.source.name, f]));

/** SQL: whether a field's value fits its narrow slot (an AS number it holds plus one; two capital letters). */
function fitsNarrowSql(narrow: PackedField, value: string): string {
  if (narrow.encoding.kind === 'letters') return `((${value}) >> 8) BETWEEN 65 AND 90 AND ((${value}) & 255) BETWEEN 65 AND 90`;
  return `(${value}) <= ${2 ** narrow.width - 2}`;
}

/** SQL: the bits of a packed field's value in its slot, 0 when it has none (or the slot does not take it). */
function slotBitsSql(f: PackedField, value: string): string {
  const at = f.word * 32 + f.shift;
  const mask = 2 ** f.width - 1;
  const narrow = NARROW_SLOTS.get(f.source.name);
  const takes = f.slot === 'narrow' ? ` AND ${fitsNarrowSql(f, value)}` : f.slot === 'wide' ? ` AND NOT (${fitsNarrowSql(narrow!, value)})` : '';
  const encoding = f.encoding;
  const bits =
    encoding.kind === 'plusOne'
      ? `(((${value})::HUGEINT + 1) & ${mask}) << ${at}`
      : encoding.kind === 'letters'
        ? `(((((${value})::HUGEINT >> 8) - 64) << 5) | (((${value})::HUGEINT & 255) - 64)) << ${at}`
        : `(((${value})::HUGEINT & ${mask}) << ${at}) | (1::HUGEINT << ${32 + encoding.bit})`;
  return `CASE WHEN (${value}) IS NOT NULL${takes} THEN ${bits} ELSE 0 END`;
}

/**
 * A stored column's value read from an older table with the given columns. Packed values are
 * built in 128 bits and brought back to a signed 64-bit BIGINT: a value stored plus one may
 * fill the high word up to its top bit, which a BIGINT shift would overflow on.
 */
function sourceSql(c: PhysicalColumn, present: ReadonlySet<string>, packing: OlderPacking): string {
  if (!c.packs) return present.has(c.name) ? `"${c.name}"` : 'NULL';
  const parts = c.packs.flatMap((f) => {
    const value = olderFieldSql(f.source.name, present, packing);
    return value === undefined ? [] : [slotBitsSql(f, value)];
  });
  if (parts.length === 0) return 'NULL';
  const packed = `(${parts.join(' | ')})`;
  return `NULLIF(CASE WHEN ${packed} >= 9223372036854775808 THEN ${packed} - 18446744073709551616 ELSE ${packed} END, 0)::BIGINT`;
}

/** A flow table found in a store, with its columns. */
export interface FoundTable {
  readonly name: string;
  readonly columns: ReadonlySet<string>;
}

const CURRENT_COLUMNS = new Map(FLOW_ROW_TABLES.map(({ name, columns }) => [name, new Set(columns.map((c) => c.name))]));

/**
 * Whether the flow tables found are of an older layout: a `flows` table (v1), or a row table
 * with a column the current layout folds away or moves (v2's IPv6 columns in `flow_rows`, v3's
 * countries, v4's and v5's AS numbers, v5's and v6's `packed_countries`). Missing columns are
 * not a reason: the migrations add them.
 */
export function needsRewrite(found: readonly FoundTable[]): boolean {
  return found.some((t) => {
    const current = CURRENT_COLUMNS.get(t.name);
    return current === undefined || [...t.columns].some((c) => !current.has(c));
  });
}

/**
 * The rewrite of the flow tables found into the current layout, in one transaction: every row
 * is copied into new row tables by address family, fields folded into their packed columns, and
 * the old tables are dropped (the migrations then create the view). DuckDB refuses to commit a
 * column drop on a table changed in the same transaction, so the tables are built anew and
 * renamed.
 */
export function layoutRewrite(found: readonly FoundTable[], layout: string | undefined): string[] {
  const packing = olderPacking(layout);
  const fresh = (name: string) => `${name}_rewrite`;
  const statements = ['BEGIN TRANSACTION'];
  // Where `flows` is not a table (v1), it is the view over the tables being replaced.
  if (!found.some((t) => t.name === 'flows')) statements.push('DROP VIEW IF EXISTS flows');
  for (const { name, columns } of FLOW_ROW_TABLES) statements.push(`DROP TABLE IF EXISTS ${fresh(name)}`, createTable(fresh(name), columns, false));
  for (const { name: source, columns: present } of found) {
    const v6 = DUCKDB_V6_HALVES.filter((c) => present.has(c.name)).map((c) => `"${c.name}" IS NOT NULL`);
    const anyV6 = v6.length === 0 ? 'FALSE' : `(${v6.join(' OR ')})`;
    for (const { name, columns } of FLOW_ROW_TABLES) {
      const where = name === FLOW_ROWS6_TABLE ? anyV6 : `NOT ${anyV6}`;
      statements.push(`INSERT INTO ${fresh(name)} (${columns.map((c) => `"${c.name}"`).join(', ')}) SELECT ${columns.map((c) => sourceSql(c, present, packing)).join(', ')} FROM ${source} WHERE ${where}`);
    }
  }
  for (const { name } of found) statements.push(`DROP TABLE ${name}`);
  for (const { name } of FLOW_ROW_TABLES) statements.push(`ALTER TABLE ${fresh(name)} RENAME TO ${name}`);
  statements.push('COMMIT');
  return statements;
}
