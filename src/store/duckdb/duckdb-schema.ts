// DuckDB DDL generated from the column table, as idempotent statements run at every open, and
// the one-time rewrite of stores created before the packed columns.

import { DUCKDB_FLOW_COLUMNS, DUCKDB_VIEW_COLUMNS, type PhysicalColumn } from './duckdb-dialect.js';

/**
 * The layout this code writes. `flows-v2`: rows live in `flow_rows`, with the rarely filled small
 * fields folded into packed columns, and `flows` is a view that unpacks them. (Not virtual columns
 * of the table: DuckDB's appender takes a much slower path for a table that has any.)
 */
export const FLOW_TABLE_LAYOUT = 'flows-v2';

/** The table flows are appended to and deleted from; everything else reads the `flows` view. */
export const FLOW_ROWS_TABLE = 'flow_rows';

/** The flow table's CREATE statement (without IF NOT EXISTS for the rewrite, which drops any first). */
function createFlowTable(ifNotExists = true): string {
  return `CREATE TABLE ${ifNotExists ? 'IF NOT EXISTS ' : ''}${FLOW_ROWS_TABLE} (${DUCKDB_FLOW_COLUMNS.map((c) => `"${c.name}" ${c.sqlType}`).join(', ')})`;
}

/** The `flows` view: every logical column under its own name, packed fields unpacked. */
function createFlowsView(): string {
  const columns = DUCKDB_VIEW_COLUMNS.map((c) => (c.generated ? `${c.generated} AS "${c.name}"` : `"${c.name}"`));
  return `CREATE OR REPLACE VIEW flows AS SELECT ${columns.join(', ')} FROM ${FLOW_ROWS_TABLE}`;
}

/** Statements that create or bring the schema up to date; safe to run any number of times. */
export function duckDbMigrations(): string[] {
  return [
    createFlowTable(),
    // Columns added to the table after a store was created arrive here.
    ...DUCKDB_FLOW_COLUMNS.map((c) => `ALTER TABLE ${FLOW_ROWS_TABLE} ADD COLUMN IF NOT EXISTS "${c.name}" ${c.sqlType}`),
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

/**
 * The rewrite of a `flows-v1` table (a table named `flows`, every field a column of its own) into
 * the current layout, in one transaction: the rows are copied into `flow_rows` with the packed
 * fields folded, and the old table is dropped (the migrations then create the view in its place).
 */
export function legacyLayoutRewrite(legacyColumnNames: ReadonlySet<string>): string[] {
  const targets = DUCKDB_FLOW_COLUMNS.map((c) => `"${c.name}"`).join(', ');
  const sources = DUCKDB_FLOW_COLUMNS.map((c) => (c.packs ? packSql(c, legacyColumnNames) : legacyColumnNames.has(c.name) ? `"${c.name}"` : 'NULL')).join(', ');
  return [
    'BEGIN TRANSACTION',
    `DROP TABLE IF EXISTS ${FLOW_ROWS_TABLE}`,
    createFlowTable(false),
    `INSERT INTO ${FLOW_ROWS_TABLE} (${targets}) SELECT ${sources} FROM flows`,
    'DROP TABLE flows',
    'COMMIT',
  ];
}
