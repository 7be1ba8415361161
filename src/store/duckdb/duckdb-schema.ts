// DuckDB DDL generated from the column table, as idempotent statements run at every open.

import { DUCKDB_FLOW_COLUMNS } from './duckdb-dialect.js';

/** Statements that create or bring the schema up to date; safe to run any number of times. */
export function duckDbMigrations(): string[] {
  const columns = DUCKDB_FLOW_COLUMNS.map((c) => `"${c.name}" ${c.sqlType}`);
  return [
    `CREATE TABLE IF NOT EXISTS flows (${columns.join(', ')})`,
    // Columns added to the table after a store was created arrive here.
    ...DUCKDB_FLOW_COLUMNS.map((c) => `ALTER TABLE flows ADD COLUMN IF NOT EXISTS "${c.name}" ${c.sqlType}`),
    `CREATE TABLE IF NOT EXISTS vantage_meta (key VARCHAR PRIMARY KEY, value VARCHAR)`,
    `INSERT OR REPLACE INTO vantage_meta VALUES ('schema', 'flows-v1')`,
  ];
}
