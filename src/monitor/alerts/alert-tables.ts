// The alerting tables, DuckDB and ClickHouse side by side: `alert_rules` (one row per rule name,
// a tombstone when removed) and `alert_outbox` (one row per alert and sink, with its delivery
// state). Both are keyed tables whose rows change: DuckDB replaces a row (delete then insert,
// one writer per file); ClickHouse appends versions to a ReplacingMergeTree and reads with
// FINAL. The version is a counter the writer increments (not a clock), so two writes in the same
// millisecond, or under a test clock that stands still, still order correctly.

import { storeDatabase } from '../../intel/indicator-table.js';
import type { Store } from '../../store/store.js';

/** Table names (in the store's database for ClickHouse). */
export const ALERT_RULES_TABLE = 'alert_rules';
export const ALERT_OUTBOX_TABLE = 'alert_outbox';

/** A stored rule version. */
export interface AlertRuleRow {
  name: string;
  version: number;
  /** 1 once removed. */
  deleted: number;
  updated_at: number;
  /** The rule as JSON (alert-rule.ts). */
  body: string;
}

/** Delivery states of an outbox row. */
export const ALERT_STATES = ['pending', 'delivered', 'suppressed'] as const;
export type AlertState = (typeof ALERT_STATES)[number];

/** One alert for one sink. */
export interface AlertOutboxRow {
  /** Delivery id: alert id and sink. */
  id: string;
  /** The alert's id, the same for every sink (receivers may use it to drop a repeat). */
  alert_id: string;
  rule: string;
  sink: string;
  /** Empty for a summary. */
  finding_id: string;
  /** What makes a new alert of the same finding: `severity:<level>`, or `window:<start ms>` for a summary. */
  episode: string;
  type: 'finding' | 'summary';
  state: AlertState;
  severity: string;
  attempts: number;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  delivered_at: number | null;
  /** For a suppressed alert: the summary alert that carries it. */
  summary_id: string | null;
  version: number;
  /** The message as JSON (alert-message.ts). */
  body: string;
}

type Columns = Record<string, [duckdb: string, clickhouse: string]>;

const RULE_COLUMNS: Columns = {
  name: ['VARCHAR', 'String'],
  version: ['BIGINT', 'Int64'],
  deleted: ['INTEGER', 'UInt8'],
  updated_at: ['BIGINT', 'Int64'],
  body: ['VARCHAR', 'String'],
};

const OUTBOX_COLUMNS: Columns = {
  id: ['VARCHAR', 'String'],
  alert_id: ['VARCHAR', 'String'],
  rule: ['VARCHAR', 'String'],
  sink: ['VARCHAR', 'String'],
  finding_id: ['VARCHAR', 'String'],
  episode: ['VARCHAR', 'String'],
  type: ['VARCHAR', 'String'],
  state: ['VARCHAR', 'String'],
  severity: ['VARCHAR', 'String'],
  attempts: ['INTEGER', 'Int32'],
  next_attempt_at: ['BIGINT', 'Int64'],
  last_error: ['VARCHAR', 'Nullable(String)'],
  created_at: ['BIGINT', 'Int64'],
  delivered_at: ['BIGINT', 'Nullable(Int64)'],
  summary_id: ['VARCHAR', 'Nullable(String)'],
  version: ['BIGINT', 'Int64'],
  body: ['VARCHAR', 'String'],
};

/** The SQL for one keyed table on one store. */
export interface KeyedTableSql {
  readonly ddl: string;
  /** The table as FROM names it (FINAL on ClickHouse, so the newest version of each key is read). */
  readonly from: string;
  /** Statements writing rows given as one bound JSON text (`encode`): DuckDB deletes the keys first. */
  readonly write: readonly string[];
  encode(rows: readonly object[]): string;
}

function keyedTableSql(store: Pick<Store, 'dialect' | 'location'>, table: string, columns: Columns, key: string, orderBy: string): KeyedTableSql {
  const names = Object.keys(columns);
  if (store.dialect.name === 'duckdb') {
    const struct = Object.fromEntries(names.map((n) => [n, columns[n]![0]]));
    const rows = `(SELECT unnest(from_json($1, '${JSON.stringify([struct])}'), recursive := true))`;
    return {
      ddl: `CREATE TABLE IF NOT EXISTS ${table} (${names.map((n) => `${n} ${columns[n]![0]}`).join(', ')})`,
      from: table,
      write: [`DELETE FROM ${table} WHERE ${key} IN (SELECT ${key} FROM ${rows})`, `INSERT INTO ${table} SELECT ${names.join(', ')} FROM ${rows}`],
      encode: (r) => JSON.stringify(r),
    };
  }
  const db = storeDatabase(store);
  const structure = names.map((n) => `${n} ${columns[n]![1]}`).join(', ');
  return {
    ddl: `CREATE TABLE IF NOT EXISTS ${db}.${table} (${structure}) ENGINE = ReplacingMergeTree(version) ORDER BY (${orderBy})`,
    from: `${db}.${table} FINAL`,
    write: [`INSERT INTO ${db}.${table} SELECT ${names.join(', ')} FROM format(JSONEachRow, '${structure}', {p1:String})`],
    encode: (r) => r.map((row) => JSON.stringify(row)).join('\n'),
  };
}

/** SQL of the rules table. */
export function alertRulesSql(store: Pick<Store, 'dialect' | 'location'>): KeyedTableSql {
  return keyedTableSql(store, ALERT_RULES_TABLE, RULE_COLUMNS, 'name', 'name');
}

/** SQL of the outbox table. */
export function alertOutboxSql(store: Pick<Store, 'dialect' | 'location'>): KeyedTableSql {
  return keyedTableSql(store, ALERT_OUTBOX_TABLE, OUTBOX_COLUMNS, 'id', 'id');
}
