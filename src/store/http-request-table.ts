// The http_requests table in the flow store, DuckDB and ClickHouse side by side: DDL (created
// idempotently), the bulk insert (rows travel as JSON that each engine unpacks itself: DuckDB
// read_json of a file whose path is bound, ClickHouse format() of a bound text), and the
// column expressions readers use. Addresses are stored as the flow table stores them, so the
// Dialect's address helpers (ipColumns, ipEquals, decodeIp) work on this table too.

import type { HttpRequest } from '../decode/http/http-request.js';
import { storeDatabase } from '../intel/indicator-table.js';
import { asSideTableStore, BatchedRowWriter, clickHouseIpText, duckDbIpFields, insertJsonRows, type SideTableStore } from './side-table-rows.js';
import type { Store } from './store.js';

/** Table name (in the store's database for ClickHouse). */
export const HTTP_REQUEST_TABLE = 'http_requests';

/** What the table needs of a store. */
export type HttpRequestStore = SideTableStore;

/** The store behind a sink, when the sink is one (tests and the CLI pass the store itself). */
export function asHttpRequestStore(sink: unknown): HttpRequestStore | undefined {
  return asSideTableStore(sink);
}

const TEXT_COLUMNS = ['method', 'host', 'uri', 'user_agent', 'headers', 'body', 'source'] as const;

const DUCKDB_DDL = `CREATE TABLE IF NOT EXISTS ${HTTP_REQUEST_TABLE} (
  ts BIGINT NOT NULL, src4 UINTEGER, src6 UHUGEINT, dst4 UINTEGER, dst6 UHUGEINT, sport USMALLINT NOT NULL, dport USMALLINT NOT NULL,
  method VARCHAR NOT NULL, host VARCHAR NOT NULL, uri VARCHAR NOT NULL, user_agent VARCHAR NOT NULL, headers VARCHAR NOT NULL,
  body VARCHAR NOT NULL, source VARCHAR NOT NULL)`;

const DUCKDB_JSON_COLUMNS =
  "{ts: 'BIGINT', src4: 'UINTEGER', src6: 'VARCHAR', dst4: 'UINTEGER', dst6: 'VARCHAR', sport: 'USMALLINT', dport: 'USMALLINT', " +
  TEXT_COLUMNS.map((c) => `${c}: 'VARCHAR'`).join(', ') +
  '}';

const DUCKDB_INSERT =
  `INSERT INTO ${HTTP_REQUEST_TABLE} SELECT ts, src4, src6::UHUGEINT, dst4, dst6::UHUGEINT, sport, dport, ${TEXT_COLUMNS.join(', ')} ` +
  `FROM read_json($1, format = 'newline_delimited', columns = ${DUCKDB_JSON_COLUMNS})`;

function clickHouseDdl(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${db}.${HTTP_REQUEST_TABLE} (
  ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD), src IPv6, dst IPv6, sport UInt16, dport UInt16,
  method LowCardinality(String), host String, uri String CODEC(ZSTD), user_agent String CODEC(ZSTD), headers String CODEC(ZSTD),
  body String CODEC(ZSTD), source LowCardinality(String)
) ENGINE = MergeTree ORDER BY (ts)`;
}

const CLICKHOUSE_STRUCTURE = `ts Int64, src String, dst String, sport UInt16, dport UInt16, ${TEXT_COLUMNS.map((c) => `${c} String`).join(', ')}`;

function clickHouseInsert(db: string): string {
  return (
    `INSERT INTO ${db}.${HTTP_REQUEST_TABLE} SELECT fromUnixTimestamp64Milli(ts, 'UTC'), toIPv6(src), toIPv6(dst), sport, dport, ${TEXT_COLUMNS.join(', ')} ` +
    `FROM format(JSONEachRow, '${CLICKHOUSE_STRUCTURE}', {p1:String})`
  );
}

/** The table as FROM names it for this store. */
export function httpRequestTable(store: Pick<Store, 'dialect' | 'location'>): string {
  return store.dialect.name === 'duckdb' ? HTTP_REQUEST_TABLE : `${storeDatabase(store)}.${HTTP_REQUEST_TABLE}`;
}

/** Creates the table when it is missing; safe to run at every open or before every read. */
export async function ensureHttpRequestTable(store: HttpRequestStore): Promise<void> {
  await store.execute(store.dialect.name === 'duckdb' ? DUCKDB_DDL : clickHouseDdl(storeDatabase(store)));
}

/** Appends requests in one bulk write per backend (creating the table first if needed). */
export async function appendHttpRequests(store: HttpRequestStore, requests: readonly HttpRequest[]): Promise<void> {
  if (requests.length === 0) return;
  await ensureHttpRequestTable(store);
  await insertJsonRows(store, requests, {
    what: 'HTTP requests',
    duckdb: DUCKDB_INSERT,
    duckdbRow: ({ src, dst, ...rest }) => ({ ...rest, ...duckDbIpFields('src', src), ...duckDbIpFields('dst', dst) }),
    clickhouse: clickHouseInsert(storeDatabase(store)),
    clickhouseRow: (r) => ({ ...r, src: clickHouseIpText(r.src), dst: clickHouseIpText(r.dst) }),
  });
}

/** Buffers rows and appends them in batches (see {@link BatchedRowWriter}). */
export class HttpRequestWriter extends BatchedRowWriter<HttpRequest> {
  constructor(store: HttpRequestStore, batch = 10_000) {
    super((rows) => appendHttpRequests(store, rows), batch);
  }
}
