// The DDoS detector's SQL, written once for DuckDB and ClickHouse through the Dialect: the one
// GROUP BY pass over the window that finds destinations above the absolute floors, the
// per-bucket series (history and window) of those few, and the per-episode breakdowns.

import type { Ip } from '../../core/ip.js';
import type { Dialect, ParamSink } from '../../store/store.js';
import { ipKey, ipKeyText, samplingRate, selectIp, TCP } from '../flow-sql.js';
import type { DdosConfig } from './ddos-config.js';
import { CLASS_KEY, OTHER_BASE, REFLECTION_BASE } from './vector.js';

/** `sport IN (...)` over the reflection ports, or a false condition when there are none. */
function reflectionPorts(d: Dialect, params: ParamSink, ports: readonly number[]): string {
  if (ports.length === 0) return '1 = 0';
  return `${d.quote('proto')} = 17 AND ${d.quote('sport')} IN (${ports.map((p) => params.bind('u16', p)).join(', ')})`;
}

function synOnly(d: Dialect): string {
  const f = d.quote('tcp_flags');
  return `${d.quote('proto')} = 6 AND ${d.bitAnd(f, String(TCP.SYN))} <> 0 AND ${d.bitAnd(f, String(TCP.ACK))} = 0`;
}

/**
 * A TCP flow that opens a session: the client's flow of a completed handshake (SYN and ACK in
 * its cumulative flags; a sampled flow's SYN alone, as its other packets were likely not
 * sampled), or a flow without flags (an export without them: each flow is taken for a
 * connection), and not the server's answer (from a port below 1024 to a client port). Bare SYNs
 * of unsampled data are attempts, the SYN vector's business, not sessions.
 */
function opensSession(d: Dialect): string {
  const q = d.quote;
  const f = q('tcp_flags');
  const has = (bits: number) => `${d.bitAnd(f, String(bits))} <> 0`;
  return (
    `${q('proto')} = 6 AND ${q('dport')} <> 0 AND NOT (${q('sport')} < 1024 AND ${q('dport')} >= 1024) ` +
    `AND (${f} = 0 OR (${has(TCP.SYN)} AND (${has(TCP.ACK)} OR COALESCE(${q('sampling')}, 1) > 1)))`
  );
}

/**
 * Connections a flow stands for: its sampling rate when it opens one, else 0. A connection has
 * one SYN, kept with probability 1/N under 1-in-N packet or flow sampling, so the sum is the
 * estimate of connections opened either way.
 */
function connectionWeight(d: Dialect): string {
  return `CASE WHEN ${opensSession(d)} THEN ${samplingRate(d)} ELSE 0 END`;
}

/**
 * The vector key of a flow (see `vector.ts`), tested in this order: port-less TCP/UDP flows
 * without flags are IP fragments whose first fragment (with the ports) went elsewhere; SYN
 * without ACK; SYN-ACK without data or FIN (answers to forged SYNs); small flows of bare RST or
 * ACK (no SYN, no data: a spoofed ACK flood makes one- or two-packet flows, a download's ACK
 * stream makes large ones); TCP from a service port below 1024 to a client port (answers); other
 * TCP; UDP from a reflection port; other UDP; ICMP; anything else.
 */
export function vectorKeySql(d: Dialect, params: ParamSink, ports: readonly number[], floodFlowPackets: number): string {
  const q = d.quote;
  const f = q('tcp_flags');
  const proto = q('proto');
  const has = (bits: number) => `${d.bitAnd(f, String(bits))} <> 0`;
  const none = (bits: number) => `${d.bitAnd(f, String(bits))} = 0`;
  const small = `${q('packets')} <= ${params.bind('i64', floodFlowPackets)} * ${samplingRate(d)}`;
  return (
    `(CASE WHEN ${proto} IN (6, 17) AND ${q('sport')} = 0 AND ${q('dport')} = 0 AND ${f} = 0 THEN ${CLASS_KEY.fragment} ` +
    `WHEN ${synOnly(d)} THEN ${CLASS_KEY.syn} ` +
    `WHEN ${proto} = 6 AND ${has(TCP.SYN)} AND ${none(TCP.PSH | TCP.FIN)} THEN ${CLASS_KEY.synack} ` +
    `WHEN ${proto} = 6 AND ${none(TCP.SYN | TCP.PSH)} AND ${has(TCP.RST)} AND ${small} THEN ${CLASS_KEY.rst} ` +
    `WHEN ${proto} = 6 AND ${none(TCP.SYN | TCP.PSH | TCP.RST)} AND ${has(TCP.ACK)} AND ${small} THEN ${CLASS_KEY.ack} ` +
    `WHEN ${proto} = 6 AND ${q('sport')} < 1024 AND ${q('dport')} >= 1024 THEN ${CLASS_KEY.response} ` +
    `WHEN ${proto} = 6 THEN ${CLASS_KEY.tcp} ` +
    `WHEN ${reflectionPorts(d, params, ports)} THEN ${REFLECTION_BASE} + ${q('sport')} ` +
    `WHEN ${proto} = 17 THEN ${CLASS_KEY.udp} ` +
    `WHEN ${proto} IN (1, 58) THEN ${CLASS_KEY.icmp} ` +
    `ELSE ${OTHER_BASE} + ${proto} END)`
  );
}

/**
 * Per destination (aliases v0[, v1]) and bucket `b`: the counts every pass reads; given the
 * reflection `ports` (the candidates' pass only), exact distinct sources and the SYN-only and
 * reflection-port counts. Exact because it is cheap on a few destinations, and because DuckDB's
 * sketch is off by 15% at a few hundred sources, which moves a fan-in ratio across 1.
 */
function bucketAggregates(d: Dialect, params: ParamSink, ports: readonly number[] | null): string {
  const q = d.quote;
  const base = [
    `COUNT(*) AS n_flows`,
    `SUM(${q('packets')}) AS n_packets`,
    `SUM(${q('bytes')}) AS n_bytes`,
    `MIN(${d.timeMs('start')}) AS t_first`,
    `MAX(${d.timeMs('end')}) AS t_last`,
    `SUM(${connectionWeight(d)}) AS n_conns`,
  ];
  if (ports === null) return base.join(', ');
  const syn = synOnly(d);
  const refl = reflectionPorts(d, params, ports);
  return [
    ...base,
    `${d.countDistinct('src', 'ip')} AS n_sources`,
    `SUM(CASE WHEN ${syn} THEN 1 ELSE 0 END) AS syn_flows`,
    `SUM(CASE WHEN ${syn} THEN ${q('packets')} ELSE 0 END) AS syn_packets`,
    `SUM(CASE WHEN ${refl} THEN ${q('packets')} ELSE 0 END) AS refl_packets`,
    `SUM(CASE WHEN ${refl} THEN ${q('bytes')} ELSE 0 END) AS refl_bytes`,
  ].join(', ');
}

/**
 * `LEAST(GREATEST(t_last - t_first, minSpan), bucket)`: the span a bucket's rate is taken over
 * (see `bucketRates`); connection rates pass `minConnectionSpanMs`.
 */
function spanSql(params: ParamSink, config: DdosConfig, minSpanMs = config.minSpanMs): string {
  return `LEAST(GREATEST(t_last - t_first, ${params.bind('i64', minSpanMs)}), ${params.bind('i64', config.bucketSeconds * 1000)})`;
}

/**
 * The window pass: one GROUP BY over the window's flows per destination and bucket, then the
 * destinations whose hottest bucket reaches an absolute floor (packet rate, bit rate, many
 * flows that together send the fan-in rate, or new connections at the one-source floor: any
 * source's share is at most the destination's), hottest first, at most `maxCandidates`. Distinct
 * sources are not counted here (a sketch per destination and bucket would double the pass):
 * flows stand in for them, since every source brings at least one flow; the candidates' real
 * fan-in comes with their series. Rows: the destination (`selectIp` aliases `v`) and `peak`.
 */
export function hotDestinationsSql(d: Dialect, params: ParamSink, window: { from: number; to: number }, config: DdosConfig): string {
  const q = d.quote;
  const v = d.ipColumns('x').map((_, i) => `v${i}`);
  const bucket = d.timeBucket('start', config.bucketSeconds * 1000, params);
  const where = `${q('start')} >= ${params.bind('time', window.from)} AND ${q('start')} < ${params.bind('time', window.to)}`;
  const inner =
    `SELECT ${selectIp(d, 'dst', 'v')}, ${bucket} AS b, ${bucketAggregates(d, params, null)} FROM flows WHERE ${where} ` +
    `GROUP BY ${[...v, 'b'].join(', ')} HAVING COUNT(*) >= ${params.bind('i64', config.floorFlows)}`;
  const span = spanSql(params, config);
  const rates =
    `SELECT ${v.join(', ')}, n_flows, CAST(n_packets AS DOUBLE) * 1000 / span_ms AS pps, CAST(n_bytes AS DOUBLE) * 8000 / span_ms AS bps, ` +
    `CAST(n_conns AS DOUBLE) * 60000 / conn_span_ms AS cpm ` +
    `FROM (SELECT *, ${span} AS span_ms, ${spanSql(params, config, config.minConnectionSpanMs)} AS conn_span_ms FROM (${inner}) AS m) AS s`;
  const hot =
    `GREATEST(pps / ${params.bind('f64', config.floorPps)}, bps / ${params.bind('f64', config.floorBps)}, ` +
    `LEAST(CAST(n_flows AS DOUBLE) / ${params.bind('f64', config.floorSources)}, pps / ${params.bind('f64', config.floorFanInPps)}), ` +
    `cpm / ${params.bind('f64', config.floorSourceConnections)})`;
  return (
    `SELECT ${v.join(', ')}, MAX(hot) AS peak FROM (SELECT ${v.join(', ')}, ${hot} AS hot FROM (${rates}) AS r) AS h ` +
    `GROUP BY ${v.join(', ')} HAVING MAX(hot) >= 1 ORDER BY peak DESC LIMIT ${Math.floor(config.maxCandidates)}`
  );
}


/**
 * Per-bucket counts of the candidate destinations over [from, to), with `w` = 1 for buckets of
 * the window (flows from `windowFrom` on) and 0 for history: a bucket straddling the window's
 * start appears once on each side. Rows are ordered by destination and bucket.
 */
export function seriesSql(
  d: Dialect,
  params: ParamSink,
  victims: readonly Ip[],
  range: { from: number; windowFrom: number; to: number },
  config: DdosConfig,
  ports: readonly number[],
): string {
  const q = d.quote;
  const v = d.ipColumns('x').map((_, i) => `v${i}`);
  const bucket = d.timeBucket('start', config.bucketSeconds * 1000, params);
  const side = `CASE WHEN ${q('start')} >= ${params.bind('time', range.windowFrom)} THEN 1 ELSE 0 END`;
  const where = `${q('start')} >= ${params.bind('time', range.from)} AND ${q('start')} < ${params.bind('time', range.to)}`;
  return (
    `SELECT ${selectIp(d, 'dst', 'v')}, ${bucket} AS b, ${side} AS w, ${bucketAggregates(d, params, ports)} ` +
    `FROM flows WHERE ${where} AND ${d.flowsIpIn('dst', victims, params)} GROUP BY ${[...v, 'b', 'w'].join(', ')} ORDER BY ${[...v, 'b', 'w'].join(', ')}`
  );
}

/** The first and last flow start in [from, to) (nulls when there is none). */
export function extentSql(d: Dialect, params: ParamSink, from: number, to: number): string {
  const q = d.quote;
  return `SELECT MIN(${d.timeMs('start')}) AS t_first, MAX(${d.timeMs('start')}) AS t_last FROM flows WHERE ${q('start')} >= ${params.bind('time', from)} AND ${q('start')} < ${params.bind('time', to)}`;
}

function towards(d: Dialect, params: ParamSink, victim: Ip, window: { from: number; to: number }): string {
  const q = d.quote;
  return `${q('start')} >= ${params.bind('time', window.from)} AND ${q('start')} < ${params.bind('time', window.to)} AND ${d.ipEquals('dst', victim, params)}`;
}

/** One bucket of one attack episode: the victim, the bucket's start (ms) and the episode's number. */
export interface EpisodeBucket {
  readonly victim: Ip;
  readonly bucket: number;
  readonly ep: number;
}

/**
 * Traffic towards the victims per episode (`ep`) and vector key (`vk`), with exact distinct
 * sources and packets in sampled units (`n_sampled`): one pass over the window's flows to the
 * victims, joined on (victim, bucket) with the episodes' buckets, bound as one JSON text.
 */
export function vectorsSql(
  d: Dialect,
  params: ParamSink,
  victims: readonly Ip[],
  buckets: readonly EpisodeBucket[],
  window: { from: number; to: number },
  config: DdosConfig,
  ports: readonly number[],
): string {
  const q = d.quote;
  const key = vectorKeySql(d, params, ports, config.floodFlowPackets);
  const bucket = d.timeBucket('start', config.bucketSeconds * 1000, params);
  const json = (d.name === 'duckdb' ? (rows: string[]) => `[${rows.join(',')}]` : (rows: string[]) => rows.join('\n'))(buckets.map((b) => JSON.stringify({ k: ipKeyText(d, b.victim), b: b.bucket, ep: b.ep })));
  const table =
    d.name === 'duckdb'
      ? `SELECT CAST(k AS UHUGEINT) AS ek, b AS eb, ep FROM (SELECT unnest(from_json(${params.bind('string', json)}, '[{"k":"VARCHAR","b":"BIGINT","ep":"INTEGER"}]'), recursive := true))`
      : `SELECT toIPv6(k) AS ek, b AS eb, ep FROM format(JSONEachRow, 'k String, b Int64, ep UInt32', ${params.bind('string', json)})`;
  return (
    `WITH e AS (${table}) ` +
    // e's columns (ek, eb, ep) are named apart from the flows', so the aggregates need no qualifier.
    `SELECT ep, vk, COUNT(*) AS n_flows, SUM(${q('packets')}) AS n_packets, SUM(${q('bytes')}) AS n_bytes, ${d.countDistinct('src', 'ip')} AS n_sources, ` +
    `SUM(CAST(${q('packets')} AS DOUBLE) / ${samplingRate(d)}) AS n_sampled ` +
    `FROM (SELECT *, ${ipKey(d, 'dst')} AS dk, ${bucket} AS bk, ${key} AS vk FROM flows WHERE ${q('start')} >= ${params.bind('time', window.from)} AND ${q('start')} < ${params.bind('time', window.to)} AND ${d.flowsIpIn('dst', victims, params)}) AS f ` +
    `INNER JOIN e ON f.dk = e.ek AND f.bk = e.eb GROUP BY ep, vk`
  );
}

/** Exact distinct sources of all traffic towards the victim. */
export function sourcesSql(d: Dialect, params: ParamSink, victim: Ip, window: { from: number; to: number }): string {
  return `SELECT ${d.countDistinct('src', 'ip')} AS n_sources FROM flows WHERE ${towards(d, params, victim, window)}`;
}

/**
 * Reflectors the victim had itself sent requests to: sources of UDP from `port` towards the
 * victim that also appear as destinations of the victim's UDP to `port` (from `requestsFrom`).
 */
export function solicitedSql(d: Dialect, params: ParamSink, victim: Ip, window: { from: number; to: number }, requestsFrom: number, port: number): string {
  const q = d.quote;
  const p = params.bind('u16', port);
  const answers = `SELECT DISTINCT ${ipKey(d, 'src')} AS k FROM flows WHERE ${towards(d, params, victim, window)} AND ${q('proto')} = 17 AND ${q('sport')} = ${p}`;
  const requests =
    `SELECT ${ipKey(d, 'dst')} FROM flows WHERE ${q('start')} >= ${params.bind('time', requestsFrom)} AND ${q('start')} < ${params.bind('time', window.to)} ` +
    `AND ${d.ipEquals('src', victim, params)} AND ${q('proto')} = 17 AND ${q('dport')} = ${params.bind('u16', port)}`;
  return `SELECT COUNT(*) AS n FROM (${answers}) AS a WHERE a.k IN (${requests})`;
}

/** The sources of one vector towards the victim, most packets first (`k` is an `ipKey`). */
export function topSourcesSql(d: Dialect, params: ParamSink, victim: Ip, window: { from: number; to: number }, config: DdosConfig, ports: readonly number[], key: number, limit: number): string {
  const q = d.quote;
  const vk = vectorKeySql(d, params, ports, config.floodFlowPackets);
  return (
    `SELECT ${ipKey(d, 'src')} AS k, SUM(${q('packets')}) AS n_packets, SUM(${q('bytes')}) AS n_bytes FROM flows ` +
    `WHERE ${towards(d, params, victim, window)} AND ${vk} = ${params.bind('u32', key)} GROUP BY k ORDER BY n_packets DESC, n_bytes DESC, k LIMIT ${Math.floor(limit)}`
  );
}

/** The destination port that takes most of one vector's packets, with its packets. */
export function topPortSql(d: Dialect, params: ParamSink, victim: Ip, window: { from: number; to: number }, config: DdosConfig, ports: readonly number[], key: number): string {
  const q = d.quote;
  const vk = vectorKeySql(d, params, ports, config.floodFlowPackets);
  return (
    `SELECT ${q('dport')} AS tp, SUM(${q('packets')}) AS n_packets FROM flows WHERE ${towards(d, params, victim, window)} AND ${vk} = ${params.bind('u32', key)} ` +
    `GROUP BY tp ORDER BY n_packets DESC, tp LIMIT 1`
  );
}

/**
 * Session floods, per victim, service port, bucket and side (`w` as in `seriesSql`): the new
 * connections a minute of the busiest source (`top_cpm`, over the span its connections cover,
 * at least `minConnectionSpanMs`). One GROUP BY per
 * (victim, port, source, bucket) over the connection-opening flows of the candidates; buckets
 * whose busiest source stays under a tenth of the floor are left out (the baseline counts them
 * as quiet).
 */
export function sessionSeriesSql(d: Dialect, params: ParamSink, victims: readonly Ip[], range: { from: number; windowFrom: number; to: number }, config: DdosConfig): string {
  const q = d.quote;
  const v = d.ipColumns('x').map((_, i) => `v${i}`);
  const bucket = d.timeBucket('start', config.bucketSeconds * 1000, params);
  const side = `CASE WHEN ${q('start')} >= ${params.bind('time', range.windowFrom)} THEN 1 ELSE 0 END`;
  const where = `${q('start')} >= ${params.bind('time', range.from)} AND ${q('start')} < ${params.bind('time', range.to)} AND ${opensSession(d)}`;
  const perSource =
    `SELECT ${selectIp(d, 'dst', 'v')}, ${q('dport')} AS p, ${ipKey(d, 'src')} AS sk, ${bucket} AS b, ${side} AS w, ` +
    `SUM(${samplingRate(d)}) AS conns, MIN(${d.timeMs('start')}) AS t_first, MAX(${d.timeMs('end')}) AS t_last ` +
    `FROM flows WHERE ${where} AND ${d.flowsIpIn('dst', victims, params)} GROUP BY ${[...v, 'p', 'sk', 'b', 'w'].join(', ')}`;
  const rated = `SELECT *, CAST(conns AS DOUBLE) * 60000 / ${spanSql(params, config, config.minConnectionSpanMs)} AS cpm FROM (${perSource}) AS s`;
  const keys = [...v, 'p', 'b', 'w'].join(', ');
  return (
    `SELECT ${keys}, MAX(cpm) AS top_cpm FROM (${rated}) AS r GROUP BY ${keys} ` +
    `HAVING MAX(cpm) >= ${params.bind('f64', config.floorSourceConnections / 10)} ORDER BY ${keys}`
  );
}

/**
 * The sources of new connections to one service during a session-flood episode, most first:
 * connections (estimated), connection-opening flows, their packets in sampled units, the sum
 * and sum of squares of their bytes (for the spread of session sizes), first start, last end.
 */
export function sessionSourcesSql(d: Dialect, params: ParamSink, victim: Ip, port: number, window: { from: number; to: number }, limit: number): string {
  const q = d.quote;
  return (
    `SELECT ${ipKey(d, 'src')} AS k, SUM(${samplingRate(d)}) AS conns, COUNT(*) AS n_flows, ` +
    `SUM(CAST(${q('packets')} AS DOUBLE) / ${samplingRate(d)}) AS n_sampled, ` +
    `SUM(CAST(${q('bytes')} AS DOUBLE)) AS sum_bytes, SUM(CAST(${q('bytes')} AS DOUBLE) * CAST(${q('bytes')} AS DOUBLE)) AS sum_bytes2, ` +
    `MIN(${d.timeMs('start')}) AS t_first, MAX(${d.timeMs('end')}) AS t_last FROM flows ` +
    `WHERE ${towards(d, params, victim, window)} AND ${q('dport')} = ${params.bind('u16', port)} AND ${opensSession(d)} ` +
    `GROUP BY k ORDER BY conns DESC, k LIMIT ${Math.floor(limit)}`
  );
}

/** All new connections to one service during an episode, and their distinct sources. */
export function sessionTotalsSql(d: Dialect, params: ParamSink, victim: Ip, port: number, window: { from: number; to: number }): string {
  const q = d.quote;
  return (
    `SELECT SUM(${samplingRate(d)}) AS conns, ${d.countDistinct('src', 'ip')} AS n_sources FROM flows ` +
    `WHERE ${towards(d, params, victim, window)} AND ${q('dport')} = ${params.bind('u16', port)} AND ${opensSession(d)}`
  );
}
