// The indicator tables in the flow store, DuckDB and ClickHouse side by side: DDL (created
// idempotently), the bulk upsert, expiry and reads. Values are always bound parameters: rows
// travel as JSON that each engine unpacks itself (DuckDB read_json of a file whose path is
// bound, ClickHouse format() of a bound text).
//
// The difference that matters: DuckDB updates rows, so a reload deletes the keys it brings and
// inserts them anew inside a transaction. ClickHouse does not update rows: the table is a
// ReplacingMergeTree keyed by (source, type, value) with `updated_at` as the version, a reload
// appends new versions, and reads use FINAL to see only the latest version of each key.

import { VantageError } from '../core/errors.js';
import { formatIp } from '../core/ip.js';
import { FLOW_V4_COPIES } from '../store/clickhouse/clickhouse-schema.js';
import type { Dialect, Store } from '../store/store.js';

function clickHouseIpText(ip: number | bigint): string {
  return typeof ip === 'number' ? `::ffff:${formatIp(ip)}` : formatIp(ip);
}

/** Indicator table name (in the store's database for ClickHouse). */
export const INDICATOR_TABLE = 'intel_indicators';
/** Feed table: one row per source, for `intel list`. */
export const FEED_TABLE = 'intel_feeds';

/**
 * One stored indicator row, as JSON travels to and from the engines. Times are epoch ms; the
 * address range columns are filled for address and network indicators so SQL can use them.
 */
export interface IndicatorRow {
  source: string;
  type: string;
  value: string;
  kind: string;
  feed: string;
  family: string | null;
  tags: string[];
  confidence: number | null;
  reference: string | null;
  attrs: string;
  detect: boolean;
  file: string;
  line: number;
  raw: string;
  first_seen: number | null;
  last_seen: number | null;
  valid_until: number | null;
  loaded_first: number;
  loaded_last: number;
  expired_at: number | null;
  updated_at: number;
  ip_family: number;
  /** Range ends as the engine reads them (`ipColumnText`); null for non-address types. */
  ip_first: string | null;
  ip_last: string | null;
  port: number | null;
}

/** One feed row. */
export interface FeedRow {
  source: string;
  feed: string;
  file: string;
  title: string;
  generated_at: number | null;
  loaded_at: number;
  entries: number;
  active: number;
  rejected: number;
  added: number;
  updated: number;
  expired: number;
}

// ---------------------------------------------------------------- DuckDB

const DUCKDB_DDL = [
  `CREATE TABLE IF NOT EXISTS ${INDICATOR_TABLE} (
  source VARCHAR NOT NULL, type VARCHAR NOT NULL, value VARCHAR NOT NULL,
  kind VARCHAR NOT NULL, feed VARCHAR NOT NULL, family VARCHAR, tags VARCHAR[], confidence UTINYINT,
  reference VARCHAR, attrs VARCHAR, detect BOOLEAN NOT NULL, file VARCHAR, line UINTEGER, raw VARCHAR,
  first_seen BIGINT, last_seen BIGINT, valid_until BIGINT,
  loaded_first BIGINT NOT NULL, loaded_last BIGINT NOT NULL, expired_at BIGINT, updated_at BIGINT NOT NULL,
  ip_family UTINYINT, ip_first4 UINTEGER, ip_last4 UINTEGER, ip_first6 UHUGEINT, ip_last6 UHUGEINT, port USMALLINT)`,
  `CREATE TABLE IF NOT EXISTS ${FEED_TABLE} (
  source VARCHAR PRIMARY KEY, feed VARCHAR, file VARCHAR, title VARCHAR, generated_at BIGINT, loaded_at BIGINT,
  entries UINTEGER, active UINTEGER, rejected UINTEGER, added UINTEGER, updated UINTEGER, expired UINTEGER)`,
];

/** The columns read_json reads from the staged rows file (addresses as decimal text, cast after). */
const DUCKDB_ROW_COLUMNS =
  "{source: 'VARCHAR', type: 'VARCHAR', value: 'VARCHAR', kind: 'VARCHAR', feed: 'VARCHAR', family: 'VARCHAR', tags: 'VARCHAR[]', " +
  "confidence: 'UTINYINT', reference: 'VARCHAR', attrs: 'VARCHAR', detect: 'BOOLEAN', file: 'VARCHAR', line: 'UINTEGER', raw: 'VARCHAR', " +
  "first_seen: 'BIGINT', last_seen: 'BIGINT', valid_until: 'BIGINT', loaded_first: 'BIGINT', loaded_last: 'BIGINT', expired_at: 'BIGINT', " +
  "updated_at: 'BIGINT', ip_family: 'UTINYINT', ip_first: 'VARCHAR', ip_last: 'VARCHAR', port: 'USMALLINT'}";

/**
 * DuckDB reads a load's rows from a JSON-lines file whose path is bound ($1): its JSON reader
 * takes 120k rows in a fraction of a second, where unpacking the same rows from a bound string
 * with from_json took seconds. The rows go to a TEMP staging table, then replace their keys.
 */
const DUCKDB_STAGE = [
  // DDL takes no parameters: the staging table is made empty first, then filled.
  `CREATE OR REPLACE TEMP TABLE intel_stage AS SELECT * FROM ${INDICATOR_TABLE} LIMIT 0`,
  `INSERT INTO intel_stage
SELECT source, type, value, kind, feed, family, tags, confidence, reference, attrs, detect, file, line, raw,
  first_seen, last_seen, valid_until, loaded_first, loaded_last, expired_at, updated_at, ip_family,
  CASE WHEN ip_family = 4 THEN ip_first::UINTEGER END,
  CASE WHEN ip_family = 4 THEN ip_last::UINTEGER END,
  CASE WHEN ip_family = 6 THEN ip_first::UHUGEINT END,
  CASE WHEN ip_family = 6 THEN ip_last::UHUGEINT END,
  port
FROM read_json($1, format = 'newline_delimited', columns = ${DUCKDB_ROW_COLUMNS})`,
];

/**
 * Keys are unique by construction: one writer per DuckDB file, and a load deletes the staged
 * keys of its source before inserting them (a primary key made every reload rewrite its index
 * entry by entry, ten times slower).
 */
const DUCKDB_REPLACE = [
  `DELETE FROM ${INDICATOR_TABLE} WHERE source = $1 AND EXISTS (SELECT 1 FROM intel_stage s WHERE s.type = ${INDICATOR_TABLE}.type AND s.value = ${INDICATOR_TABLE}.value)`,
  `INSERT INTO ${INDICATOR_TABLE} SELECT * FROM intel_stage`,
];

// ---------------------------------------------------------------- ClickHouse

function clickHouseDdl(db: string): string[] {
  return [
    `CREATE TABLE IF NOT EXISTS ${db}.${INDICATOR_TABLE} (
  source String, type LowCardinality(String), value String,
  kind LowCardinality(String), feed LowCardinality(String), family Nullable(String), tags Array(String), confidence Nullable(UInt8),
  reference Nullable(String), attrs String, detect Bool, file String, line UInt32, raw String,
  first_seen Nullable(Int64), last_seen Nullable(Int64), valid_until Nullable(Int64),
  loaded_first Int64, loaded_last Int64, expired_at Nullable(Int64), updated_at Int64,
  ip_family UInt8, ip_first Nullable(IPv6), ip_last Nullable(IPv6), port Nullable(UInt16)
) ENGINE = ReplacingMergeTree(updated_at) ORDER BY (source, type, value)`,
    `CREATE TABLE IF NOT EXISTS ${db}.${FEED_TABLE} (
  source String, feed LowCardinality(String), file String, title String, generated_at Nullable(Int64), loaded_at Int64,
  entries UInt32, active UInt32, rejected UInt32, added UInt32, updated UInt32, expired UInt32
) ENGINE = ReplacingMergeTree(loaded_at) ORDER BY source`,
  ];
}

const CLICKHOUSE_ROW_STRUCTURE =
  'source String, type String, value String, kind String, feed String, family Nullable(String), tags Array(String), ' +
  'confidence Nullable(UInt8), reference Nullable(String), attrs String, detect Bool, file String, line UInt32, raw String, ' +
  'first_seen Nullable(Int64), last_seen Nullable(Int64), valid_until Nullable(Int64), loaded_first Int64, loaded_last Int64, ' +
  'expired_at Nullable(Int64), updated_at Int64, ip_family UInt8, ip_first Nullable(String), ip_last Nullable(String), port Nullable(UInt16)';

function clickHouseUpsert(db: string): string {
  const ip = (c: string) => `toIPv6OrNull(${c})`;
  return `INSERT INTO ${db}.${INDICATOR_TABLE}
SELECT source, type, value, kind, feed, family, tags, confidence, reference, attrs, detect, file, line, raw,
  first_seen, last_seen, valid_until, loaded_first, loaded_last, expired_at, updated_at, ip_family,
  ${ip('ip_first')}, ${ip('ip_last')}, port
FROM format(JSONEachRow, '${CLICKHOUSE_ROW_STRUCTURE}', {p1:String})`;
}

// ---------------------------------------------------------------- the dialect-neutral face

/**
 * An address as the upsert reads it: decimal text for DuckDB (cast to UINTEGER or UHUGEINT by
 * family, as the flow table splits them), IPv6 text for ClickHouse (IPv4 as ::ffff:a.b.c.d).
 */
export function ipColumnText(dialect: Dialect, ip: number | bigint): string {
  if (dialect.name === 'duckdb') return ip.toString();
  return clickHouseIpText(ip);
}

/** The SQL the indicator repository needs, written for one backend. */
export interface IndicatorSql {
  /** Statements creating the tables; safe to run at every open. */
  readonly ddl: readonly string[];
  /** The table as FROM names it, with FINAL where the engine needs it to drop old versions. */
  readonly indicators: string;
  readonly feeds: string;
  /**
   * How a load's rows get in. `file`: rows are written to a JSON-lines file, `stage` reads it
   * (path bound as $1), `replace` runs with the source bound as $1, then `dropStage`. `param`:
   * `upsert` takes chunks of rows as one bound text parameter (`encodeRows`).
   */
  readonly rowsVia: 'file' | 'param';
  readonly stage: readonly string[];
  readonly replace: readonly string[];
  readonly dropStage: string;
  readonly upsert: string;
  /** Upserts one feed row given as a one-element JSON array. */
  readonly upsertFeed: string;
  /** Marks a source's rows not refreshed by this load as expired: params (now, source). */
  readonly expire: string;
  /** Whether statements run in a transaction (DuckDB) or stand alone (ClickHouse). */
  readonly transactional: boolean;
}

const FEED_STRUCT = { source: 'VARCHAR', feed: 'VARCHAR', file: 'VARCHAR', title: 'VARCHAR', generated_at: 'BIGINT', loaded_at: 'BIGINT', entries: 'UINTEGER', active: 'UINTEGER', rejected: 'UINTEGER', added: 'UINTEGER', updated: 'UINTEGER', expired: 'UINTEGER' };
const FEED_COLUMNS = Object.keys(FEED_STRUCT).join(', ');

/** The indicator SQL of a store's dialect; `database` qualifies ClickHouse tables. */
export function indicatorSql(dialect: Dialect, database: string): IndicatorSql {
  if (dialect.name === 'duckdb') {
    return {
      ddl: DUCKDB_DDL,
      indicators: INDICATOR_TABLE,
      feeds: FEED_TABLE,
      rowsVia: 'file',
      stage: DUCKDB_STAGE,
      replace: DUCKDB_REPLACE,
      dropStage: 'DROP TABLE IF EXISTS intel_stage',
      upsert: '',
      upsertFeed: `INSERT OR REPLACE INTO ${FEED_TABLE} SELECT ${FEED_COLUMNS} FROM (SELECT unnest(from_json($1, '${JSON.stringify([FEED_STRUCT])}'), recursive := true))`,
      expire: `UPDATE ${INDICATOR_TABLE} SET expired_at = $1, updated_at = $1 WHERE source = $2 AND loaded_last < $1 AND expired_at IS NULL`,
      transactional: true,
    };
  }
  const db = identifier(database);
  const feedStructure = 'source String, feed String, file String, title String, generated_at Nullable(Int64), loaded_at Int64, entries UInt32, active UInt32, rejected UInt32, added UInt32, updated UInt32, expired UInt32';
  return {
    ddl: clickHouseDdl(db),
    indicators: `${db}.${INDICATOR_TABLE} FINAL`,
    feeds: `${db}.${FEED_TABLE} FINAL`,
    rowsVia: 'param',
    stage: [],
    replace: [],
    dropStage: '',
    upsert: clickHouseUpsert(db),
    upsertFeed: `INSERT INTO ${db}.${FEED_TABLE} SELECT ${FEED_COLUMNS} FROM format(JSONEachRow, '${feedStructure}', {p1:String})`,
    // A new version of each row to expire, carrying everything else unchanged. The WHERE names
    // columns through the table alias: bare names would mean the REPLACE aliases.
    expire:
      `INSERT INTO ${db}.${INDICATOR_TABLE} SELECT * REPLACE ({p1:Int64} AS expired_at, {p1:Int64} AS updated_at) ` +
      `FROM ${db}.${INDICATOR_TABLE} AS old FINAL WHERE old.source = {p2:String} AND old.loaded_last < {p1:Int64} AND old.expired_at IS NULL`,
    transactional: false,
  };
}

/** Rows as the upsert's JSON parameter: an array for DuckDB's from_json, JSON lines for ClickHouse's format(). */
export function encodeRows(dialect: Dialect, rows: readonly object[]): string {
  return dialect.name === 'duckdb' ? JSON.stringify(rows) : rows.map((r) => JSON.stringify(r)).join('\n');
}

function identifier(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new VantageError('STORE_URL', `invalid ClickHouse database name '${name}'`);
  return name;
}

/**
 * The ClickHouse database a store writes to. The store qualifies only the flow tables itself and
 * does not expose its database, so it is read from the store's location: `chdb:PATH` stores use
 * `vantage` (as the store factory sets), server URLs end with `/DATABASE`.
 */
export function storeDatabase(store: Pick<Store, 'location' | 'dialect'>): string {
  if (store.dialect.name !== 'clickhouse') return '';
  if (store.location.startsWith('chdb:')) return 'vantage';
  const db = store.location.slice(store.location.lastIndexOf('/') + 1);
  return db === '' ? 'vantage' : db;
}

// ---------------------------------------------------------------- retro-hunt scratch table

/** SQL for the retro-hunt's table of matched addresses, per backend. */
export interface HuntSql {
  readonly create: readonly string[];
  /** Inserts the addresses of the JSON parameter (`[{"a4":..,"a6":..}]` / lines of `{"a":..}`). */
  readonly insert: string;
  readonly drop: string;
  /** Condition: an address column of `flows` holds one of the matched addresses. */
  inSet(dialect: Dialect, column: string): string;
  /** One address as the insert's JSON row. */
  row(ip: number | bigint): object;
}

/**
 * The matched-address table. DuckDB: a TEMP table of the connection (split v4/v6 columns, as
 * the flow table). ClickHouse: a Memory table with a unique name (the HTTP interface has no
 * session to hold a temporary table), dropped when the hunt ends.
 */
export function huntSql(dialect: Dialect, database: string): HuntSql {
  if (dialect.name === 'duckdb') {
    const table = 'intel_hunt_hits';
    return {
      create: [`CREATE TEMP TABLE IF NOT EXISTS ${table} (a4 UINTEGER, a6 UHUGEINT)`, `DELETE FROM ${table}`],
      insert: `INSERT INTO ${table} SELECT a4, a6::UHUGEINT FROM (SELECT unnest(from_json($1, '[{"a4":"UINTEGER","a6":"VARCHAR"}]'), recursive := true))`,
      drop: `DROP TABLE IF EXISTS ${table}`,
      inSet: (d, column) => {
        const [c4, c6] = d.ipColumns(column);
        return `(${c4} IN (SELECT a4 FROM ${table} WHERE a4 IS NOT NULL) OR ${c6} IN (SELECT a6 FROM ${table} WHERE a6 IS NOT NULL))`;
      },
      row: (ip) => (typeof ip === 'number' ? { a4: ip, a6: null } : { a4: null, a6: ip.toString() }),
    };
  }
  const table = `${identifier(database)}.intel_hunt_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6).toString(36)}`;
  return {
    // a4: the address when IPv4 and not 0.0.0.0, else 0 (as the flows' IPv4 copies hold it).
    create: [`CREATE TABLE ${table} (a IPv6, a4 UInt32) ENGINE = Memory`],
    insert: `INSERT INTO ${table} SELECT toIPv6(a), a4 FROM format(JSONEachRow, 'a String, a4 UInt32', {p1:String})`,
    drop: `DROP TABLE IF EXISTS ${table}`,
    inSet: (d, column) => {
      const copy = FLOW_V4_COPIES[column];
      // The IPv4 copy reads 4 bytes a row instead of 16; 0 there also stands for IPv6.
      if (copy === undefined) return `${d.ipColumns(column)[0]} IN (SELECT a FROM ${table})`;
      return `(${d.quote(copy)} IN (SELECT a4 FROM ${table} WHERE a4 != 0) OR ${d.ipColumns(column)[0]} IN (SELECT a FROM ${table} WHERE a4 = 0))`;
    },
    row: (ip) => ({ a: clickHouseIpText(ip), a4: typeof ip === 'number' ? ip : 0 }),
  };
}
