// The http_requests table in the flow store, DuckDB and ClickHouse side by side: DDL (created
// idempotently), the bulk insert (rows travel as JSON that each engine unpacks itself: DuckDB
// read_json of a file whose path is bound, ClickHouse format() of a bound text), and the
// column expressions readers use. Addresses are stored as the flow table stores them, so the
// Dialect's address helpers (ipColumns, ipEquals, decodeIp) work on this table too.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VantageError } from '../core/errors.js';
import { formatIp, type Ip } from '../core/ip.js';
import type { HttpRequest } from '../decode/http/http-request.js';
import { storeDatabase } from '../intel/indicator-table.js';
import type { Store } from './store.js';

/** Table name (in the store's database for ClickHouse). */
export const HTTP_REQUEST_TABLE = 'http_requests';

/** What the table needs of a store. */
export type HttpRequestStore = Pick<Store, 'execute' | 'dialect' | 'location'>;

/** The store behind a sink, when the sink is one (tests and the CLI pass the store itself). */
export function asHttpRequestStore(sink: unknown): HttpRequestStore | undefined {
  const s = sink as Partial<HttpRequestStore> | null;
  return s !== null && typeof s === 'object' && typeof s.execute === 'function' && s.dialect !== undefined && typeof s.location === 'string' ? (s as HttpRequestStore) : undefined;
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

/** Rows per ClickHouse insert statement (one bound text each). */
const CLICKHOUSE_ROWS = 5000;

function clickHouseIp(ip: Ip): string {
  return typeof ip === 'number' ? `::ffff:${formatIp(ip)}` : formatIp(ip);
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
  try {
    if (store.dialect.name === 'duckdb') {
      const dir = mkdtempSync(join(tmpdir(), 'vantage-http-'));
      try {
        const file = join(dir, 'rows.jsonl');
        writeFileSync(
          file,
          requests
            .map((r) => {
              const { src, dst, ...rest } = r;
              const v4 = (ip: Ip) => (typeof ip === 'number' ? ip : null);
              const v6 = (ip: Ip) => (typeof ip === 'bigint' ? ip.toString() : null);
              return JSON.stringify({ ...rest, src4: v4(src), src6: v6(src), dst4: v4(dst), dst6: v6(dst) });
            })
            .join('\n'),
        );
        await store.execute(DUCKDB_INSERT, [{ kind: 'string', value: file }]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      return;
    }
    const sql = clickHouseInsert(storeDatabase(store));
    for (let at = 0; at < requests.length; at += CLICKHOUSE_ROWS) {
      const text = requests
        .slice(at, at + CLICKHOUSE_ROWS)
        .map((r) => JSON.stringify({ ...r, src: clickHouseIp(r.src), dst: clickHouseIp(r.dst) }))
        .join('\n');
      await store.execute(sql, [{ kind: 'string', value: text }]);
    }
  } catch (err) {
    if (err instanceof VantageError) throw err;
    throw new VantageError('STORE_QUERY', `cannot store ${requests.length} HTTP requests in ${store.location}: ${(err as Error).message}`);
  }
}

/**
 * Buffers requests and appends them in batches: the importers hand over requests as they find
 * them and call {@link flush} at the end of each file.
 */
export class HttpRequestWriter {
  private buffer: HttpRequest[] = [];
  /** Requests appended so far. */
  written = 0;

  constructor(
    private readonly store: HttpRequestStore,
    private readonly batch = 10_000,
  ) {}

  /** Takes requests; appends once a batch is full. */
  async add(requests: readonly HttpRequest[]): Promise<void> {
    for (const r of requests) this.buffer.push(r);
    if (this.buffer.length >= this.batch) await this.flush();
  }

  /** Appends whatever is buffered. */
  async flush(): Promise<void> {
    if (this.buffer.length === 0) return;
    const rows = this.buffer;
    this.buffer = [];
    await appendHttpRequests(this.store, rows);
    this.written += rows.length;
  }
}
