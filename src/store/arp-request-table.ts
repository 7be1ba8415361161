// The arp_requests table in the flow store, DuckDB and ClickHouse side by side: DDL (created
// idempotently), the bulk insert (rows travel as JSON that each engine unpacks itself: DuckDB
// read_json of a file whose path is bound, ClickHouse format() of a bound text), and the name
// readers use. ARP never reaches the flow table (it is not IP); this table is where ARP sweeps
// are found. Addresses are stored as the flow table stores them, so the Dialect's address
// helpers (ipColumns, ipEquals, countDistinct, decodeIp) work on `src` and `dst` here too.

import type { ArpRequest } from '../decode/arp/arp-request.js';
import { storeDatabase } from '../intel/indicator-table.js';
import { asSideTableStore, BatchedRowWriter, clickHouseIpText, duckDbIpFields, insertJsonRows, type SideTableStore } from './side-table-rows.js';
import type { Store } from './store.js';

/** Table name (in the store's database for ClickHouse). */
export const ARP_REQUEST_TABLE = 'arp_requests';

/** What the table needs of a store. */
export type ArpRequestStore = SideTableStore;

/** The store behind a sink, when the sink is one (tests and the CLI pass the store itself). */
export function asArpRequestStore(sink: unknown): ArpRequestStore | undefined {
  return asSideTableStore(sink);
}

// ARP carries IPv4 only; the v6 columns exist so that the Dialect reads this table as it reads flows.
const DUCKDB_DDL = `CREATE TABLE IF NOT EXISTS ${ARP_REQUEST_TABLE} (
  ts BIGINT NOT NULL, ts_last BIGINT NOT NULL, src4 UINTEGER, src6 UHUGEINT, src_mac VARCHAR NOT NULL, dst4 UINTEGER, dst6 UHUGEINT,
  requests UINTEGER NOT NULL, gratuitous BOOLEAN NOT NULL)`;

const DUCKDB_INSERT =
  `INSERT INTO ${ARP_REQUEST_TABLE} SELECT ts, ts_last, src4, src6::UHUGEINT, src_mac, dst4, dst6::UHUGEINT, requests, gratuitous ` +
  `FROM read_json($1, format = 'newline_delimited', columns = {ts: 'BIGINT', ts_last: 'BIGINT', src4: 'UINTEGER', src6: 'VARCHAR', src_mac: 'VARCHAR', ` +
  `dst4: 'UINTEGER', dst6: 'VARCHAR', requests: 'UINTEGER', gratuitous: 'BOOLEAN'})`;

function clickHouseDdl(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${db}.${ARP_REQUEST_TABLE} (
  ts DateTime64(3, 'UTC') CODEC(Delta, ZSTD), ts_last DateTime64(3, 'UTC') CODEC(Delta, ZSTD), src IPv6, src_mac LowCardinality(String), dst IPv6,
  requests UInt32, gratuitous Bool
) ENGINE = MergeTree ORDER BY (ts)`;
}

function clickHouseInsert(db: string): string {
  return (
    `INSERT INTO ${db}.${ARP_REQUEST_TABLE} SELECT fromUnixTimestamp64Milli(ts, 'UTC'), fromUnixTimestamp64Milli(ts_last, 'UTC'), toIPv6(src), src_mac, toIPv6(dst), requests, gratuitous ` +
    `FROM format(JSONEachRow, 'ts Int64, ts_last Int64, src String, src_mac String, dst String, requests UInt32, gratuitous Bool', {p1:String})`
  );
}

/** The table as FROM names it for this store. */
export function arpRequestTable(store: Pick<Store, 'dialect' | 'location'>): string {
  return store.dialect.name === 'duckdb' ? ARP_REQUEST_TABLE : `${storeDatabase(store)}.${ARP_REQUEST_TABLE}`;
}

/** Creates the table when it is missing; safe to run at every open or before every read. */
export async function ensureArpRequestTable(store: ArpRequestStore): Promise<void> {
  await store.execute(store.dialect.name === 'duckdb' ? DUCKDB_DDL : clickHouseDdl(storeDatabase(store)));
}

/** Appends grouped requests in one bulk write per backend (creating the table first if needed). */
export async function appendArpRequests(store: ArpRequestStore, requests: readonly ArpRequest[]): Promise<void> {
  if (requests.length === 0) return;
  await ensureArpRequestTable(store);
  await insertJsonRows(store, requests, {
    what: 'ARP request rows',
    duckdb: DUCKDB_INSERT,
    duckdbRow: (r) => ({ ts: r.ts, ts_last: r.ts_last, ...duckDbIpFields('src', r.src), src_mac: r.src_mac, ...duckDbIpFields('dst', r.dst), requests: r.requests, gratuitous: r.gratuitous }),
    clickhouse: clickHouseInsert(storeDatabase(store)),
    clickhouseRow: (r) => ({ ...r, src: clickHouseIpText(r.src), dst: clickHouseIpText(r.dst) }),
  });
}

/** Buffers rows and appends them in batches (see {@link BatchedRowWriter}). */
export class ArpRequestWriter extends BatchedRowWriter<ArpRequest> {
  constructor(store: ArpRequestStore, batch = 10_000) {
    super((rows) => appendArpRequests(store, rows), batch);
  }
}
