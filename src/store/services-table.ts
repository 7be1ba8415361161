// The services table in the flow store, DuckDB and ClickHouse side by side: one row per
// (ip, port, transport, source) with the latest non-empty service name, product and banner,
// first/last seen and a count, merged on write (DuckDB: INSERT ... ON CONFLICT on the primary
// key; ClickHouse: AggregatingMergeTree of min/max/sum, with each text as the max of a
// (seen at, text) tuple so the latest wins, merged again at read), and the two reads the pivot
// engine needs: what an address serves, and who serves a port.

import { normalizeServiceIp, type ServiceObservation, type ServiceTransport } from '../decode/services/service-observation.js';
import { storeDatabase } from '../intel/indicator-table.js';
import { BatchedRowWriter, insertJsonRows, type SideTableStore } from './side-table-rows.js';
import type { Store } from './store.js';

/** Table name (in the store's database for ClickHouse). */
export const SERVICES_TABLE = 'services';

const KEY = 'ip, port, transport, source';
const TEXTS = ['service', 'product', 'banner'] as const;

// `<text>_at` is when the text was last seen, -1 for an empty text so that it never replaces one.
const DUCKDB_DDL = `CREATE TABLE IF NOT EXISTS ${SERVICES_TABLE} (
  ip VARCHAR NOT NULL, port INTEGER NOT NULL, transport VARCHAR NOT NULL, source VARCHAR NOT NULL,
  service VARCHAR NOT NULL, service_at BIGINT NOT NULL, product VARCHAR NOT NULL, product_at BIGINT NOT NULL, banner VARCHAR NOT NULL, banner_at BIGINT NOT NULL,
  first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, count UBIGINT NOT NULL,
  PRIMARY KEY (${KEY}))`;

const JSON_COLUMNS = `ip: 'VARCHAR', port: 'INTEGER', transport: 'VARCHAR', source: 'VARCHAR', ${TEXTS.map((t) => `${t}: 'VARCHAR', ${t}_at: 'BIGINT'`).join(', ')}, first_seen: 'BIGINT', last_seen: 'BIGINT', count: 'UBIGINT'`;

// Rows arrive aggregated per key (see appendServices): DuckDB refuses to update one row twice in
// one statement. Of two texts seen at the same time the larger wins, as ClickHouse's max of
// (time, text) has it, whichever was imported last.
const DUCKDB_INSERT =
  `INSERT INTO ${SERVICES_TABLE} SELECT ${KEY}, ${TEXTS.map((t) => `${t}, ${t}_at`).join(', ')}, first_seen, last_seen, count ` +
  `FROM read_json($1, format = 'newline_delimited', columns = {${JSON_COLUMNS}}) ` +
  `ON CONFLICT (${KEY}) DO UPDATE SET ` +
  TEXTS.map((t) => `${t} = CASE WHEN excluded.${t}_at > ${t}_at OR (excluded.${t}_at = ${t}_at AND excluded.${t} > ${t}) THEN excluded.${t} ELSE ${t} END, ${t}_at = greatest(${t}_at, excluded.${t}_at)`).join(', ') +
  `, first_seen = least(first_seen, excluded.first_seen), last_seen = greatest(last_seen, excluded.last_seen), count = count + excluded.count`;

function clickHouseDdl(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${db}.${SERVICES_TABLE} (
  ip String, port UInt16, transport LowCardinality(String), source LowCardinality(String),
  ${TEXTS.map((t) => `${t} SimpleAggregateFunction(max, Tuple(Int64, String))`).join(', ')},
  first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')), last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
  count SimpleAggregateFunction(sum, UInt64),
  INDEX port_set port TYPE set(1024) GRANULARITY 4
) ENGINE = AggregatingMergeTree ORDER BY (${KEY})`;
}

function clickHouseInsert(db: string): string {
  return (
    `INSERT INTO ${db}.${SERVICES_TABLE} SELECT ${KEY}, ${TEXTS.map((t) => `tuple(${t}_at, ${t})`).join(', ')}, fromUnixTimestamp64Milli(first_seen, 'UTC'), fromUnixTimestamp64Milli(last_seen, 'UTC'), count ` +
    `FROM format(JSONEachRow, 'ip String, port UInt16, transport String, source String, ${TEXTS.map((t) => `${t} String, ${t}_at Int64`).join(', ')}, first_seen Int64, last_seen Int64, count UInt64', {p1:String})`
  );
}

/** The table as FROM names it for this store. */
export function servicesTable(store: Pick<Store, 'dialect' | 'location'>): string {
  return store.dialect.name === 'duckdb' ? SERVICES_TABLE : `${storeDatabase(store)}.${SERVICES_TABLE}`;
}

/** Creates the table when it is missing; safe to run at every open or before every read. */
export async function ensureServicesTable(store: SideTableStore): Promise<void> {
  await store.execute(store.dialect.name === 'duckdb' ? DUCKDB_DDL : clickHouseDdl(storeDatabase(store)));
}

/** An observation with, per text, when it was seen (-1 when empty). */
type Merged = ServiceObservation & Record<`${(typeof TEXTS)[number]}At`, number>;

/**
 * Merges observations of the same key: earliest first, latest last, counts added, and each
 * text the non-empty one seen last (on a tie, the later observation's).
 */
export function aggregateServices(observations: readonly ServiceObservation[]): Merged[] {
  const byKey = new Map<string, Merged>();
  for (const o of observations) {
    const at = (t: string) => (t === '' ? -1 : o.lastSeen);
    const m: Merged = { ...o, serviceAt: at(o.service), productAt: at(o.product), bannerAt: at(o.banner) };
    const key = `${o.ip}\u0000${o.port}\u0000${o.transport}\u0000${o.source}`;
    const had = byKey.get(key);
    if (!had) {
      byKey.set(key, m);
      continue;
    }
    const newer = <K extends (typeof TEXTS)[number]>(t: K) => m[`${t}At`] > had[`${t}At`] || (m[`${t}At`] === had[`${t}At`] && m[t] > had[t]);
    const pick = <K extends (typeof TEXTS)[number]>(t: K) => (newer(t) ? { [t]: m[t], [`${t}At`]: m[`${t}At`] } : {});
    byKey.set(key, {
      ...had,
      ...pick('service'),
      ...pick('product'),
      ...pick('banner'),
      firstSeen: Math.min(had.firstSeen, o.firstSeen),
      lastSeen: Math.max(had.lastSeen, o.lastSeen),
      count: had.count + o.count,
    });
  }
  return [...byKey.values()];
}

/**
 * Adds observations to the table (creating it first if needed). Counts add up: importing the
 * same scan twice doubles its counts, as seeing the services again would.
 */
export async function appendServices(store: SideTableStore, observations: readonly ServiceObservation[]): Promise<void> {
  if (observations.length === 0) return;
  await ensureServicesTable(store);
  const row = (o: Merged) => ({
    ip: o.ip, port: o.port, transport: o.transport, source: o.source,
    service: o.service, service_at: o.serviceAt, product: o.product, product_at: o.productAt, banner: o.banner, banner_at: o.bannerAt,
    first_seen: o.firstSeen, last_seen: o.lastSeen, count: o.count,
  });
  await insertJsonRows(store, aggregateServices(observations), { what: 'service observations', duckdb: DUCKDB_INSERT, duckdbRow: row, clickhouse: clickHouseInsert(storeDatabase(store)), clickhouseRow: row });
}

/** Buffers observations and appends them in batches (see {@link BatchedRowWriter}). */
export class ServicesWriter extends BatchedRowWriter<ServiceObservation> {
  constructor(store: SideTableStore, batch = 10_000) {
    super((rows) => appendServices(store, rows), batch);
  }
}

/** One stored service: an address answering on a port, as one source saw it. */
export type ServiceRow = ServiceObservation;

async function select(store: SideTableStore, where: (bind: (kind: 'string' | 'u16', value: string | number) => string) => string, order: string, limit: number | undefined): Promise<ServiceRow[]> {
  const d = store.dialect;
  const params = d.newParams();
  const bind = (kind: 'string' | 'u16', value: string | number) => params.bind(kind, value);
  const ms = (agg: string) => (d.name === 'duckdb' ? agg : `toUnixTimestamp64Milli(${agg})`);
  const text = (t: string) => (d.name === 'duckdb' ? `arg_max(${t}, ${t}_at)` : `tupleElement(max(${t}), 2)`);
  await ensureServicesTable(store);
  // Grouped on both backends: ClickHouse holds unmerged parts until a background merge.
  const sql =
    `SELECT ${KEY}, ${TEXTS.map((t) => `${text(t)} AS ${t}_text`).join(', ')}, ${ms('min(first_seen)')} AS first_ms, ${ms('max(last_seen)')} AS last_ms, sum(count) AS n ` +
    `FROM ${servicesTable(store)} WHERE ${where(bind)} GROUP BY ${KEY} ORDER BY ${order}` +
    (limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(limit))}` : '');
  const rows = await store.execute(sql, params.params);
  return rows.map((r) => ({
    ip: String(r.ip),
    port: Number(r.port),
    transport: String(r.transport) as ServiceTransport,
    source: String(r.source),
    service: String(r.service_text ?? ''),
    product: String(r.product_text ?? ''),
    banner: String(r.banner_text ?? ''),
    firstSeen: Number(r.first_ms),
    lastSeen: Number(r.last_ms),
    count: Number(r.n),
  }));
}

/** What an address serves (every port, transport and source), by port. Unknown text: none. */
export async function servicesOf(store: SideTableStore, ip: string, options: { readonly limit?: number } = {}): Promise<ServiceRow[]> {
  const normal = normalizeServiceIp(ip);
  if (normal === undefined) return [];
  return select(store, (bind) => `ip = ${bind('string', normal)}`, 'port, transport, source', options.limit);
}

/** The addresses serving a port (on one transport, or any), by address text. */
export async function hostsServing(store: SideTableStore, port: number, transport?: ServiceTransport, options: { readonly limit?: number } = {}): Promise<ServiceRow[]> {
  return select(
    store,
    (bind) => `port = ${bind('u16', port)}${transport ? ` AND transport = ${bind('string', transport)}` : ''}`,
    'ip, transport, source',
    options.limit,
  );
}

/** Every stored service (at most `limit`, default 100,000), for callers that filter by their own networks. */
export async function everyService(store: SideTableStore, options: { readonly limit?: number } = {}): Promise<ServiceRow[]> {
  return select(store, () => '1 = 1', 'ip, port, transport, source', options.limit ?? 100_000);
}
