// The beacon detector: client-server pairs whose connections recur on a clock (C2 check-ins),
// scored in the manner of RITA. The store aggregates per pair (client, server, service port,
// protocol) and keeps those with enough flows; only those candidates' flow times, client ports
// and sizes come to JS, where the flows of one connection are merged and the pair is scored.

import { VantageError } from '../../core/errors.js';
import { parseCidr, parseIp, type Ip, type IpRange } from '../../core/ip.js';
import { protocolName } from '../../core/protocols.js';
import type { Dialect, ParamSink } from '../../store/store.js';
import { threatIntel } from '../corroborate.js';
import type { DetectionContext, Detector, DetectorStats, NewFinding } from '../detector.js';
import { findingId, isoTime, maxSeverity, roundScore, severityFor } from '../finding.js';
import { evidence, findingWindow, ipKey, num, readKey, TCP, windowWhere } from '../flow-sql.js';
import { beaconConfig, internalRanges, scoreOptions, type BeaconConfig } from './beacon-config.js';
import { prevalenceModifier, round3, scoreBeacon, timingFloor, type BeaconScore } from './score.js';

/** Protocols whose flows carry ports, so that a reply can be told from its request. */
const PORTED = '(6, 17, 132)';

/** Multicast and limited broadcast: periodic by design (router adverts, mDNS, MLD), never a C2 server. */
const GROUP_ADDRESSES = ['224.0.0.0/4', '255.255.255.255/32', 'ff00::/8'].map((c) => parseCidr(c)!);

/**
 * Private address space (RFC 1918, shared CGN space, unique-local and link-local IPv6). Without
 * configured internal networks, a pair with both ends in it is internal traffic (a host and its
 * resolver, proxy or file server) and is left out unless internal servers are included: RITA
 * looks at internal-to-external pairs only, and periodic internal services are its commonest
 * false positive.
 */
const PRIVATE = ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', 'fc00::/7', 'fe80::/10'].map((c) => parseCidr(c)!);

/**
 * The window's flows oriented client to server, as a derived table (cli, srv, port, cport, proto,
 * t, e, b, fl, smp): a flow whose source port is below its destination port is a reply and is
 * turned round (as retro-hunt does), so both directions of a connection land on one pair and
 * `port` is the service port. Flows to multicast and broadcast addresses are left out. With
 * internal networks, only flows whose client is inside them, and (unless internal servers are
 * included) whose server is outside: RITA's outbound scope, where C2 servers live.
 */
function orientedFlows(d: Dialect, params: ParamSink, context: DetectionContext, config: BeaconConfig): string {
  const q = d.quote;
  // Equal ports (NTP, IKE, peer protocols) have no client side: the lower address is taken as
  // the server, so both directions land on one pair.
  const swap = `(${q('proto')} IN ${PORTED} AND (${q('sport')} < ${q('dport')} OR (${q('sport')} = ${q('dport')} AND ${ipKey(d, 'src')} < ${ipKey(d, 'dst')})))`;
  const ranges = internalRanges(config);
  // COALESCE: on DuckDB the other family's column is NULL, and NOT NULL would drop the flow.
  const any = (column: string, list: readonly IpRange[]) => `COALESCE((${list.map((r) => d.ipInRange(column, r, params)).join(' OR ')}), FALSE)`;
  let scope = ` AND NOT ${any('dst', GROUP_ADDRESSES)}`;
  if (config.ignorePorts.length > 0) {
    const ports = config.ignorePorts.map((p) => params.bind('u16', p)).join(', ');
    scope += ` AND NOT (${q('sport')} IN (${ports}) AND ${q('proto')} IN ${PORTED} AND ${q('sport')} <= ${q('dport')}) AND NOT (${q('dport')} IN (${ports}) AND ${q('proto')} IN ${PORTED} AND ${q('dport')} <= ${q('sport')})`;
  }
  if (ranges.length > 0) {
    scope += ` AND ((${swap} AND ${any('dst', ranges)}) OR (NOT ${swap} AND ${any('src', ranges)}))`;
    if (!config.includeInternalServers) scope += ` AND NOT ((${swap} AND ${any('src', ranges)}) OR (NOT ${swap} AND ${any('dst', ranges)}))`;
  } else if (!config.includeInternalServers) {
    scope += ` AND NOT (${any('src', PRIVATE)} AND ${any('dst', PRIVATE)})`;
  }
  return (
    `SELECT CASE WHEN ${swap} THEN ${ipKey(d, 'dst')} ELSE ${ipKey(d, 'src')} END AS cli, ` +
    `CASE WHEN ${swap} THEN ${ipKey(d, 'src')} ELSE ${ipKey(d, 'dst')} END AS srv, ` +
    `CASE WHEN ${swap} THEN ${q('sport')} ELSE ${q('dport')} END AS port, ` +
    `CASE WHEN ${swap} THEN ${q('dport')} ELSE ${q('sport')} END AS cport, ` +
    `${q('proto')} AS proto, ${d.timeMs('start')} AS t, ${d.timeMs('end')} AS e, ${q('bytes')} AS b, ${q('tcp_flags')} AS fl, ` +
    `COALESCE(${q('sampling')}, 1) AS smp ` +
    `FROM flows WHERE ${windowWhere(d, params, context.from, context.to)}${scope}`
  );
}

/**
 * Per candidate pair, its flows as five arrays (t, e, cport, b, fl), in no particular order:
 * both engines collect one list of whole flows (so the five arrays stay aligned) and split it;
 * `sortedFlows` orders them. Ordering inside the aggregate cost DuckDB most of the query.
 */
function flowLists(d: Dialect): { select: string; wrap: (inner: string, columns: string) => string } {
  const cols = ['t', 'e', 'cport', 'b', 'fl'];
  if (d.name === 'duckdb') {
    return {
      select: `list({${cols.map((c) => `${c}: CAST(${c} AS BIGINT)`).join(', ')}}) AS fs`,
      wrap: (inner, columns) => `SELECT ${columns}, ${cols.map((c) => `list_transform(fs, x -> x.${c}) AS ${c}s`).join(', ')} FROM (${inner}) AS l`,
    };
  }
  return {
    select: 'groupArray(tuple(toInt64(t), toInt64(e), toInt64(cport), toInt64(b), toInt64(fl))) AS fs',
    wrap: (inner, columns) =>
      `SELECT ${columns}, ${cols.map((c, i) => `arrayMap(x -> tupleElement(x, ${i + 1}), fs) AS ${c}s`).join(', ')} FROM (${inner}) AS l`,
  };
}

/** A pair's flows ordered by start, then end, client port, bytes and flags (whole flows, so equal starts order the same way on every run). */
function sortedFlows(f: { t: number[]; e: number[]; cport: number[]; b: number[]; fl: number[] }): typeof f {
  const order = f.t.map((_, i) => i).sort((i, j) => f.t[i]! - f.t[j]! || f.e[i]! - f.e[j]! || f.cport[i]! - f.cport[j]! || f.b[i]! - f.b[j]! || f.fl[i]! - f.fl[j]!);
  const pick = (a: number[]) => order.map((i) => a[i]!);
  return { t: pick(f.t), e: pick(f.e), cport: pick(f.cport), b: pick(f.b), fl: pick(f.fl) };
}

/** The values of an array column as numbers (DuckDB list values or ClickHouse JSON arrays). */
function numbers(value: unknown): number[] {
  const items = Array.isArray(value) ? value : ((value as { items?: readonly unknown[] } | null)?.items ?? []);
  return items.map((v) => Number(v));
}

/** One connection after merging the flows that continue it. */
interface Connection {
  start: number;
  end: number;
  bytes: number;
  flows: number;
}

/**
 * Merges a pair's flows (sorted by start) into connections. A flow continues the previous flow
 * of its client port when it starts before that one ended or within `adjacentGapMs` (the two
 * directions of one connection; a flow cut by an exporter's active timeout), or, for TCP when the
 * pair carries flags at all, when it has no SYN and starts within `continuationGapMs` (an
 * established connection resumed after an idle or active timeout). A client port reused by a new
 * connection (a SYN) starts a new one.
 */
export function mergeConnections(
  flows: { t: readonly number[]; e: readonly number[]; cport: readonly number[]; b: readonly number[]; fl: readonly number[] },
  proto: number,
  config: Pick<BeaconConfig, 'adjacentGapMs' | 'continuationGapMs'>,
): Connection[] {
  const out: Connection[] = [];
  const open = new Map<number, Connection>();
  const flagsKnown = proto === 6 && flows.fl.some((f) => f !== 0);
  for (let i = 0; i < flows.t.length; i++) {
    const t = flows.t[i]!;
    const e = Math.max(t, flows.e[i]!);
    const c = open.get(flows.cport[i]!);
    const gap = c ? t - c.end : Number.POSITIVE_INFINITY;
    const continues = c !== undefined && (gap <= config.adjacentGapMs || (flagsKnown && (flows.fl[i]! & TCP.SYN) === 0 && gap <= config.continuationGapMs));
    if (continues) {
      c.end = Math.max(c.end, e);
      c.bytes += flows.b[i]!;
      c.flows++;
      continue;
    }
    const conn = { start: t, end: e, bytes: flows.b[i]!, flows: 1 };
    open.set(flows.cport[i]!, conn);
    out.push(conn);
  }
  return out.sort((a, b) => a.start - b.start);
}

/** A duration as people say it: "2.2 s", "60 s", "5 min", "2.5 h". */
export function humanDuration(ms: number): string {
  const s = ms / 1000;
  if (s < 10) return `${Math.round(s * 10) / 10} s`;
  if (s < 120) return `${Math.round(s)} s`;
  if (s < 7200) return `${Math.round((s / 60) * 10) / 10} min`;
  return `${Math.round((s / 3600) * 10) / 10} h`;
}

/** The server as a summary names it: address:port/proto, or the ICMP type and code. */
function service(dst: string, port: number, proto: number): string {
  const host = dst.includes(':') ? `[${dst}]` : dst;
  if (proto === 1 || proto === 58) return `${host} (${protocolName(proto)} type ${port >> 8} code ${port & 255})`;
  return `${host}:${port}/${protocolName(proto)}`;
}

/** The query that shows a pair's flows, both directions for ported protocols. */
function reproducingQuery(src: string, dst: string, port: number, proto: number): string {
  const p = protocolName(proto);
  if ([6, 17, 132].includes(proto)) {
    return `proto ${p} and ((src ip ${src} and dst ip ${dst} and dst port ${port}) or (src ip ${dst} and src port ${port} and dst ip ${src}))`;
  }
  return `proto ${p} and src ip ${src} and dst ip ${dst} and dst port ${port}`;
}

/** The intervals seen, rounded to seconds, most common first (RITA's interval graph, as counts). */
function intervalCounts(starts: readonly number[], minIntervalMs: number, top = 10): { seconds: number; count: number }[] {
  const counts = new Map<number, number>();
  for (let i = 1; i < starts.length; i++) {
    const d = starts[i]! - starts[i - 1]!;
    if (d < minIntervalMs) continue;
    const s = Math.round(d / 100) / 10;
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return [...counts.entries()]
    .map(([seconds, count]) => ({ seconds, count }))
    .sort((a, b) => b.count - a.count || a.seconds - b.seconds)
    .slice(0, top);
}

/** A pair that passed the floors, waiting for its evidence. */
interface Scored {
  src: string;
  dst: string;
  port: number;
  proto: number;
  sampling: number;
  flows: number;
  connections: Connection[];
  starts: number[];
  s: BeaconScore;
  score: number;
  prevalence: { clients: number; totalClients: number; modifier: number; applied: boolean };
  vendor?: { asn: number; modifier: number };
}

/** The beacon detector. */
export const beaconDetector: Detector<BeaconConfig> = {
  kind: 'beacon',
  description: 'client-server pairs whose connections recur on a clock (C2 beacons), scored as RITA does',
  config: beaconConfig,
  async run(context, config) {
    const store = context.store;
    const d = store.dialect;
    const options = scoreOptions(config);

    const started = performance.now();
    const params = d.newParams();
    const o = orientedFlows(d, params, context, config);
    const minSampled = params.bind('i64', config.minConnectionsSampled);
    const minPlain = params.bind('i64', config.minConnections);
    const maxFlows = params.bind('i64', config.maxFlowsPerPair);
    const limit = params.bind('i64', config.maxPairs);
    const lists = flowLists(d);
    const keys = 'ccli, csrv, cport_, cproto';
    // The HAVING is a first cut on flows (a connection is one or more flows): pairs are checked
    // again on connections once merged.
    const candidates =
      `SELECT cli AS ccli, srv AS csrv, port AS cport_, proto AS cproto, COUNT(*) AS n, MAX(smp) AS smp_, COUNT(*) OVER () AS qualified FROM o ` +
      `GROUP BY cli, srv, port, proto ` +
      `HAVING COUNT(*) >= CASE WHEN MAX(smp) > 1 THEN ${minSampled} ELSE ${minPlain} END AND COUNT(*) <= ${maxFlows} ` +
      `ORDER BY n DESC, cli, srv, port, proto LIMIT ${limit}`;
    // The window's extent and clients (RITA's dataset span, the prevalence denominator) ride on
    // every row, read from the same oriented flows: one pass over the window instead of two. The
    // client count is exact: the two engines' estimates differ (DuckDB's took 20 clients for 23),
    // and it is the denominator of the prevalence modifier, so it moved scores and severities.
    const overviewCte = `ov AS (SELECT COUNT(*) AS ov_flows, MIN(t) AS ov_t0, MAX(t) AS ov_t1, COUNT(DISTINCT cli) AS ov_clients FROM o)`;
    const prevalenceCte = `p AS (SELECT srv AS psrv, COUNT(DISTINCT cli) AS pclients FROM o WHERE srv IN (SELECT csrv FROM c) GROUP BY srv)`;
    const inner =
      `SELECT ${keys}, n, qualified, smp_ AS psmp, ${lists.select}, MAX(pclients) AS pclients ` +
      `FROM o INNER JOIN c ON o.cli = c.ccli AND o.srv = c.csrv AND o.port = c.cport_ AND o.proto = c.cproto ` +
      `LEFT JOIN p ON p.psrv = c.csrv GROUP BY ${keys}, n, qualified, smp_`;
    const sql = `WITH o AS (${o}), c AS (${candidates}), ${prevalenceCte}, ${overviewCte} SELECT * FROM (${lists.wrap(inner, `${keys}, n, qualified, psmp, pclients`)}) AS pairs CROSS JOIN ov`;
    let rows: Record<string, unknown>[];
    try {
      rows = await store.execute(sql, params.params);
    } catch (err) {
      if (err instanceof VantageError) throw new VantageError(err.code, `beacon detector: ${err.message}`, err.location);
      throw err;
    }
    const pairsDone = performance.now();
    // No candidate pair: the window's extent and clients still go in the report.
    let overview = rows[0];
    if (!overview) {
      const op = d.newParams();
      [overview] = await store.execute(
        `SELECT COUNT(*) AS ov_flows, MIN(t) AS ov_t0, MAX(t) AS ov_t1, COUNT(DISTINCT cli) AS ov_clients FROM (${orientedFlows(d, op, context, config)}) AS o`,
        op.params,
      );
    }
    const stats: DetectorStats = { flows: num(overview ?? {}, 'ov_flows'), clients: num(overview ?? {}, 'ov_clients'), candidates: 0, pairsScored: 0, pairsSkipped: 0, findings: 0, findingsDropped: 0 };
    stats.pairsMs = Math.round(pairsDone - started);
    if (rows.length === 0) return { findings: [], stats };
    const datasetStart = num(overview!, 'ov_t0');
    const datasetEnd = Math.max(num(overview!, 'ov_t1'), datasetStart + 1);
    const totalClients = stats.clients!;
    const withPrevalence = totalClients >= config.prevalence.minClients;

    const scored: Scored[] = [];
    stats.pairsFetched = rows.length;
    for (const r of rows) {
      stats.candidates = Math.max(stats.candidates!, num(r, 'qualified'));
      const proto = num(r, 'cproto');
      const sampling = num(r, 'psmp');
      const flows = sortedFlows({ t: numbers(r.ts), e: numbers(r.es), cport: numbers(r.cports), b: numbers(r.bs), fl: numbers(r.fls) });
      const connections = mergeConnections(flows, proto, config);
      const sampled = sampling > 1;
      if (connections.length < (sampled ? config.minConnectionsSampled : config.minConnections)) {
        stats.pairsSkipped!++;
        continue;
      }
      stats.pairsScored!++;
      const starts = connections.map((c) => c.start);
      const s = scoreBeacon({ starts, sizes: connections.map((c) => c.bytes), datasetStart, datasetEnd, sampled }, options);
      const clients = withPrevalence ? num(r, 'pclients') : 0;
      const modifier = withPrevalence ? prevalenceModifier(clients, totalClients, config.prevalence) : 0;
      const score = roundScore(s.score + modifier);
      if (s.tooFew || s.timing < timingFloor(s.intervals.count, config.minTiming) || score < config.minScore) continue;
      const src = readKey(d, r.ccli);
      const dst = readKey(d, r.csrv);
      scored.push({ src, dst, port: num(r, 'cport_'), proto, sampling, flows: flows.t.length, connections, starts, s, score, prevalence: { clients, totalClients, modifier, applied: withPrevalence } });
    }
    const vendorDropped = await applyVendorModifier(context, config, scored);
    stats.vendorDropped = vendorDropped;
    scored.sort((a, b) => b.score - a.score || b.connections.length - a.connections.length);
    const scoringDone = performance.now();
    stats.scoreMs = Math.round(scoringDone - pairsDone);
    stats.findingsDropped = Math.max(0, scored.length - config.maxFindings);

    const findings: NewFinding[] = [];
    for (const { src, dst, port, proto, sampling, flows, connections, starts, s, score, prevalence, vendor } of scored.slice(0, config.maxFindings)) {
      const first = connections[0]!.start;
      const last = connections.reduce((m, c) => Math.max(m, c.end), first);
      const intel = threatIntel(context.intel, dst, port);
      const severity = intel.length > 0 ? maxSeverity(severityFor(score), 'high') : severityFor(score);
      const query = reproducingQuery(src, dst, port, proto);
      const details = { ...beaconDetails(s, connections, starts, options.minIntervalMs, sampling, prevalence), ...(vendor ? { vendor } : {}) };
      findings.push({
        id: findingId('beacon', src, dst, port, proto),
        kind: 'beacon',
        subkind: 'ip-pair',
        score,
        subscores: { timestamp: s.timestamp, periodicity: s.periodicity, dataSize: s.dataSize, histogram: s.histogram, duration: s.duration },
        severity,
        src,
        dst,
        dport: port,
        proto,
        entities: [
          { role: 'client', type: 'ip', value: src },
          { role: 'server', type: 'ip', value: dst },
        ],
        first: isoTime(first),
        last: isoTime(last),
        summary:
          `${src} beacons to ${service(dst, port, proto)} every ~${humanDuration(s.intervals.periodMs)} ` +
          `(${connections.length} connections over ${humanDuration(starts[starts.length - 1]! - first)}, score ${score.toFixed(2)})`,
        evidence: await evidence(context, query, findingWindow(context, first, last), { connections: connections.length, flows }, details),
        intel,
      });
    }
    findings.sort((a, b) => b.score - a.score || a.id.localeCompare(b.id));
    stats.findings = findings.length;
    stats.evidenceMs = Math.round(performance.now() - scoringDone);
    return { findings, stats };
  },
};

/**
 * Lowers the score of pairs whose server sits in a software vendor's own AS (`vendorAsns`): OS and
 * antivirus updates and telemetry call home on a timer, and on a network of one or a few hosts
 * prevalence cannot tell them apart. The AS comes from the flows (enrichment at ingest, or the
 * exporter's BGP AS); a server that intelligence names keeps its score. Pairs that fall under
 * `minScore` are dropped; returns how many.
 */
async function applyVendorModifier(context: DetectionContext, config: BeaconConfig, scored: Scored[]): Promise<number> {
  if (config.vendorAsns.length === 0 || config.vendorDecrease === 0 || scored.length === 0) return 0;
  const { store } = context;
  const d = store.dialect;
  const servers = [...new Set(scored.map((p) => p.dst))].map((a) => parseIp(a)).filter((ip): ip is Ip => ip !== undefined);
  const params = d.newParams();
  const side = (ip: string, as: string) =>
    `SELECT ${ipKey(d, ip)} AS k, ${d.quote(as)} AS a FROM flows WHERE ${windowWhere(d, params, context.from, context.to)} AND ${d.quote(as)} IS NOT NULL AND ${d.flowsIpIn(ip, servers, params)}`;
  const rows = await store.execute(`SELECT k, MAX(a) AS asn FROM (${side('dst', 'dst_as')} UNION ALL ${side('src', 'src_as')}) AS s GROUP BY k`, params.params);
  const asnOf = new Map(rows.map((r) => [readKey(d, r.k), num(r, 'asn')]));
  const vendors = new Set(config.vendorAsns);
  let dropped = 0;
  for (let i = scored.length - 1; i >= 0; i--) {
    const pair = scored[i]!;
    const asn = asnOf.get(pair.dst);
    if (asn === undefined || !vendors.has(asn) || threatIntel(context.intel, pair.dst, pair.port).length > 0) continue;
    pair.vendor = { asn, modifier: -config.vendorDecrease };
    pair.score = roundScore(pair.score - config.vendorDecrease);
    if (pair.score < config.minScore) {
      scored.splice(i, 1);
      dropped++;
    }
  }
  return dropped;
}

/** What a finding's evidence details show: the intervals, sizes, histogram and prevalence behind the score. */
function beaconDetails(
  s: BeaconScore,
  connections: readonly Connection[],
  starts: readonly number[],
  minIntervalMs: number,
  sampling: number,
  prevalence: { clients: number; totalClients: number; modifier: number; applied: boolean },
): Record<string, unknown> {
  const sizes = connections.map((c) => c.bytes).sort((a, b) => a - b);
  return {
    connections: connections.length,
    intervalMedianMs: Math.round(s.intervals.medianMs),
    periodMs: Math.round(s.intervals.periodMs),
    intervals: {
      count: s.intervals.count,
      minMs: s.intervals.minMs,
      madMs: Math.round(s.intervals.madMs),
      skew: round3(s.intervals.skew),
      common: intervalCounts(starts, minIntervalMs),
    },
    sizes: { min: sizes[0], median: s.sizes.median, mode: s.sizes.mode, max: sizes[sizes.length - 1], mad: s.sizes.mad, skew: round3(s.sizes.skew) },
    histogram: { bins: s.bins.counts, cv: round3(s.bins.cv), bimodal: s.bins.bimodal, coverage: s.bins.coverage, consistency: s.bins.consistency },
    timing: s.timing,
    sampling,
    prevalence,
  };
}
