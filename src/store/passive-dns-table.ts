// The passive_dns table in the flow store, DuckDB and ClickHouse side by side: one row per
// (rrname, rrtype, rdata, sensor) with first/last seen and a count, merged on write (DuckDB:
// INSERT ... ON CONFLICT on the primary key; ClickHouse: AggregatingMergeTree of min/max/sum,
// merged again at read because parts merge in the background), and the two reads the pivot
// engine needs: by name and by answer.

import { normalizeDnsName, normalizeRdata, type PassiveDnsObservation } from '../decode/dns/passive-dns-observation.js';
import { storeDatabase } from '../intel/indicator-table.js';
import { BatchedRowWriter, insertJsonRows, type SideTableStore } from './side-table-rows.js';
import type { Store } from './store.js';

/** Table name (in the store's database for ClickHouse). */
export const PASSIVE_DNS_TABLE = 'passive_dns';

const KEY = 'rrname, rrtype, rdata, sensor';

const DUCKDB_DDL = `CREATE TABLE IF NOT EXISTS ${PASSIVE_DNS_TABLE} (
  rrname VARCHAR NOT NULL, rrtype VARCHAR NOT NULL, rdata VARCHAR NOT NULL, sensor VARCHAR NOT NULL,
  first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, count UBIGINT NOT NULL,
  PRIMARY KEY (${KEY}))`;

// Rows arrive aggregated per key (see appendPassiveDns): DuckDB refuses to update one row twice
// in one statement, and ClickHouse parts stay smaller.
const DUCKDB_INSERT =
  `INSERT INTO ${PASSIVE_DNS_TABLE} SELECT ${KEY}, first_seen, last_seen, count ` +
  `FROM read_json($1, format = 'newline_delimited', columns = {rrname: 'VARCHAR', rrtype: 'VARCHAR', rdata: 'VARCHAR', sensor: 'VARCHAR', first_seen: 'BIGINT', last_seen: 'BIGINT', count: 'UBIGINT'}) ` +
  `ON CONFLICT (${KEY}) DO UPDATE SET first_seen = least(first_seen, excluded.first_seen), last_seen = greatest(last_seen, excluded.last_seen), count = count + excluded.count`;

function clickHouseDdl(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${db}.${PASSIVE_DNS_TABLE} (
  rrname String, rrtype LowCardinality(String), rdata String, sensor LowCardinality(String),
  first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')), last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
  count SimpleAggregateFunction(sum, UInt64),
  INDEX rdata_bloom rdata TYPE bloom_filter GRANULARITY 4
) ENGINE = AggregatingMergeTree ORDER BY (${KEY})`;
}

function clickHouseInsert(db: string): string {
  return (
    `INSERT INTO ${db}.${PASSIVE_DNS_TABLE} SELECT ${KEY}, fromUnixTimestamp64Milli(first_seen, 'UTC'), fromUnixTimestamp64Milli(last_seen, 'UTC'), count ` +
    `FROM format(JSONEachRow, 'rrname String, rrtype String, rdata String, sensor String, first_seen Int64, last_seen Int64, count UInt64', {p1:String})`
  );
}

/** The table as FROM names it for this store. */
export function passiveDnsTable(store: Pick<Store, 'dialect' | 'location'>): string {
  return store.dialect.name === 'duckdb' ? PASSIVE_DNS_TABLE : `${storeDatabase(store)}.${PASSIVE_DNS_TABLE}`;
}

/** Creates the table when it is missing; safe to run at every open or before every read. */
export async function ensurePassiveDnsTable(store: SideTableStore): Promise<void> {
  await store.execute(store.dialect.name === 'duckdb' ? DUCKDB_DDL : clickHouseDdl(storeDatabase(store)));
}

/** Merges observations of the same key: earliest first, latest last, counts added. */
export function aggregateObservations(observations: readonly PassiveDnsObservation[]): PassiveDnsObservation[] {
  const byKey = new Map<string, PassiveDnsObservation>();
  for (const o of observations) {
    const key = `${o.rrname}\u0000${o.rrtype}\u0000${o.rdata}\u0000${o.sensor}`;
    const had = byKey.get(key);
    byKey.set(key, had ? { ...had, firstSeen: Math.min(had.firstSeen, o.firstSeen), lastSeen: Math.max(had.lastSeen, o.lastSeen), count: had.count + o.count } : o);
  }
  return [...byKey.values()];
}

/**
 * Adds observations to the table (creating it first if needed). Counts add up: importing the
 * same file twice doubles its counts, as a sensor reporting the same records again would.
 */
export async function appendPassiveDns(store: SideTableStore, observations: readonly PassiveDnsObservation[]): Promise<void> {
  if (observations.length === 0) return;
  await ensurePassiveDnsTable(store);
  const row = (o: PassiveDnsObservation) => ({ rrname: o.rrname, rrtype: o.rrtype, rdata: o.rdata, sensor: o.sensor, first_seen: o.firstSeen, last_seen: o.lastSeen, count: o.count });
  await insertJsonRows(store, aggregateObservations(observations), { what: 'passive-DNS observations', duckdb: DUCKDB_INSERT, duckdbRow: row, clickhouse: clickHouseInsert(storeDatabase(store)), clickhouseRow: row });
}

/** Buffers observations and appends them in batches (see {@link BatchedRowWriter}). */
export class PassiveDnsWriter extends BatchedRowWriter<PassiveDnsObservation> {
  constructor(store: SideTableStore, batch = 10_000) {
    super((rows) => appendPassiveDns(store, rows), batch);
  }
}

/** One stored record: what a sensor saw for a name, when first and last, and how often. */
export interface PassiveDnsRow {
  readonly rrname: string;
  readonly rrtype: string;
  readonly rdata: string;
  readonly sensor: string;
  /** Epoch ms, UTC. */
  readonly firstSeen: number;
  readonly lastSeen: number;
  readonly count: number;
}

/** Options of {@link passiveDnsByName}. */
export interface ByNameOptions {
  /** Also the names below it (`example.com` finds `www.example.com`). */
  readonly includeSubdomains?: boolean;
  /** Rows at most (default: all). */
  readonly limit?: number;
}

async function select(store: SideTableStore, where: (bind: (value: string) => string) => string, limit: number | undefined): Promise<PassiveDnsRow[]> {
  const d = store.dialect;
  const params = d.newParams();
  const bind = (value: string) => params.bind('string', value);
  const ms = (agg: string) => (d.name === 'duckdb' ? agg : `toUnixTimestamp64Milli(${agg})`);
  await ensurePassiveDnsTable(store);
  // Grouped on both backends: ClickHouse holds unmerged parts until a background merge.
  const sql =
    `SELECT ${KEY}, ${ms('min(first_seen)')} AS first_ms, ${ms('max(last_seen)')} AS last_ms, sum(count) AS n ` +
    `FROM ${passiveDnsTable(store)} WHERE ${where(bind)} GROUP BY ${KEY} ORDER BY ${KEY}` +
    (limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(limit))}` : '');
  const rows = await store.execute(sql, params.params);
  return rows.map((r) => ({
    rrname: String(r.rrname),
    rrtype: String(r.rrtype),
    rdata: String(r.rdata),
    sensor: String(r.sensor),
    firstSeen: Number(r.first_ms),
    lastSeen: Number(r.last_ms),
    count: Number(r.n),
  }));
}

/** What the name resolved to (every type and sensor), optionally with its subdomains'. */
export async function passiveDnsByName(store: SideTableStore, name: string, options: ByNameOptions = {}): Promise<PassiveDnsRow[]> {
  const n = normalizeDnsName(name);
  return select(
    store,
    (bind) => {
      const exact = `rrname = ${bind(n)}`;
      if (!options.includeSubdomains) return exact;
      const suffix = store.dialect.name === 'duckdb' ? `ends_with(rrname, ${bind(`.${n}`)})` : `endsWith(rrname, ${bind(`.${n}`)})`;
      return `(${exact} OR ${suffix})`;
    },
    options.limit,
  );
}

/**
 * The names whose answers hold the value: an address (in any spelling parseIp reads) or a
 * name (CNAME, PTR, NS, MX targets...).
 */
export async function passiveDnsByAnswer(store: SideTableStore, value: string, options: { readonly limit?: number } = {}): Promise<PassiveDnsRow[]> {
  const ip = normalizeRdata('A', value);
  const candidates = [...new Set([ip, normalizeRdata('CNAME', value)])];
  return select(store, (bind) => (candidates.length === 1 ? `rdata = ${bind(candidates[0]!)}` : `rdata IN (${candidates.map(bind).join(', ')})`), options.limit);
}
