// The store reads the pivot engine batches or adds over the side tables' own helpers, DuckDB and
// ClickHouse side by side: the peers of a whole frontier of addresses in one flow scan per step,
// the addresses active inside a network or an AS, and the sibling lookups (servers sharing a JA3S,
// clients sharing a JA3/JA4, addresses with the same banner on the same port). Values are always
// bound as parameters.

import { formatIp, type Ip, type IpRange } from '../core/ip.js';
import { ipKey, num, readKey } from '../detect/flow-sql.js';
import { certificatesTable, certificateSightingsTable, ensureCertificateTables } from '../store/certificate-tables.js';
import { ensurePassiveDnsTable, passiveDnsTable } from '../store/passive-dns-table.js';
import { ensureServicesTable, servicesTable } from '../store/services-table.js';
import { ensureTlsClientTable, tlsClientsTable } from '../store/tls-client-table.js';
import type { BoundParam, Dialect, ParamSink, Store } from '../store/store.js';

/** Flow bounds on `start` (epoch ms), either open. */
export interface FlowWindow {
  readonly from?: number;
  readonly to?: number;
}

/** A peer of a frontier address over flows. */
export interface PeerRow {
  readonly node: string;
  readonly peer: string;
  readonly flows: number;
  readonly bytes: number;
  readonly first: number;
  readonly last: number;
  readonly ports: number[];
  /** Distinct peers of `node` in the window (the strongest `limit` are returned). */
  readonly total: number;
}

/** An address's activity: flows, bytes and span (flows) or observations (side tables). */
export interface ActivityRow {
  readonly ip: string;
  readonly count: number;
  readonly bytes?: number;
  readonly first: number;
  readonly last: number;
}

/** Addresses per query in a batched IN list: keeps statements and their plans small. */
const BATCH = 256;

function windowSql(d: Dialect, p: ParamSink, window: FlowWindow): string {
  const q = d.quote;
  const parts: string[] = [];
  if (window.from !== undefined) parts.push(`${q('start')} >= ${p.bind('time', window.from)}`);
  if (window.to !== undefined) parts.push(`${q('start')} < ${p.bind('time', window.to)}`);
  return parts.length > 0 ? parts.join(' AND ') : '1 = 1';
}

function ms(d: Dialect, agg: string): string {
  return d.name === 'duckdb' ? agg : `toUnixTimestamp64Milli(${agg})`;
}

function portsOf(value: unknown): number[] {
  const items = Array.isArray(value) ? value : ((value as { items?: readonly unknown[] } | null)?.items ?? []);
  return items.map(Number);
}

/**
 * The peers of every address of a frontier, `limit` per address (most bytes, then most flows,
 * then the lowest peer key), in one statement per batch of addresses: each flow is read once per
 * end that belongs to the frontier (a flow from an address to itself once), grouped first by
 * (address, peer, service port) so that the port list is a list of distinct values, then by
 * (address, peer). The service port is the lower of a TCP/UDP/SCTP pair; at most 5, ascending.
 * What a per-address query would return, address by address.
 */
export async function peersOf(store: Store, ips: readonly Ip[], window: FlowWindow, limit: number): Promise<PeerRow[]> {
  const out: PeerRow[] = [];
  for (let i = 0; i < ips.length; i += BATCH) out.push(...(await peersBatch(store, ips.slice(i, i + BATCH), window, limit)));
  return out;
}

async function peersBatch(store: Store, ips: readonly Ip[], window: FlowWindow, limit: number): Promise<PeerRow[]> {
  if (ips.length === 0) return [];
  const d = store.dialect;
  const q = d.quote;
  const p = d.newParams();
  const port = `CASE WHEN ${q('proto')} IN (6, 17, 132) AND ${q('sport')} < ${q('dport')} THEN ${q('sport')} ELSE ${q('dport')} END`;
  // Grouped first on the raw address columns (narrow keys hash fast); the comparable keys are
  // computed on the grouped rows only.
  const as = (column: string, alias: string) => d.ipColumns(column).map((c, i) => `${c} AS ${d.ipColumns(alias)[i]}`).join(', ');
  const side = (node: 'src' | 'dst', peer: 'src' | 'dst', extra: string) =>
    `SELECT ${as(node, 'na')}, ${as(peer, 'pa')}, ${port} AS port, ${q('bytes')} AS b, ${d.timeMs('start')} AS s_ms, ${d.timeMs('end')} AS e_ms ` +
    `FROM flows WHERE ${windowSql(d, p, window)} AND ${d.flowsIpIn(node, ips, p)}${extra}`;
  // A flow from a frontier address to itself is read once, from its source side.
  const src = d.ipColumns('src');
  const dst = d.ipColumns('dst');
  const selfFlow = d.name === 'duckdb' ? src.map((c, i) => `${c} IS NOT DISTINCT FROM ${dst[i]}`).join(' AND ') : `${src[0]} = ${dst[0]}`;
  const sides = `${side('src', 'dst', '')} UNION ALL ${side('dst', 'src', ` AND NOT (${selfFlow})`)}`;
  const raw = [...d.ipColumns('na'), ...d.ipColumns('pa')].join(', ');
  const portList = d.name === 'duckdb' ? 'list_sort(list(port))[1:5]' : 'arraySlice(arraySort(groupArray(port)), 1, 5)';
  const sql =
    `SELECT node, peer, n_flows, n_bytes, first_ms, last_ms, ports, total FROM (` +
    `SELECT node, peer, n_flows, n_bytes, first_ms, last_ms, ports, COUNT(*) OVER (PARTITION BY node) AS total, ` +
    `row_number() OVER (PARTITION BY node ORDER BY n_bytes DESC, n_flows DESC, peer) AS rk FROM (` +
    `SELECT node, peer, sum(n) AS n_flows, sum(nb) AS n_bytes, min(f) AS first_ms, max(l) AS last_ms, ${portList} AS ports FROM (` +
    `SELECT ${ipKey(d, 'na')} AS node, ${ipKey(d, 'pa')} AS peer, port, count(*) AS n, sum(b) AS nb, min(s_ms) AS f, max(e_ms) AS l FROM (${sides}) AS sides GROUP BY ${raw}, port` +
    `) AS by_port GROUP BY node, peer) AS peers) AS ranked WHERE rk <= ${Math.max(1, Math.floor(limit))} ORDER BY node, rk`;
  const rows = await store.execute(sql, p.params);
  return rows.map((r) => ({
    node: readKey(d, r.node),
    peer: readKey(d, r.peer),
    flows: num(r, 'n_flows'),
    bytes: num(r, 'n_bytes'),
    first: num(r, 'first_ms'),
    last: num(r, 'last_ms'),
    ports: portsOf(r.ports),
    total: num(r, 'total'),
  }));
}

/**
 * The addresses on either end of the window's flows that satisfy a per-side condition (inside a
 * network, or in an AS by the flows' `src_as`/`dst_as`), with flows, bytes and span, most bytes
 * first; at most `cap` rows and the number of such addresses.
 */
export async function activeAddresses(
  store: Store,
  window: FlowWindow,
  condition: (d: Dialect, p: ParamSink, side: 'src' | 'dst') => string,
  cap: number,
): Promise<{ rows: ActivityRow[]; total: number }> {
  const d = store.dialect;
  const q = d.quote;
  const p = d.newParams();
  const part = (side: 'src' | 'dst') =>
    `SELECT ${ipKey(d, side)} AS a, count(*) AS f, sum(${q('bytes')}) AS b, min(${d.timeMs('start')}) AS s, max(${d.timeMs('end')}) AS e ` +
    `FROM flows WHERE ${windowSql(d, p, window)} AND ${condition(d, p, side)} GROUP BY a`;
  const rows = await store.execute(
    `SELECT a, sum(f) AS n_flows, sum(b) AS n_bytes, min(s) AS first_ms, max(e) AS last_ms, COUNT(*) OVER () AS total FROM (${part('src')} UNION ALL ${part('dst')}) AS t ` +
      `GROUP BY a ORDER BY n_bytes DESC, n_flows DESC, a LIMIT ${Math.max(1, Math.floor(cap))}`,
    p.params,
  );
  return {
    total: rows.length > 0 ? num(rows[0]!, 'total') : 0,
    rows: rows.map((r) => ({ ip: readKey(d, r.a), count: num(r, 'n_flows'), bytes: num(r, 'n_bytes'), first: num(r, 'first_ms'), last: num(r, 'last_ms') })),
  };
}

/** Condition for {@link activeAddresses}: the side's address lies in the network. */
export function inNetwork(range: IpRange): (d: Dialect, p: ParamSink, side: 'src' | 'dst') => string {
  return (d, p, side) => d.flowsIpInRange(side, range, p);
}

/** Condition for {@link activeAddresses}: the side's AS (set at ingest) is the AS. */
export function inAs(asn: number): (d: Dialect, p: ParamSink, side: 'src' | 'dst') => string {
  return (d, p, side) => `${d.quote(`${side}_as`)} = ${p.bind('u32', asn)}`;
}

/** Groups side-table rows per address: observations summed, span widened, most seen first. */
async function groupedByAddress(store: Store, table: string, ipColumn: string, where: string, p: ParamSink & { readonly params: BoundParam[] }, limit: number): Promise<{ rows: ActivityRow[]; total: number }> {
  const d = store.dialect;
  const cols = d.ipColumns(ipColumn);
  const sql =
    `SELECT ${cols.map((c, i) => `${c} AS ip_${i}`).join(', ')}, sum(count) AS n, ${ms(d, 'min(first_seen)')} AS first_ms, ${ms(d, 'max(last_seen)')} AS last_ms, COUNT(*) OVER () AS total ` +
    `FROM ${table} WHERE ${where} GROUP BY ${cols.join(', ')} ORDER BY n DESC, last_ms DESC, ${d.ipKeyOf(cols)} LIMIT ${Math.max(1, Math.floor(limit))}`;
  const rows = await store.execute(sql, p.params);
  return {
    total: rows.length > 0 ? num(rows[0]!, 'total') : 0,
    rows: rows.map((r) => ({ ip: formatIp(d.decodeIp(cols.map((_c, i) => r[`ip_${i}`])) as Ip), count: num(r, 'n'), first: num(r, 'first_ms'), last: num(r, 'last_ms') })),
  };
}

/** The TLS servers that answered with a JA3S (certificate sightings), most seen first. */
export async function serversWithJa3s(store: Store, ja3s: string, limit: number): Promise<{ rows: ActivityRow[]; total: number }> {
  await ensureCertificateTables(store);
  const p = store.dialect.newParams();
  return groupedByAddress(store, certificateSightingsTable(store), 'ip', `ja3s = ${p.bind('string', ja3s)}`, p, limit);
}

/** The TLS clients that sent a JA3 or JA4 fingerprint (tls_clients), most seen first. */
export async function clientsWithFingerprint(store: Store, kind: 'ja3' | 'ja4', fingerprint: string, limit: number): Promise<{ rows: ActivityRow[]; total: number }> {
  await ensureTlsClientTable(store);
  const p = store.dialect.newParams();
  return groupedByAddress(store, tlsClientsTable(store), 'src', `${kind} = ${p.bind('string', fingerprint)}`, p, limit);
}

/**
 * The addresses serving a port and transport whose banner (or, without a banner, product) is the
 * text, from the services table, most observations first. The texts compared are the merged ones
 * (the latest non-empty per address, port, transport and source), as the pivot's banner nodes use.
 */
export async function hostsWithBanner(store: Store, port: number, transport: string, text: string, limit: number): Promise<{ rows: ActivityRow[]; total: number }> {
  await ensureServicesTable(store);
  const d = store.dialect;
  const p = d.newParams();
  const merged = (t: string) => (d.name === 'duckdb' ? `arg_max(${t}, ${t}_at)` : `tupleElement(max(${t}), 2)`);
  const key = 'ip, port, transport, source';
  const t = p.bind('string', text);
  const inner =
    `SELECT ip, sum(count) AS c, ${ms(d, 'min(first_seen)')} AS f, ${ms(d, 'max(last_seen)')} AS l, ${merged('banner')} AS banner_text, ${merged('product')} AS product_text ` +
    `FROM ${servicesTable(store)} WHERE port = ${p.bind('u16', port)} AND transport = ${p.bind('string', transport)} GROUP BY ${key}`;
  const rows = await store.execute(
    `SELECT ip, sum(c) AS n, min(f) AS first_ms, max(l) AS last_ms, COUNT(*) OVER () AS total FROM (${inner}) AS s ` +
      `WHERE banner_text = ${t} OR (banner_text = '' AND product_text = ${t}) GROUP BY ip ORDER BY n DESC, last_ms DESC, ip LIMIT ${Math.max(1, Math.floor(limit))}`,
    p.params,
  );
  return {
    total: rows.length > 0 ? num(rows[0]!, 'total') : 0,
    rows: rows.map((r) => ({ ip: String(r.ip), count: num(r, 'n'), first: num(r, 'first_ms'), last: num(r, 'last_ms') })),
  };
}

/**
 * The certificates table's refs of a certificate given by its hash: rows whose SHA-256 column or
 * ref (a fingerprint, when Zeek logged one as the chain reference) is the hash, lower case.
 */
export async function certificateRefsByHash(store: Store, hash: string): Promise<string[]> {
  await ensureCertificateTables(store);
  const p = store.dialect.newParams();
  const h = p.bind('string', hash.toLowerCase());
  const rows = await store.execute(`SELECT DISTINCT ref FROM ${certificatesTable(store)} WHERE lower(sha256) = ${h} OR lower(ref) = ${h} ORDER BY ref`, p.params);
  return rows.map((r) => String(r.ref));
}

/** Which side datasets hold any row: a relation over an empty one is not read at all. */
export interface DatasetPresence {
  readonly passiveDns: boolean;
  readonly certificates: boolean;
  readonly sightings: boolean;
  readonly services: boolean;
  readonly tlsClients: boolean;
}

/**
 * Looks once per pivot at which side tables have rows (creating missing ones, as their reads
 * would): a flow-only store then costs one statement here instead of several per address.
 */
export async function datasetPresence(store: Store): Promise<DatasetPresence> {
  await ensurePassiveDnsTable(store);
  await ensureCertificateTables(store);
  await ensureServicesTable(store);
  await ensureTlsClientTable(store);
  const count = (table: string) => `(SELECT count(*) FROM ${table})`;
  const [r] = await store.execute(
    `SELECT ${count(passiveDnsTable(store))} AS dns, ${count(certificatesTable(store))} AS certs, ${count(certificateSightingsTable(store))} AS sightings, ` +
      `${count(servicesTable(store))} AS services, ${count(tlsClientsTable(store))} AS tls`,
  );
  const has = (k: string) => num(r ?? {}, k) > 0;
  return { passiveDns: has('dns'), certificates: has('certs'), sightings: has('sightings'), services: has('services'), tlsClients: has('tls') };
}
