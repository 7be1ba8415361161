// The certificates and certificate_sightings tables in the flow store, DuckDB and ClickHouse
// side by side: certificates from Zeek x509.log (one row per chain reference: SHA-256
// fingerprint or file id) and sightings from ssl.log (a server address:port presented a
// certificate, with SNI and JA3S), merged on write (DuckDB ON CONFLICT / pre-aggregated
// batches; ClickHouse AggregatingMergeTree, merged again at read). The two meet at read time, so
// x509.log and ssl.log may be imported in either order. Reads serve the pivot engine.

import { formatIp, parseIp, toV6Space, type Ip, type IpRange } from '../core/ip.js';
import { certNameCovers, normalizeCertName, type CertificateObservation, type TlsSighting } from '../decode/tls/tls-observation.js';
import { storeDatabase } from '../intel/indicator-table.js';
import { BatchedRowWriter, clickHouseIpText, duckDbIpFields, insertJsonRows, type SideTableStore } from './side-table-rows.js';
import type { Store } from './store.js';

/** Table names (in the store's database for ClickHouse). */
export const CERTIFICATES_TABLE = 'certificates';
export const CERTIFICATE_SIGHTINGS_TABLE = 'certificate_sightings';

const CERT_TEXT = ['sha256', 'subject', 'cn', 'issuer', 'serial', 'key_alg', 'key_type', 'sig_alg', 'san_dns', 'san_ip'] as const;

const DUCKDB_CERT_DDL = `CREATE TABLE IF NOT EXISTS ${CERTIFICATES_TABLE} (
  ref VARCHAR NOT NULL PRIMARY KEY, ${CERT_TEXT.map((c) => `${c} VARCHAR NOT NULL`).join(', ')},
  not_before BIGINT, not_after BIGINT, key_length INTEGER, is_ca BOOLEAN,
  first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, count UBIGINT NOT NULL)`;

const CERT_COLUMNS = `ref, ${CERT_TEXT.join(', ')}, not_before, not_after, key_length, is_ca`;

// Rows arrive aggregated per ref (DuckDB refuses to update one row twice in one statement). A
// certificate's content does not change: a later row only widens first/last seen and counts.
const DUCKDB_CERT_INSERT =
  `INSERT INTO ${CERTIFICATES_TABLE} SELECT ${CERT_COLUMNS}, first_seen, last_seen, count ` +
  `FROM read_json($1, format = 'newline_delimited', columns = {ref: 'VARCHAR', ${CERT_TEXT.map((c) => `${c}: 'VARCHAR'`).join(', ')}, ` +
  `not_before: 'BIGINT', not_after: 'BIGINT', key_length: 'INTEGER', is_ca: 'BOOLEAN', first_seen: 'BIGINT', last_seen: 'BIGINT', count: 'UBIGINT'}) ` +
  `ON CONFLICT (ref) DO UPDATE SET first_seen = least(first_seen, excluded.first_seen), last_seen = greatest(last_seen, excluded.last_seen), count = count + excluded.count`;

function clickHouseCertDdl(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${db}.${CERTIFICATES_TABLE} (
  ref String, ${CERT_TEXT.map((c) => `${c} SimpleAggregateFunction(any, String)`).join(', ')},
  not_before SimpleAggregateFunction(any, Nullable(Int64)), not_after SimpleAggregateFunction(any, Nullable(Int64)),
  key_length SimpleAggregateFunction(any, Nullable(Int32)), is_ca SimpleAggregateFunction(any, Nullable(UInt8)),
  first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')), last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
  count SimpleAggregateFunction(sum, UInt64)
) ENGINE = AggregatingMergeTree ORDER BY (ref)`;
}

function clickHouseCertInsert(db: string): string {
  return (
    `INSERT INTO ${db}.${CERTIFICATES_TABLE} SELECT ${CERT_COLUMNS}, fromUnixTimestamp64Milli(first_seen, 'UTC'), fromUnixTimestamp64Milli(last_seen, 'UTC'), count ` +
    `FROM format(JSONEachRow, 'ref String, ${CERT_TEXT.map((c) => `${c} String`).join(', ')}, not_before Nullable(Int64), not_after Nullable(Int64), key_length Nullable(Int32), is_ca Nullable(UInt8), first_seen Int64, last_seen Int64, count UInt64', {p1:String})`
  );
}

const SIGHTING_KEY = 'ref, port, server_name, ja3s';

const DUCKDB_SIGHTING_DDL = `CREATE TABLE IF NOT EXISTS ${CERTIFICATE_SIGHTINGS_TABLE} (
  ref VARCHAR NOT NULL, ip4 UINTEGER, ip6 UHUGEINT, port USMALLINT NOT NULL, server_name VARCHAR NOT NULL, ja3s VARCHAR NOT NULL,
  first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL, count UBIGINT NOT NULL)`;

// No primary key (an address is one of two nullable columns): batches are aggregated before
// insert and reads group, as on ClickHouse.
const DUCKDB_SIGHTING_INSERT =
  `INSERT INTO ${CERTIFICATE_SIGHTINGS_TABLE} SELECT ref, ip4, ip6::UHUGEINT, port, server_name, ja3s, first_seen, last_seen, count ` +
  `FROM read_json($1, format = 'newline_delimited', columns = {ref: 'VARCHAR', ip4: 'UINTEGER', ip6: 'VARCHAR', port: 'USMALLINT', server_name: 'VARCHAR', ja3s: 'VARCHAR', first_seen: 'BIGINT', last_seen: 'BIGINT', count: 'UBIGINT'})`;

function clickHouseSightingDdl(db: string): string {
  return `CREATE TABLE IF NOT EXISTS ${db}.${CERTIFICATE_SIGHTINGS_TABLE} (
  ref String, ip IPv6, port UInt16, server_name String, ja3s LowCardinality(String),
  first_seen SimpleAggregateFunction(min, DateTime64(3, 'UTC')), last_seen SimpleAggregateFunction(max, DateTime64(3, 'UTC')),
  count SimpleAggregateFunction(sum, UInt64),
  INDEX ref_bloom ref TYPE bloom_filter GRANULARITY 4
) ENGINE = AggregatingMergeTree ORDER BY (ip, ${SIGHTING_KEY})`;
}

function clickHouseSightingInsert(db: string): string {
  return (
    `INSERT INTO ${db}.${CERTIFICATE_SIGHTINGS_TABLE} SELECT ref, toIPv6(ip), port, server_name, ja3s, fromUnixTimestamp64Milli(first_seen, 'UTC'), fromUnixTimestamp64Milli(last_seen, 'UTC'), count ` +
    `FROM format(JSONEachRow, 'ref String, ip String, port UInt16, server_name String, ja3s String, first_seen Int64, last_seen Int64, count UInt64', {p1:String})`
  );
}

function table(store: Pick<Store, 'dialect' | 'location'>, name: string): string {
  return store.dialect.name === 'duckdb' ? name : `${storeDatabase(store)}.${name}`;
}

/** The certificates table as FROM names it for this store. */
export function certificatesTable(store: Pick<Store, 'dialect' | 'location'>): string {
  return table(store, CERTIFICATES_TABLE);
}

/** The certificate_sightings table as FROM names it for this store. */
export function certificateSightingsTable(store: Pick<Store, 'dialect' | 'location'>): string {
  return table(store, CERTIFICATE_SIGHTINGS_TABLE);
}

/** Creates both tables when missing; safe to run at every open or before every read. */
export async function ensureCertificateTables(store: SideTableStore): Promise<void> {
  const db = storeDatabase(store);
  await store.execute(store.dialect.name === 'duckdb' ? DUCKDB_CERT_DDL : clickHouseCertDdl(db));
  await store.execute(store.dialect.name === 'duckdb' ? DUCKDB_SIGHTING_DDL : clickHouseSightingDdl(db));
}

/** Merges certificates of the same ref: the first row's content, earliest first, latest last, counts added. */
export function aggregateCertificates(rows: readonly CertificateObservation[]): CertificateObservation[] {
  const byRef = new Map<string, CertificateObservation>();
  for (const c of rows) {
    const had = byRef.get(c.ref);
    byRef.set(c.ref, had ? { ...had, firstSeen: Math.min(had.firstSeen, c.firstSeen), lastSeen: Math.max(had.lastSeen, c.lastSeen), count: had.count + c.count } : c);
  }
  return [...byRef.values()];
}

/** Merges sightings of the same (ref, ip, port, server name, JA3S). */
export function aggregateSightings(rows: readonly TlsSighting[]): TlsSighting[] {
  const byKey = new Map<string, TlsSighting>();
  for (const s of rows) {
    const key = `${s.ref}\u0000${formatIp(s.ip)}\u0000${s.port}\u0000${s.serverName}\u0000${s.ja3s}`;
    const had = byKey.get(key);
    byKey.set(key, had ? { ...had, firstSeen: Math.min(had.firstSeen, s.firstSeen), lastSeen: Math.max(had.lastSeen, s.lastSeen), count: had.count + s.count } : s);
  }
  return [...byKey.values()];
}

/** Adds certificates (creating the tables first if needed); a known ref only gains sightings of itself. */
export async function appendCertificates(store: SideTableStore, rows: readonly CertificateObservation[]): Promise<void> {
  if (rows.length === 0) return;
  await ensureCertificateTables(store);
  const row = (c: CertificateObservation) => ({
    ref: c.ref,
    sha256: c.sha256,
    subject: c.subject,
    cn: c.cn,
    issuer: c.issuer,
    serial: c.serial,
    key_alg: c.keyAlg,
    key_type: c.keyType,
    sig_alg: c.sigAlg,
    // DNS names hold no commas, so a joined list splits back exactly.
    san_dns: c.sanDns.join(','),
    san_ip: c.sanIp.join(','),
    not_before: c.notBefore,
    not_after: c.notAfter,
    key_length: c.keyLength,
    is_ca: c.isCa,
    first_seen: c.firstSeen,
    last_seen: c.lastSeen,
    count: c.count,
  });
  await insertJsonRows(store, aggregateCertificates(rows), {
    what: 'certificates',
    duckdb: DUCKDB_CERT_INSERT,
    duckdbRow: row,
    clickhouse: clickHouseCertInsert(storeDatabase(store)),
    clickhouseRow: (c) => {
      const r = row(c);
      return { ...r, is_ca: r.is_ca === null ? null : r.is_ca ? 1 : 0 };
    },
  });
}

/** Adds sightings (creating the tables first if needed); counts add up on re-import. */
export async function appendSightings(store: SideTableStore, rows: readonly TlsSighting[]): Promise<void> {
  if (rows.length === 0) return;
  await ensureCertificateTables(store);
  const base = (s: TlsSighting) => ({ ref: s.ref, port: s.port, server_name: s.serverName, ja3s: s.ja3s, first_seen: s.firstSeen, last_seen: s.lastSeen, count: s.count });
  await insertJsonRows(store, aggregateSightings(rows), {
    what: 'certificate sightings',
    duckdb: DUCKDB_SIGHTING_INSERT,
    duckdbRow: (s) => ({ ...base(s), ...duckDbIpFields('ip', s.ip) }),
    clickhouse: clickHouseSightingInsert(storeDatabase(store)),
    clickhouseRow: (s) => ({ ...base(s), ip: clickHouseIpText(s.ip) }),
  });
}

/** Buffers certificates and appends them in batches (see {@link BatchedRowWriter}). */
export class CertificateWriter extends BatchedRowWriter<CertificateObservation> {
  constructor(store: SideTableStore, batch = 10_000) {
    super((rows) => appendCertificates(store, rows), batch);
  }
}

/** Buffers sightings and appends them in batches (see {@link BatchedRowWriter}). */
export class SightingWriter extends BatchedRowWriter<TlsSighting> {
  constructor(store: SideTableStore, batch = 10_000) {
    super((rows) => appendSightings(store, rows), batch);
  }
}

/** One stored certificate: the observation's fields, merged over the rows x509.log gave for its ref. */
export type CertificateRow = CertificateObservation;

/** One stored sighting: a server address:port presented the certificate `ref` ('' = none logged), merged per group. */
export type SightingRow = TlsSighting;

/** A sighting with the certificate it names, when x509.log gave one. */
export interface ServedCertificate extends SightingRow {
  readonly certificate?: CertificateRow;
}

type Where = (bind: (kind: 'string', value: string) => string, ipEquals: (ip: Ip) => string, ipIn: (range: IpRange) => string) => string;

function ms(store: SideTableStore, agg: string): string {
  return store.dialect.name === 'duckdb' ? agg : `toUnixTimestamp64Milli(${agg})`;
}

function split(text: unknown): string[] {
  const s = String(text ?? '');
  return s === '' ? [] : s.split(',');
}

function nullableNumber(v: unknown): number | null {
  return v === null || v === undefined ? null : Number(v);
}

async function selectCertificates(store: SideTableStore, where: Where): Promise<CertificateRow[]> {
  const d = store.dialect;
  const params = d.newParams();
  const any = d.name === 'duckdb' ? 'any_value' : 'any';
  await ensureCertificateTables(store);
  const sql =
    `SELECT ref, ${[...CERT_TEXT, 'not_before', 'not_after', 'key_length', 'is_ca'].map((c) => `${any}(${c}) AS a_${c}`).join(', ')}, ` +
    `${ms(store, 'min(first_seen)')} AS first_ms, ${ms(store, 'max(last_seen)')} AS last_ms, sum(count) AS n ` +
    `FROM ${certificatesTable(store)} WHERE ${where((k, v) => params.bind(k, v), (ip) => d.ipEquals('ip', ip, params), (range) => d.ipInRange('ip', range, params))} GROUP BY ref ORDER BY ref`;
  // Aliased apart from the columns: ClickHouse would read a WHERE on `cn` as the aggregate.
  const rows = (await store.execute(sql, params.params)).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k.startsWith('a_') ? k.slice(2) : k, v])));
  return rows.map((r) => ({
    ref: String(r.ref),
    sha256: String(r.sha256),
    subject: String(r.subject),
    cn: String(r.cn),
    issuer: String(r.issuer),
    serial: String(r.serial),
    notBefore: nullableNumber(r.not_before),
    notAfter: nullableNumber(r.not_after),
    keyAlg: String(r.key_alg),
    keyType: String(r.key_type),
    keyLength: nullableNumber(r.key_length),
    sigAlg: String(r.sig_alg),
    sanDns: split(r.san_dns),
    sanIp: split(r.san_ip),
    isCa: r.is_ca === null || r.is_ca === undefined ? null : r.is_ca === true || Number(r.is_ca) === 1,
    firstSeen: Number(r.first_ms),
    lastSeen: Number(r.last_ms),
    count: Number(r.n),
  }));
}

async function selectSightings(store: SideTableStore, where: Where): Promise<SightingRow[]> {
  const d = store.dialect;
  const params = d.newParams();
  const ipCols = d.ipColumns('ip');
  await ensureCertificateTables(store);
  const sql =
    `SELECT ${SIGHTING_KEY}, ${ipCols.map((c, i) => `${c} AS ip_${i}`).join(', ')}, ` +
    `${ms(store, 'min(first_seen)')} AS first_ms, ${ms(store, 'max(last_seen)')} AS last_ms, sum(count) AS n ` +
    `FROM ${certificateSightingsTable(store)} WHERE ${where((k, v) => params.bind(k, v), (ip) => d.ipEquals('ip', ip, params), (range) => d.ipInRange('ip', range, params))} ` +
    `GROUP BY ${SIGHTING_KEY}, ${ipCols.join(', ')}`;
  const rows = await store.execute(sql, params.params);
  const out = rows.map((r) => ({
    ref: String(r.ref),
    ip: d.decodeIp(ipCols.map((_c, i) => r[`ip_${i}`])) as Ip,
    port: Number(r.port),
    serverName: String(r.server_name),
    ja3s: String(r.ja3s),
    firstSeen: Number(r.first_ms),
    lastSeen: Number(r.last_ms),
    count: Number(r.n),
  }));
  // Ordered here: the two engines order IPv4 and IPv6 columns differently.
  return out.sort((a, b) => {
    const x = toV6Space(a.ip);
    const y = toV6Space(b.ip);
    if (x !== y) return x < y ? -1 : 1;
    return a.port - b.port || cmp(a.ref, b.ref) || cmp(a.serverName, b.serverName) || cmp(a.ja3s, b.ja3s);
  });
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function inList(bind: (kind: 'string', value: string) => string, values: readonly string[]): string {
  return `ref IN (${values.map((v) => bind('string', v)).join(', ')})`;
}

/** The certificate a ref (SHA-256 fingerprint, any case, or Zeek file id) names; undefined when unknown. */
export async function certificate(store: SideTableStore, ref: string): Promise<CertificateRow | undefined> {
  const r = ref.trim();
  const candidates = [...new Set([r, r.toLowerCase()])];
  const rows = await selectCertificates(store, (bind) => inList(bind, candidates));
  return rows[0];
}

/**
 * The refs that name the same certificate as `ref`: itself, and every ref with its issuer and
 * serial (which X.509 makes unique per issuer), because older Zeek gives each connection's copy
 * of one certificate its own file id.
 */
export async function sameCertificateRefs(store: SideTableStore, ref: string): Promise<string[]> {
  const c = await certificate(store, ref);
  if (!c) return [ref.trim()];
  if (c.serial === '' || c.issuer === '') return [c.ref];
  const rows = await selectCertificates(store, (bind) => `serial = ${bind('string', c.serial)} AND issuer = ${bind('string', c.issuer)}`);
  return [...new Set([c.ref, ...rows.map((x) => x.ref)])].sort();
}

/** The TLS servers seen on an address: every port, server name and JA3S, with or without a certificate. */
export async function tlsSightingsOf(store: SideTableStore, ip: Ip | string): Promise<SightingRow[]> {
  const addr = typeof ip === 'string' ? parseIp(ip.trim()) : ip;
  if (addr === undefined) return [];
  return selectSightings(store, (_bind, ipEquals) => ipEquals(addr));
}

/** The TLS servers seen on addresses inside any of the networks (watched assets). */
export async function tlsSightingsIn(store: SideTableStore, ranges: readonly IpRange[]): Promise<SightingRow[]> {
  if (ranges.length === 0) return [];
  return selectSightings(store, (_bind, _ipEquals, ipIn) => `(${ranges.map(ipIn).join(' OR ')})`);
}

/**
 * The certificates an address served (on any port), each sighting with its certificate when
 * x509.log gave it. Sightings without a logged chain are left out (see {@link tlsSightingsOf}).
 */
export async function certificatesOf(store: SideTableStore, ip: Ip | string): Promise<ServedCertificate[]> {
  const sightings = (await tlsSightingsOf(store, ip)).filter((s) => s.ref !== '');
  if (sightings.length === 0) return [];
  const refs = [...new Set(sightings.map((s) => s.ref))];
  const certs = new Map((await selectCertificates(store, (bind) => inList(bind, refs))).map((c) => [c.ref, c]));
  return sightings.map((s) => {
    const c = certs.get(s.ref);
    return c ? { ...s, certificate: c } : s;
  });
}

/** The sightings of a certificate (by any ref naming it): which addresses and ports served it, when. */
export async function ipsServing(store: SideTableStore, ref: string): Promise<SightingRow[]> {
  const refs = await sameCertificateRefs(store, ref);
  const all = [...new Set([...refs, ref.trim(), ref.trim().toLowerCase()])];
  return selectSightings(store, (bind) => inList(bind, all));
}

/**
 * The certificates that name a domain: subject CN or a DNS SAN equal to it, or a wildcard
 * (`*.parent`) covering it by one label.
 */
export async function certificatesNaming(store: SideTableStore, domain: string): Promise<CertificateRow[]> {
  const d = normalizeCertName(domain);
  if (d === '') return [];
  const dot = d.indexOf('.');
  const names = dot > 0 ? [d, `*.${d.slice(dot + 1)}`] : [d];
  const duck = store.dialect.name === 'duckdb';
  const rows = await selectCertificates(store, (bind) =>
    names
      .flatMap((n) => {
        const inSans = duck ? `contains(',' || san_dns || ',', ${bind('string', `,${n},`)})` : `position(concat(',', san_dns, ','), ${bind('string', `,${n},`)}) > 0`;
        return [`cn = ${bind('string', n)}`, inSans];
      })
      .join(' OR '),
  );
  // The SQL is a coarse filter; the covering rule decides (and keeps both engines identical).
  return rows.filter((c) => certNameCovers(c.cn, d) || c.sanDns.some((n) => certNameCovers(n, d)));
}
