// DDL of the tables that hold users, API tokens and the audit log, for DuckDB and ClickHouse side
// by side. Rows are only ever appended: a change to a user or token is a new row with a higher
// `version`, so the same SQL reads both backends and the audit table needs no UPDATE at all.

import type { Dialect } from '../../store/store.js';

/** Table names; a ClickHouse store qualifies them with its database. */
export interface AccountTables {
  readonly users: string;
  readonly tokens: string;
  readonly audit: string;
}

/** The table names for a store, optionally qualified (`db.`) for ClickHouse. */
export function accountTables(dialect: Dialect, database?: string): AccountTables {
  const name = (table: string): string => (database ? `${dialect.quote(database)}.${dialect.quote(table)}` : dialect.quote(table));
  return { users: name('vantage_users'), tokens: name('vantage_tokens'), audit: name('vantage_audit') };
}

// Column lists, in one place so the two dialects cannot drift apart.
const USER_COLUMNS = [
  ['name', 'text'],
  ['role', 'text'],
  ['password_hash', 'text'],
  ['scopes', 'text'],
  ['disabled', 'flag'],
  ['version', 'int'],
  ['changed_by', 'text'],
] as const;

const TOKEN_COLUMNS = [
  ['id', 'text'],
  ['name', 'text'],
  ['role', 'text'],
  ['secret_hash', 'text'],
  ['scopes', 'text'],
  ['created_at', 'int'],
  ['created_by', 'text'],
  ['expires_at', 'int'],
  ['revoked', 'flag'],
  ['version', 'int'],
] as const;

const AUDIT_COLUMNS = [
  ['id', 'text'],
  ['at', 'int'],
  ['actor', 'text'],
  ['actor_kind', 'text'],
  ['actor_id', 'text'],
  ['role', 'text'],
  ['action', 'text'],
  ['target', 'text'],
  ['detail', 'text'],
  ['row_count', 'int'],
  ['status', 'text'],
  ['error_code', 'text'],
  ['client', 'text'],
  ['elapsed_ms', 'int'],
] as const;

type Logical = 'text' | 'int' | 'flag';

/** Column names of each table, in DDL order. */
export const ACCOUNT_COLUMNS = {
  users: USER_COLUMNS.map((c) => c[0]),
  tokens: TOKEN_COLUMNS.map((c) => c[0]),
  audit: AUDIT_COLUMNS.map((c) => c[0]),
} as const;

const DUCKDB_TYPE: Record<Logical, string> = { text: 'VARCHAR', int: 'BIGINT', flag: 'UTINYINT' };
const CLICKHOUSE_TYPE: Record<Logical, string> = { text: 'String', int: 'Int64', flag: 'UInt8' };

function columnsSql(dialect: Dialect, columns: readonly (readonly [string, Logical])[]): string {
  const types = dialect.name === 'duckdb' ? DUCKDB_TYPE : CLICKHOUSE_TYPE;
  return columns.map(([name, logical]) => `${dialect.quote(name)} ${types[logical]}`).join(', ');
}

/** Idempotent statements creating the account tables for the dialect. */
export function accountMigrations(dialect: Dialect, tables: AccountTables): string[] {
  const q = dialect.quote;
  if (dialect.name === 'duckdb') {
    return [
      `CREATE TABLE IF NOT EXISTS ${tables.users} (${columnsSql(dialect, USER_COLUMNS)})`,
      `CREATE TABLE IF NOT EXISTS ${tables.tokens} (${columnsSql(dialect, TOKEN_COLUMNS)})`,
      `CREATE TABLE IF NOT EXISTS ${tables.audit} (${columnsSql(dialect, AUDIT_COLUMNS)})`,
    ];
  }
  // ClickHouse: plain MergeTree, never mutated; readers take the highest version per key.
  return [
    `CREATE TABLE IF NOT EXISTS ${tables.users} (${columnsSql(dialect, USER_COLUMNS)}) ENGINE = MergeTree ORDER BY (${q('name')}, ${q('version')})`,
    `CREATE TABLE IF NOT EXISTS ${tables.tokens} (${columnsSql(dialect, TOKEN_COLUMNS)}) ENGINE = MergeTree ORDER BY (${q('id')}, ${q('version')})`,
    `CREATE TABLE IF NOT EXISTS ${tables.audit} (${columnsSql(dialect, AUDIT_COLUMNS)}) ENGINE = MergeTree PARTITION BY toYYYYMM(toDateTime(intDiv(${q('at')}, 1000))) ORDER BY (${q('at')}, ${q('id')})`,
  ];
}

/** The logical kind of each column, to bind values with the right parameter type. */
export function columnKinds(table: keyof typeof ACCOUNT_COLUMNS): Record<string, Logical> {
  const list = table === 'users' ? USER_COLUMNS : table === 'tokens' ? TOKEN_COLUMNS : AUDIT_COLUMNS;
  return Object.fromEntries(list.map(([n, l]) => [n, l]));
}
