// The findings table, DuckDB and ClickHouse side by side. A finding is one row keyed by its id;
// the columns triage filters on are columns, the rest of the finding is a JSON body.
//
// The difference that matters: DuckDB replaces a finding's row (delete then insert, one writer
// per file); ClickHouse keeps versions in a ReplacingMergeTree with `updated_at` as the version
// and reads with FINAL, so an update is an append and the newest version wins.

import { storeDatabase } from '../intel/indicator-table.js';
import type { Store } from '../store/store.js';

/** Table name (in the store's database for ClickHouse). */
export const FINDINGS_TABLE = 'findings';

/** One row as both engines read it from JSON. */
export interface FindingRow {
  id: string;
  kind: string;
  subkind: string;
  status: string;
  severity: string;
  score: number;
  src: string | null;
  dst: string | null;
  dport: number | null;
  first_ms: number;
  last_ms: number;
  runs: number;
  created_at: number;
  updated_at: number;
  body: string;
}

const STRUCT = {
  id: 'VARCHAR', kind: 'VARCHAR', subkind: 'VARCHAR', status: 'VARCHAR', severity: 'VARCHAR', score: 'DOUBLE',
  src: 'VARCHAR', dst: 'VARCHAR', dport: 'INTEGER', first_ms: 'BIGINT', last_ms: 'BIGINT', runs: 'INTEGER',
  created_at: 'BIGINT', updated_at: 'BIGINT', body: 'VARCHAR',
};
const COLUMNS = Object.keys(STRUCT).join(', ');

/** The SQL the findings repository runs, for one store. */
export interface FindingsSql {
  readonly ddl: readonly string[];
  /** The table as FROM names it (FINAL on ClickHouse). */
  readonly from: string;
  /** Statements writing rows given as one bound JSON text (`encode`): DuckDB deletes the ids first. */
  readonly write: readonly string[];
  /** Rows as the write statements' parameter. */
  encode(rows: readonly FindingRow[]): string;
}

/** The findings SQL of a store's backend. */
export function findingsSql(store: Pick<Store, 'dialect' | 'location'>): FindingsSql {
  if (store.dialect.name === 'duckdb') {
    const rows = `(SELECT unnest(from_json($1, '${JSON.stringify([STRUCT])}'), recursive := true))`;
    return {
      ddl: [
        `CREATE TABLE IF NOT EXISTS ${FINDINGS_TABLE} (id VARCHAR NOT NULL, kind VARCHAR NOT NULL, subkind VARCHAR, status VARCHAR NOT NULL,
  severity VARCHAR NOT NULL, score DOUBLE NOT NULL, src VARCHAR, dst VARCHAR, dport INTEGER, first_ms BIGINT NOT NULL,
  last_ms BIGINT NOT NULL, runs INTEGER NOT NULL, created_at BIGINT NOT NULL, updated_at BIGINT NOT NULL, body VARCHAR NOT NULL)`,
      ],
      from: FINDINGS_TABLE,
      write: [`DELETE FROM ${FINDINGS_TABLE} WHERE id IN (SELECT id FROM ${rows})`, `INSERT INTO ${FINDINGS_TABLE} SELECT ${COLUMNS} FROM ${rows}`],
      encode: (r) => JSON.stringify(r),
    };
  }
  const db = storeDatabase(store);
  const structure =
    'id String, kind String, subkind String, status String, severity String, score Float64, src Nullable(String), dst Nullable(String), ' +
    'dport Nullable(Int32), first_ms Int64, last_ms Int64, runs Int32, created_at Int64, updated_at Int64, body String';
  return {
    ddl: [
      `CREATE TABLE IF NOT EXISTS ${db}.${FINDINGS_TABLE} (id String, kind LowCardinality(String), subkind LowCardinality(String),
  status LowCardinality(String), severity LowCardinality(String), score Float64, src Nullable(String), dst Nullable(String),
  dport Nullable(Int32), first_ms Int64, last_ms Int64, runs Int32, created_at Int64, updated_at Int64, body String CODEC(ZSTD(3))
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY id`,
    ],
    from: `${db}.${FINDINGS_TABLE} FINAL`,
    write: [`INSERT INTO ${db}.${FINDINGS_TABLE} SELECT ${COLUMNS} FROM format(JSONEachRow, '${structure}', {p1:String})`],
    encode: (r) => r.map((row) => JSON.stringify(row)).join('\n'),
  };
}
