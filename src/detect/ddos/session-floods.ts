// The session-flood pass of the DDoS detector: for the candidate destinations, new connections a
// minute from the busiest source per service and bucket (one GROUP BY in SQL), judged against the
// service's learned level; episodes above it get their sources and session sizes, and are scored.

import { formatIp, type Ip } from '../../core/ip.js';
import { threatIntel } from '../corroborate.js';
import type { DetectionContext, NewFinding } from '../detector.js';
import { findingId, isoTime, roundScore, severityFor, type FindingEntity, type FindingIntel } from '../finding.js';
import { evidence, findingWindow, num, readIp, readKey } from '../flow-sql.js';
import type { DdosConfig } from './ddos-config.js';
import { sessionSeriesSql, sessionSourcesSql, sessionTotalsSql } from './ddos-sql.js';
import { attackLevel, ddosScore, durationScore, fanInScore, findEpisodes, rateScore, robust, type DdosSubscores, type Episode, type Robust } from './score.js';
import { floodSources, sessionFloodName, sessionQuery, sessionSizeCv, sessionWeight, type SessionSource } from './session-score.js';

/** A candidate destination, and whether it had traffic in the history. */
export interface SessionCandidate {
  readonly ip: Ip;
  readonly hasHistory: boolean;
}

/** What the detector knows of the data's extent, in buckets. */
export interface SessionExtent {
  readonly historyFrom: number;
  readonly historyBuckets: number;
  readonly windowBuckets: number;
}

interface ServiceBucket {
  readonly bucket: number;
  /** New connections a minute of the busiest source. */
  readonly topCpm: number;
}

interface ServiceSeries {
  readonly ip: Ip;
  readonly port: number;
  readonly hasHistory: boolean;
  readonly history: ServiceBucket[];
  readonly window: ServiceBucket[];
}

/** A service's usual busiest-source rate (new connections a minute) and where it was learned. */
interface ServiceBaseline {
  readonly kind: 'history' | 'window' | 'none';
  readonly buckets: number;
  readonly stats: Robust;
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

async function serviceSeries(context: DetectionContext, config: DdosConfig, candidates: readonly SessionCandidate[], extent: SessionExtent): Promise<ServiceSeries[]> {
  const d = context.store.dialect;
  const byIp = new Map(candidates.map((c) => [formatIp(c.ip), c]));
  const out = new Map<string, ServiceSeries>();
  const from = config.baselineHours > 0 ? extent.historyFrom : context.from;
  for (let at = 0; at < candidates.length; at += 100) {
    const params = d.newParams();
    const sql = sessionSeriesSql(d, params, candidates.slice(at, at + 100).map((c) => c.ip), { from, windowFrom: context.from, to: context.to }, config);
    for (const r of await context.store.execute(sql, params.params)) {
      const ip = readIp(d, r, 'v');
      const candidate = ip === null ? undefined : byIp.get(formatIp(ip));
      if (!candidate) continue;
      const port = num(r, 'p');
      const key = `${formatIp(candidate.ip)} ${port}`;
      let s = out.get(key);
      if (!s) out.set(key, (s = { ip: candidate.ip, port, hasHistory: candidate.hasHistory, history: [], window: [] }));
      (num(r, 'w') === 1 ? s.window : s.history).push({ bucket: num(r, 'b'), topCpm: num(r, 'top_cpm') });
    }
  }
  return [...out.values()];
}

/** The service's usual busiest-source rate, as the volumetric baselines are learned. */
function serviceBaseline(s: ServiceSeries, config: DdosConfig, extent: SessionExtent): ServiceBaseline {
  if (s.hasHistory && extent.historyBuckets >= config.minBaselineBuckets) {
    return { kind: 'history', buckets: extent.historyBuckets, stats: robust(s.history.map((b) => b.topCpm), extent.historyBuckets - s.history.length) };
  }
  if (extent.windowBuckets >= config.minBaselineBuckets) {
    return { kind: 'window', buckets: extent.windowBuckets, stats: robust(s.window.map((b) => b.topCpm), extent.windowBuckets - s.window.length) };
  }
  return { kind: 'none', buckets: 0, stats: { median: 0, mad: 0 } };
}

/** The attack's start: back through attack-level history buckets when the episode opens the window. */
function attackStart(s: ServiceSeries, firstBucket: number, firstMs: number, level: number, config: DdosConfig, context: DetectionContext): number {
  const bucketMs = config.bucketSeconds * 1000;
  if ((firstBucket - Math.floor(context.from / bucketMs) * bucketMs) / bucketMs > config.episodeGapBuckets) return firstMs;
  let reached = firstBucket;
  for (let i = s.history.length - 1; i >= 0; i--) {
    const h = s.history[i]!;
    if ((reached - h.bucket) / bucketMs - 1 > config.episodeGapBuckets) break;
    if (h.topCpm >= level) reached = h.bucket;
  }
  return reached === firstBucket ? firstMs : reached;
}

async function episodeSources(context: DetectionContext, config: DdosConfig, s: ServiceSeries, window: { from: number; to: number }): Promise<{ sources: SessionSource[]; connections: number; distinct: number }> {
  const d = context.store.dialect;
  const p = d.newParams();
  const rows = await context.store.execute(sessionSourcesSql(d, p, s.ip, s.port, window, Math.max(1, config.topSources)), p.params);
  const sources = rows.map(
    (r): SessionSource => ({
      ip: readKey(d, r.k),
      connections: num(r, 'conns'),
      flows: num(r, 'n_flows'),
      sampledPackets: num(r, 'n_sampled'),
      sumBytes: num(r, 'sum_bytes'),
      sumBytes2: num(r, 'sum_bytes2'),
      first: num(r, 't_first'),
      last: num(r, 't_last'),
    }),
  );
  const t = d.newParams();
  const [total] = await context.store.execute(sessionTotalsSql(d, t, s.ip, s.port, window), t.params);
  return { sources, connections: total ? num(total, 'conns') : 0, distinct: total ? num(total, 'n_sources') : 0 };
}

async function episodeFinding(context: DetectionContext, config: DdosConfig, s: ServiceSeries, e: Episode, ratios: readonly number[], level: number, baseline: ServiceBaseline): Promise<NewFinding | null> {
  const bucketMs = config.bucketSeconds * 1000;
  const first = s.window[e.first]!.bucket;
  const window = { from: Math.max(context.from, first), to: Math.min(context.to, s.window[e.last]!.bucket + bucketMs) };
  const { sources, connections, distinct } = await episodeSources(context, config, s, window);
  const top = sources[0];
  if (!top || connections <= 0) return null;
  const minutes = Math.max(top.last - top.first, config.minConnectionSpanMs) / 60_000;
  const flood = floodSources(sources, level, minutes);
  const firstMs = Math.min(...flood.map((x) => x.first));
  const lastMs = Math.max(...flood.map((x) => x.last));
  const floodConnections = flood.reduce((n, x) => n + x.connections, 0);
  const cv = sessionSizeCv(flood);
  const packetsPerFlow = flood.reduce((n, x) => n + x.sampledPackets, 0) / Math.max(1, flood.reduce((n, x) => n + x.flows, 0));
  const weight = sessionWeight(cv, packetsPerFlow);
  const share = Math.min(1, floodConnections / connections);
  const durationS = (lastMs - firstMs) / 1000;
  const peakRatio = ratios[e.peak]!;
  const subscores: DdosSubscores = {
    rate: roundScore(rateScore(peakRatio)),
    fanIn: roundScore(fanInScore(flood.length)),
    vector: roundScore(weight * share),
    duration: roundScore(durationScore(durationS)),
  };
  const score = roundScore(ddosScore(subscores));
  if (score < config.minScore || subscores.vector < config.minVector) return null;

  const victim = formatIp(s.ip);
  const subkind = sessionFloodName(s.port);
  const src = flood.length === 1 ? top.ip : null;
  const startMs = baseline.kind === 'history' ? attackStart(s, first, firstMs, level, config, context) : firstMs;
  const listed = flood.slice(0, config.topSources);
  const entities: FindingEntity[] = [{ role: 'victim', type: 'ip', value: victim }, ...listed.map((x) => ({ role: 'attacker', type: 'ip' as const, value: x.ip }))];
  const intel: FindingIntel[] = listed.flatMap((x) => threatIntel(context.intel, x.ip));
  const peakCpm = s.window[e.peak]!.topCpm;
  const who = src !== null ? `from one attacker, ${src},` : `from ${flood.length.toLocaleString('en-US')} attackers`;
  const details = {
    peakConnectionsPerMinute: round(peakCpm, 1),
    peakAt: isoTime(s.window[e.peak]!.bucket),
    peakRatio: round(peakRatio),
    durationS: round(durationS),
    connections: floodConnections,
    allConnections: connections,
    sources: distinct,
    floodSources: flood.map((x) => ({ ip: x.ip, connections: x.connections, flows: x.flows })),
    sessionSizeCv: Number.isFinite(cv) ? round(cv) : null,
    packetsPerFlow: round(packetsPerFlow, 1),
    weight: round(weight),
    share: round(share),
    attackStart: isoTime(startMs),
    baseline: { kind: baseline.kind, buckets: baseline.buckets, connectionsPerMinute: { median: round(baseline.stats.median), mad: round(baseline.stats.mad) }, expected: round(level) },
  };
  const flows = flood.reduce((n, x) => n + x.flows, 0);
  return {
    id: findingId('ddos', victim, subkind, isoTime(startMs).slice(0, 10)),
    kind: 'ddos',
    subkind,
    score,
    subscores: { ...subscores },
    severity: severityFor(score),
    src,
    dst: victim,
    dport: s.port,
    proto: 6,
    entities,
    first: isoTime(firstMs),
    last: isoTime(lastMs),
    summary:
      `${victim} under ${subkind} (port ${s.port}): peak ${Math.round(peakCpm).toLocaleString('en-US')} new connections/min ${who} over ` +
      `${Math.round(durationS).toLocaleString('en-US')} s, sessions alike (size CV ${Number.isFinite(cv) ? cv.toFixed(2) : 'n/a'}) (score ${score.toFixed(2)})`,
    evidence: await evidence(context, sessionQuery(victim, s.port, src), findingWindow(context, firstMs, lastMs), { connections: floodConnections, flows, sources: distinct }, details),
    intel,
  };
}

/** Session floods on the candidates: findings and the number of episodes seen. */
export async function sessionFloods(context: DetectionContext, config: DdosConfig, candidates: readonly SessionCandidate[], extent: SessionExtent): Promise<{ findings: NewFinding[]; episodes: number }> {
  if (candidates.length === 0) return { findings: [], episodes: 0 };
  const bucketMs = config.bucketSeconds * 1000;
  const findings: NewFinding[] = [];
  let episodes = 0;
  for (const s of await serviceSeries(context, config, candidates, extent)) {
    if (s.window.length === 0) continue;
    const baseline = serviceBaseline(s, config, extent);
    const level = attackLevel(baseline.stats, config.floorSourceConnections, config);
    const ratios = s.window.map((b) => b.topCpm / level);
    const found = findEpisodes(
      s.window.map((b) => b.bucket),
      ratios,
      bucketMs,
      config.episodeGapBuckets,
    );
    episodes += found.length;
    for (const e of found) {
      // The score is rate x (a blend of at most 1): an episode whose rate cannot reach minScore needs no query.
      if (rateScore(ratios[e.peak]!) < config.minScore) continue;
      const f = await episodeFinding(context, config, s, e, ratios, level, baseline);
      if (f) findings.push(f);
    }
  }
  return { findings, episodes };
}
