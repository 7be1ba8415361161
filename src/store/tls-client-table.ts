// The tls_clients table in the flow store, DuckDB and ClickHouse side by side: TLS clients seen in
// captures (client and server address, server port, SNI, JA3, JA4), merged per that key on write
// (pre-aggregated batches; ClickHouse AggregatingMergeTree, merged again at read). Reads answer
// "which clients did this address talk TLS with, how did they look" and "who else has this
// JA3/JA4", the question a fingerprint indicator asks.

import { formatIp, parseIp, type Ip } from '../core/ip.js';
import type { TlsClientObservation } from '../decode/tls/tls-observation.js';
import { storeDatabase } from '../intel/indicator-table.js';
import { BatchedRowWriter, clickHouseIpText, duckDbIpFields, insertJsonRows, type SideTableStore } from './side-table-rows.js';
import type { Store } from './store.js';

/** Table name (in the store's database for ClickHouse). */
export const TLS_CLIENTS_TABLE = 'tls_clients';

const KEY = 'dport, server_name, ja3, ja4';

const DUCKDB_DDL = `CREATE TABLE IF NOT EXISTS ${TLS_CLIENTS_TABLE} (
  src4 UINTEGER, src6 UHUGEINT, dst4 UINTEGER, dst6 UHUGEINT, dport USMALLINT NOT NULL, server_name VARCHAR NOT NULL,
  ja3 VARCHAR NOT NULL, ja4 VARCHAR NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, count UBIGINT NOT NULL)`;

// No primary key (addresses are pairs of nullable columns): batches are aggregated before insert
// and reads group, as on ClickHouse.
const DUCKDB_INSERT =
  `INSERT INTO ${TLS_CLIENTS_TABLE} SELECT src4, src6::UHUGEINT, dst4, dst6::UHUGEINT, ${KEY}, first_seen, last_seen, count ` +
  `FROM read_json($1, format = 'newline_delimited', columns = {src4: 'UINTEGER', src6: 'VARCHAR', dst4: 'UINTEGER', dst6: 'VARCHAR', dport: 'USMALLINT', ` +
  `server_name: 'VARCHAR', ja3: 'VARCHAR', ja4: 'VARCHAR', first_seen: 'BIGINT', last_seen: 'BIGINT', count: 'UBIGINT'})`;

function clickHouseDdl(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${db}.${TLS_CLIENTS_TABLE} (
  src IPv6, dst IPv6, dport UInt16, server_name String, ja3 LowCardinality(String), ja4 LowCardinality(String),
  first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')), last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
  count SimpleAggregateFunction(sum, UInt64),
  INDEX ja3_bloom ja3 TYPE bloom_filter GRANULARITY 4,
  INDEX ja4_bloom ja4 TYPE bloom_filter GRANULARITY 4,
  INDEX dst_minmax dst TYPE minmax GRANULARITY 4
) ENGINE = AggregatingMergeTree ORDER BY (src, dst, ${KEY})`;
}

function clickHouseInsert(db: string): string {
  return (
    `INSERT INTO ${db}.${TLS_CLIENTS_TABLE} SELECT toIPv6(src), toIPv6(dst), ${KEY}, fromUnixTimestamp64Milli(first_seen, 'UTC'), fromUnixTimestamp64Milli(last_seen, 'UTC'), count ` +
    `FROM format(JSONEachRow, 'src String, dst String, dport UInt16, server_name String, ja3 String, ja4 String, first_seen Int64, last_seen Int64, count UInt64', {p1:String})`
  );
}

/** The table as FROM names it for this store. */
export function tlsClientsTable(store: Pick<Store, 'dialect' | 'location'>): string {
  return store.dialect.name === 'duckdb' ? TLS_CLIENTS_TABLE : `${storeDatabase(store)}.${TLS_CLIENTS_TABLE}`;
}

/** Creates the table when missing; safe to run at every open or before every read. */
export async function ensureTlsClientTable(store: SideTableStore): Promise<void> {
  await store.execute(store.dialect.name === 'duckdb' ? DUCKDB_DDL : clickHouseDdl(storeDatabase(store)));
}

/** Merges observations of the same (src, dst, dport, server name, JA3, JA4): earliest first, latest last, counts added. */
export function aggregateTlsClients(rows: readonly TlsClientObservation[]): TlsClientObservation[] {
  const byKey = new Map<string, TlsClientObservation>();
  for (const c of rows) {
    const key = `${formatIp(c.src)}\u0000${formatIp(c.dst)}\u0000${c.dport}\u0000${c.serverName}\u0000${c.ja3}\u0000${c.ja4}`;
    const had = byKey.get(key);
    byKey.set(key, had ? { ...had, firstSeen: Math.min(had.firstSeen, c.firstSeen), lastSeen: Math.max(had.lastSeen, c.lastSeen), count: had.count + c.count } : c);
  }
  return [...byKey.values()];
}

/** Adds client observations (creating the table first if needed); counts add up on re-import. */
export async function appendTlsClients(store: SideTableStore, rows: readonly TlsClientObservation[]): Promise<void> {
  if (rows.length === 0) return;
  await ensureTlsClientTable(store);
  const base = (c: TlsClientObservation) => ({ dport: c.dport, server_name: c.serverName, ja3: c.ja3, ja4: c.ja4, first_seen: c.firstSeen, last_seen: c.lastSeen, count: c.count });
  await insertJsonRows(store, aggregateTlsClients(rows), {
    what: 'TLS clients',
    duckdb: DUCKDB_INSERT,
    duckdbRow: (c) => ({ ...duckDbIpFields('src', c.src), ...duckDbIpFields('dst', c.dst), ...base(c) }),
    clickhouse: clickHouseInsert(storeDatabase(store)),
    clickhouseRow: (c) => ({ src: clickHouseIpText(c.src), dst: clickHouseIpText(c.dst), ...base(c) }),
  });
}

/** Buffers client observations and appends them in batches (see {@link BatchedRowWriter}). */
export class TlsClientWriter extends BatchedRowWriter<TlsClientObservation> {
  constructor(store: SideTableStore, batch = 10_000) {
    super((rows) => appendTlsClients(store, rows), batch);
  }
}

/** One stored client row, merged over its group. */
export type TlsClientRow = TlsClientObservation;

type Where = (bind: (value: string) => string, ipEquals: (column: 'src' | 'dst', ip: Ip) => string) => string;

async function selectClients(store: SideTableStore, where: Where, limit: number): Promise<TlsClientRow[]> {
  const d = store.dialect;
  const params = d.newParams();
  await ensureTlsClientTable(store);
  const src = d.ipColumns('src');
  const dst = d.ipColumns('dst');
  const ms = (agg: string) => (d.name === 'duckdb' ? agg : `toUnixTimestamp64Milli(${agg})`);
  const condition = where(
    (v) => params.bind('string', v),
    (column, ip) => d.ipEquals(column, ip, params),
  );
  const sql =
    `SELECT ${[...src.map((c, i) => `${c} AS s_${i}`), ...dst.map((c, i) => `${c} AS d_${i}`)].join(', ')}, ${KEY}, ` +
    `${ms('min(first_seen)')} AS first_ms, ${ms('max(last_seen)')} AS last_ms, sum(count) AS n ` +
    `FROM ${tlsClientsTable(store)} WHERE ${condition} GROUP BY ${[...src, ...dst].join(', ')}, ${KEY} ` +
    `ORDER BY n DESC, last_ms DESC, ja4, ja3, server_name, dport LIMIT ${Math.max(1, Math.floor(limit))}`;
  const rows = await store.execute(sql, params.params);
  return rows.map((r) => ({
    src: d.decodeIp(src.map((_c, i) => r[`s_${i}`])) as Ip,
    dst: d.decodeIp(dst.map((_c, i) => r[`d_${i}`])) as Ip,
    dport: Number(r.dport),
    serverName: String(r.server_name),
    ja3: String(r.ja3),
    ja4: String(r.ja4),
    firstSeen: Number(r.first_ms),
    lastSeen: Number(r.last_ms),
    count: Number(r.n),
  }));
}

/**
 * The TLS clients an address was part of, as client (`src`) or server (`dst`), most seen first
 * (then the latest); at most `limit` rows.
 */
export async function tlsClientsOf(store: SideTableStore, ip: Ip | string, options: { role?: 'client' | 'server'; limit?: number } = {}): Promise<TlsClientRow[]> {
  const addr = typeof ip === 'string' ? parseIp(ip.trim()) : ip;
  if (addr === undefined) return [];
  const role = options.role;
  return selectClients(
    store,
    (_bind, ipEquals) => (role === 'client' ? ipEquals('src', addr) : role === 'server' ? ipEquals('dst', addr) : `(${ipEquals('src', addr)} OR ${ipEquals('dst', addr)})`),
    options.limit ?? 1000,
  );
}

/** The clients with a JA3 (32 hex digits) or JA4 (`t13d1516h2_...`) fingerprint, any case; at most `limit` rows. */
export async function tlsClientsWithFingerprint(store: SideTableStore, fingerprint: string, limit = 1000): Promise<TlsClientRow[]> {
  const fp = fingerprint.trim().toLowerCase();
  if (fp === '') return [];
  return selectClients(store, (bind) => `(ja3 = ${bind(fp)} OR ja4 = ${bind(fp)})`, limit);
}

/** The clients that asked (SNI) for a domain or a name below it, any case; at most `limit` rows. */
export async function tlsClientsNaming(store: SideTableStore, domain: string, limit = 1000): Promise<TlsClientRow[]> {
  const name = domain.trim().toLowerCase().replace(/\.$/, '');
  if (name === '') return [];
  const ends = store.dialect.name === 'duckdb' ? 'ends_with' : 'endsWith';
  return selectClients(store, (bind) => `(server_name = ${bind(name)} OR ${ends}(server_name, ${bind(`.${name}`)}))`, limit);
}
