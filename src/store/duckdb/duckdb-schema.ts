// DuckDB DDL generated from the column table, as idempotent statements run at every open, and
// the one-time rewrite of stores created with an older layout.

import { DUCKDB_FLOW_COLUMNS, DUCKDB_V4_ROW_COLUMNS, DUCKDB_VIEW_COLUMNS, type PhysicalColumn } from './duckdb-dialect.js';

/**
 * The layout this code writes. `flows-v3`: flows without an IPv6 address live in `flow_rows`
 * (no IPv6 columns), the others in `flow_rows6` (every column); the rarely filled small fields
 * are folded into packed columns; `flows` is a view over both tables that unpacks them. (Not
 * virtual columns of the table: DuckDB's appender takes a much slower path for a table that has
 * any.) `flows-v2` had one `flow_rows` table with the IPv6 columns; `flows-v1` a `flows` table.
 */
export const FLOW_TABLE_LAYOUT = 'flows-v3';

/** The tables flows are appended to and deleted from; everything else reads the `flows` view. */
export const FLOW_ROWS_TABLE = 'flow_rows';
export const FLOW_ROWS6_TABLE = 'flow_rows6';

/** Each row table with its columns, in table order. */
export const FLOW_ROW_TABLES: readonly { readonly name: string; readonly columns: readonly PhysicalColumn[] }[] = [
  { name: FLOW_ROWS_TABLE, columns: DUCKDB_V4_ROW_COLUMNS },
  { name: FLOW_ROWS6_TABLE, columns: DUCKDB_FLOW_COLUMNS },
];

const V6_HALVES = DUCKDB_FLOW_COLUMNS.filter((c) => c.family === 6);

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

/** SQL that packs a `flows-v1` table's separate columns into a packed column's 64-bit value. */
function packSql(c: PhysicalColumn, present: ReadonlySet<string>): string {
  const parts = c.packs!.filter((f) => present.has(f.source.name)).map((f) => {
    const col = `"${f.source.name}"`;
    const value = `((${col}::BIGINT & ${2 ** f.width - 1}) << ${f.word * 32 + f.shift})`;
    return `CASE WHEN ${col} IS NULL THEN 0 ELSE ${value} | (1::BIGINT << ${32 + f.presenceBit}) END`;
  });
  return parts.length === 0 ? 'NULL' : `NULLIF(${parts.join(' | ')}, 0)`;
}

/** A stored column's value read from an older table with the given columns. */
function sourceSql(c: PhysicalColumn, present: ReadonlySet<string>): string {
  if (present.has(c.name)) return `"${c.name}"`;
  return c.packs ? packSql(c, present) : 'NULL';
}

/**
 * The rewrite of an older flow table into the current layout, in one transaction: `flows` of
 * `flows-v1` (every field a column of its own) or `flow_rows` of `flows-v2` (IPv6 columns in
 * every row). Its rows are copied into the two row tables by address family, with the packed
 * fields folded, and it is dropped (the migrations then create the view). DuckDB refuses to
 * commit a column drop on a table changed in the same transaction, so `flow_rows` is built anew
 * and renamed.
 */
export function layoutRewrite(table: 'flows' | typeof FLOW_ROWS_TABLE, present: ReadonlySet<string>): string[] {
  const v6 = V6_HALVES.filter((c) => present.has(c.name)).map((c) => `"${c.name}" IS NOT NULL`);
  const anyV6 = v6.length === 0 ? 'FALSE' : `(${v6.join(' OR ')})`;
  const copy = (target: string, columns: readonly PhysicalColumn[], where: string) =>
    `INSERT INTO ${target} (${columns.map((c) => `"${c.name}"`).join(', ')}) SELECT ${columns.map((c) => sourceSql(c, present)).join(', ')} FROM ${table} WHERE ${where}`;
  const fresh = `${FLOW_ROWS_TABLE}_rewrite`;
  return [
    'BEGIN TRANSACTION',
    // In a v2 store `flows` is the view over the table being replaced.
    ...(table === FLOW_ROWS_TABLE ? ['DROP VIEW IF EXISTS flows'] : []),
    `DROP TABLE IF EXISTS ${FLOW_ROWS6_TABLE}`,
    createTable(FLOW_ROWS6_TABLE, DUCKDB_FLOW_COLUMNS, false),
    copy(FLOW_ROWS6_TABLE, DUCKDB_FLOW_COLUMNS, anyV6),
    `DROP TABLE IF EXISTS ${fresh}`,
    createTable(fresh, DUCKDB_V4_ROW_COLUMNS, false),
    copy(fresh, DUCKDB_V4_ROW_COLUMNS, `NOT ${anyV6}`),
    `DROP TABLE ${table}`,
    `ALTER TABLE ${fresh} RENAME TO ${FLOW_ROWS_TABLE}`,
    'COMMIT',
  ];
}

/** Whether a `flow_rows` table with these columns is of the `flows-v2` layout (it has IPv6 columns). */
export function isV2FlowRows(columns: ReadonlySet<string>): boolean {
  return V6_HALVES.some((c) => columns.has(c.name));
}
