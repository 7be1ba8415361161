// The DDoS detector: per-destination rates against each destination's learned baseline. One
// GROUP BY pass over the window keeps the destinations whose hottest bucket reaches an absolute
// floor; only those come to JS, with their per-bucket history; attack episodes are scored (rate
// above baseline, fan-in, vector, duration) and explained by vector: SYN flood, reflection and
// amplification by UDP source port, UDP, ICMP, fragment, ACK and RST floods. Session floods
// (one or a few sources opening thousands of alike connections a minute) have their own pass.

import { formatIp, type Ip } from '../../core/ip.js';
import type { Store } from '../../store/store.js';
import { threatIntel } from '../corroborate.js';
import type { DetectionContext, Detector, DetectorStats, NewFinding } from '../detector.js';
import { findingId, isoTime, roundScore, severityFor, type FindingEntity, type FindingIntel } from '../finding.js';
import { evidence, findingWindow, num, readIp, readKey } from '../flow-sql.js';
import { reflectionServices, type ReflectionService } from './amplification-ports.js';
import { ddosConfig, type DdosConfig } from './ddos-config.js';
import { extentSql, hotDestinationsSql, seriesSql, solicitedSql, sourcesSql, topPortSql, topSourcesSql, vectorsSql, type EpisodeBucket } from './ddos-sql.js';
import {
  baselineOf,
  bucketRates,
  ddosScore,
  durationScore,
  excessRatio,
  expectedLevels,
  fanInScore,
  findEpisodes,
  NO_BASELINE,
  rankVectors,
  rateScore,
  type Baseline,
  type BucketCounts,
  type DdosSubscores,
  type Episode,
  type Expected,
  type RankedVector,
  type VectorTraffic,
} from './score.js';
import { sessionFloods, type SessionCandidate } from './session-floods.js';
import { sourceRole, vectorFromKey, vectorKey, vectorName, vectorProto, vectorQuery } from './vector.js';

/** One bucket of a destination's series, with the vector counts the passes also take. */
interface SeriesBucket extends BucketCounts {
  readonly synFlows: number;
  readonly synPackets: number;
  readonly reflectionPackets: number;
  readonly reflectionBytes: number;
  /** New TCP connections, estimated. */
  readonly connections: number;
}

interface VictimSeries {
  readonly ip: Ip;
  readonly history: SeriesBucket[];
  readonly window: SeriesBucket[];
}

/** Vectors below this share of an episode are not worth a query about solicitation. */
const SOLICITATION_MIN_SHARE = 0.01;

function bucketOf(row: Record<string, unknown>): SeriesBucket {
  return {
    bucket: num(row, 'b'),
    first: num(row, 't_first'),
    last: num(row, 't_last'),
    flows: num(row, 'n_flows'),
    packets: num(row, 'n_packets'),
    bytes: num(row, 'n_bytes'),
    sources: num(row, 'n_sources'),
    synFlows: num(row, 'syn_flows'),
    synPackets: num(row, 'syn_packets'),
    reflectionPackets: num(row, 'refl_packets'),
    reflectionBytes: num(row, 'refl_bytes'),
    connections: num(row, 'n_conns'),
  };
}

/** True when some window bucket of the destination opens connections at the one-source floor. */
function mayHoldSessionFlood(v: VictimSeries, config: DdosConfig): boolean {
  const bucketMs = config.bucketSeconds * 1000;
  return v.window.some((b) => (b.connections * 60_000) / Math.min(Math.max(b.last - b.first, config.minConnectionSpanMs), bucketMs) >= config.floorSourceConnections);
}

/** Buckets from the one holding `first` to the one holding `last`, both included. */
function bucketsBetween(first: number, last: number, bucketMs: number): number {
  return Math.floor(last / bucketMs) - Math.floor(first / bucketMs) + 1;
}

/** The window pass: destinations whose hottest bucket reaches a floor, hottest first. */
async function candidates(context: DetectionContext, config: DdosConfig): Promise<Ip[]> {
  const d = context.store.dialect;
  const params = d.newParams();
  const rows = await context.store.execute(hotDestinationsSql(d, params, context, config), params.params);
  return rows.map((r) => readIp(d, r, 'v')).filter((ip): ip is Ip => ip !== null);
}

async function extent(store: Store, from: number, to: number): Promise<{ first: number; last: number } | null> {
  const d = store.dialect;
  const params = d.newParams();
  const [row] = await store.execute(extentSql(d, params, from, to), params.params);
  if (!row || row.t_first === null || row.t_first === undefined) return null;
  return { first: num(row, 't_first'), last: num(row, 't_last') };
}

async function series(context: DetectionContext, config: DdosConfig, ports: readonly number[], victims: readonly Ip[], historyFrom: number): Promise<Map<string, VictimSeries>> {
  const store = context.store;
  const d = store.dialect;
  const out = new Map<string, VictimSeries>(victims.map((ip) => [formatIp(ip), { ip, history: [], window: [] }]));
  for (let at = 0; at < victims.length; at += 100) {
    const params = d.newParams();
    const sql = seriesSql(d, params, victims.slice(at, at + 100), { from: historyFrom, windowFrom: context.from, to: context.to }, config, ports);
    for (const r of await store.execute(sql, params.params)) {
      const ip = readIp(d, r, 'v');
      const s = ip === null ? undefined : out.get(formatIp(ip));
      if (!s) continue;
      (num(r, 'w') === 1 ? s.window : s.history).push(bucketOf(r));
    }
  }
  return out;
}

/** What the detector learned about one attack episode before scoring it. */
interface EpisodeFacts {
  readonly victim: string;
  readonly firstMs: number;
  readonly lastMs: number;
  /** The attack's start, looked for before the window when it was already on at the window's start. */
  readonly startMs: number;
  readonly peakRatio: number;
  readonly peakPps: number;
  readonly peakBps: number;
  readonly peakAt: number;
  /** Distinct sources of all traffic towards the victim (filled in once the episode is reported). */
  sources: number;
  readonly vectors: RankedVector[];
}

/**
 * When an episode begins at the window's start, walks the destination's history back through
 * attack-level buckets (gaps allowed as within an episode) to the attack's real start, so a
 * continuing attack keeps one finding id from run to run.
 */
function attackStart(v: VictimSeries, episodeFirst: SeriesBucket, expected: Expected, config: DdosConfig, context: DetectionContext): number {
  const bucketMs = config.bucketSeconds * 1000;
  let start = episodeFirst.first;
  let reached = episodeFirst.bucket;
  if ((reached - Math.floor(context.from / bucketMs) * bucketMs) / bucketMs > config.episodeGapBuckets) return start;
  for (let i = v.history.length - 1; i >= 0; i--) {
    const h = v.history[i]!;
    if ((reached - h.bucket) / bucketMs - 1 > config.episodeGapBuckets) break;
    if (excessRatio(bucketRates(h, bucketMs, config.minSpanMs), expected, config) >= 1) {
      reached = h.bucket;
      start = h.first;
    }
  }
  return start;
}

/** One episode's traffic per vector, before the solicitation check of reflection vectors. */
type RawVector = Omit<VectorTraffic, 'solicitedShare'>;

/** An episode still worth its queries: its victim's series, its buckets and its span. */
interface OpenEpisode {
  readonly v: VictimSeries;
  readonly e: Episode;
  readonly span: EpisodeSpan;
  readonly windowRates: readonly { pps: number; bps: number }[];
  readonly ratios: readonly number[];
  readonly baseline: Baseline;
  readonly expected: Expected;
}

/** The traffic per vector of every open episode (by index), in one pass per 100 victims. */
async function episodesVectors(context: DetectionContext, config: DdosConfig, ports: readonly number[], open: readonly OpenEpisode[]): Promise<RawVector[][]> {
  const out: RawVector[][] = open.map(() => []);
  const bucketMs = config.bucketSeconds * 1000;
  const victims = [...new Map(open.map((o) => [formatIp(o.v.ip), o.v.ip])).values()];
  const d = context.store.dialect;
  for (let at = 0; at < victims.length; at += 100) {
    const chunk = new Set(victims.slice(at, at + 100).map((ip) => formatIp(ip)));
    const buckets: EpisodeBucket[] = [];
    open.forEach((o, ep) => {
      if (!chunk.has(formatIp(o.v.ip))) return;
      // Every bucket from the episode's first to its last, quiet ones included.
      for (let b = Math.floor(o.span.window.from / bucketMs) * bucketMs; b < o.span.window.to; b += bucketMs) buckets.push({ victim: o.v.ip, bucket: b, ep });
    });
    if (buckets.length === 0) continue;
    const params = d.newParams();
    const sql = vectorsSql(d, params, victims.slice(at, at + 100), buckets, { from: context.from, to: context.to }, config, ports);
    for (const r of await context.store.execute(sql, params.params)) {
      out[num(r, 'ep')]!.push({
        vector: vectorFromKey(num(r, 'vk')),
        packets: num(r, 'n_packets'),
        bytes: num(r, 'n_bytes'),
        flows: num(r, 'n_flows'),
        sources: num(r, 'n_sources'),
        packetsPerFlow: num(r, 'n_sampled') / Math.max(1, num(r, 'n_flows')),
      });
    }
  }
  // Engines return groups in any order: keep the vector order stable for ranking ties.
  for (const list of out) list.sort((a, b) => vectorKey(a.vector) - vectorKey(b.vector));
  return out;
}

/** Adds, to reflection vectors carrying a real share of the episode, the share of reflectors the victim had asked. */
async function withSolicitation(context: DetectionContext, config: DdosConfig, victim: Ip, window: { from: number; to: number }, raw: readonly RawVector[]): Promise<VectorTraffic[]> {
  const d = context.store.dialect;
  // Shares only matter to decide which reflection vectors are worth the solicitation query.
  const totalPackets = raw.reduce((s, v) => s + v.packets, 0) || 1;
  const totalBytes = raw.reduce((s, v) => s + v.bytes, 0) || 1;
  const out: VectorTraffic[] = [];
  for (const v of raw) {
    if (v.vector.cls !== 'reflection' || Math.max(v.packets / totalPackets, v.bytes / totalBytes) < SOLICITATION_MIN_SHARE || v.sources === 0) {
      out.push(v);
      continue;
    }
    const p = d.newParams();
    const requestsFrom = window.from - config.requestLookbackMinutes * 60_000;
    const [row] = await context.store.execute(solicitedSql(d, p, victim, window, requestsFrom, v.vector.port!), p.params);
    out.push({ ...v, solicitedShare: (row ? num(row, 'n') : 0) / v.sources });
  }
  return out;
}

async function totalSources(store: Store, victim: Ip, window: { from: number; to: number }): Promise<number> {
  const d = store.dialect;
  const params = d.newParams();
  const [row] = await store.execute(sourcesSql(d, params, victim, window), params.params);
  return row ? num(row, 'n_sources') : 0;
}

/** The main target port: the one taking at least half the main vector's packets (none for ICMP, fragments, other protocols). */
async function targetPort(context: DetectionContext, config: DdosConfig, ports: readonly number[], victim: Ip, window: { from: number; to: number }, main: RankedVector): Promise<number | null> {
  if (!['syn', 'synack', 'rst', 'ack', 'response', 'tcp', 'udp', 'reflection'].includes(main.vector.cls) || main.packets <= 0) return null;
  const d = context.store.dialect;
  const params = d.newParams();
  const [row] = await context.store.execute(topPortSql(d, params, victim, window, config, ports, vectorKey(main.vector)), params.params);
  if (!row) return null;
  return num(row, 'n_packets') * 2 >= main.packets ? num(row, 'tp') : null;
}

async function topSources(context: DetectionContext, config: DdosConfig, ports: readonly number[], victim: Ip, window: { from: number; to: number }, main: RankedVector): Promise<string[]> {
  const d = context.store.dialect;
  const params = d.newParams();
  const limit = Math.max(1, config.topSources);
  const rows = await context.store.execute(topSourcesSql(d, params, victim, window, config, ports, vectorKey(main.vector), limit), params.params);
  return rows.map((r) => readKey(d, r.k)).filter((s) => s !== '');
}

function formatRate(bps: number): string {
  if (bps >= 1e9) return `${(bps / 1e9).toFixed(1)} Gbit/s`;
  if (bps >= 1e6) return `${(bps / 1e6).toFixed(1)} Mbit/s`;
  return `${(bps / 1e3).toFixed(1)} kbit/s`;
}

function describeVector(main: RankedVector, services: ReadonlyMap<number, ReflectionService>, dport: number | null): string {
  const v = main.vector;
  if (v.cls === 'reflection') return `UDP source port ${v.port}${services.has(v.port!) ? '' : ' (configured)'}`;
  if (dport !== null) return `port ${dport}`;
  return 'no single target port';
}

function summary(f: EpisodeFacts, subkind: string, main: RankedVector, dport: number | null, services: ReadonlyMap<number, ReflectionService>, src: string | null, score: number): string {
  const role = sourceRole(main.vector);
  const pps = Math.round(f.peakPps).toLocaleString('en-US');
  const duration = (f.lastMs - f.firstMs) / 1000;
  const durationText = duration < 10 ? duration.toFixed(1) : Math.round(duration).toLocaleString('en-US');
  const who =
    src !== null
      ? `from one ${role}, ${src}`
      : `from ${main.sources.toLocaleString('en-US')} ${role}s` + (f.sources > main.sources ? ` (${f.sources.toLocaleString('en-US')} sources in all)` : '');
  return `${f.victim} under ${subkind} (${describeVector(main, services, dport)}): peak ${pps} pps / ${formatRate(f.peakBps)} over ${durationText} s ${who} (score ${score.toFixed(2)})`;
}

const round = (x: number, digits = 3) => Math.round(x * 10 ** digits) / 10 ** digits;

function baselineDetails(b: Baseline, e: Expected): Record<string, unknown> {
  const stats = (s: { median: number; mad: number }) => ({ median: round(s.median), mad: round(s.mad) });
  return {
    kind: b.kind,
    buckets: b.buckets,
    pps: stats(b.pps),
    bps: stats(b.bps),
    sources: stats(b.sources),
    expected: { pps: round(e.pps), bps: round(e.bps), sources: round(e.sources) },
  };
}

/** The DDoS detector. */
export const ddosDetector: Detector<DdosConfig> = {
  kind: 'ddos',
  description:
    'volumetric attacks on a destination above its learned baseline: SYN, ACK/RST, UDP, ICMP and fragment floods, reflection/amplification by UDP source port, and session (HTTP) floods from one or a few sources',
  config: ddosConfig,
  async run(context, config) {
    const store = context.store;
    const bucketMs = config.bucketSeconds * 1000;
    const services = reflectionServices(config.extraReflectionPorts);
    const ports = [...services.keys()].sort((a, b) => a - b);
    const started = performance.now();
    const victims = await candidates(context, config);
    const candidatesMs = Math.round(performance.now() - started);
    if (victims.length === 0) return { findings: [], stats: { candidates: 0, episodes: 0, findings: 0, candidatesMs } as DetectorStats };

    const historyFrom = context.from - config.baselineHours * 3_600_000;
    const windowExtent = await extent(store, context.from, context.to);
    const historyExtent = config.baselineHours > 0 ? await extent(store, historyFrom, context.from) : null;
    const windowBuckets = windowExtent ? bucketsBetween(windowExtent.first, windowExtent.last, bucketMs) : 0;
    const historyBuckets = historyExtent ? bucketsBetween(historyExtent.first, context.from - 1, bucketMs) : 0;
    const all = await series(context, config, ports, victims, config.baselineHours > 0 ? historyFrom : context.from);
    const seriesDone = performance.now();

    const findings: NewFinding[] = [];
    let episodes = 0;
    // Episodes that can still reach minScore get their vectors in one pass over the victims' flows.
    const open: OpenEpisode[] = [];
    for (const v of all.values()) {
      const rates = (list: readonly SeriesBucket[]) => list.map((b) => bucketRates(b, bucketMs, config.minSpanMs));
      const baseline: Baseline =
        v.history.length > 0 && historyBuckets >= config.minBaselineBuckets
          ? baselineOf('history', rates(v.history), historyBuckets)
          : windowBuckets >= config.minBaselineBuckets
            ? baselineOf('window', rates(v.window), windowBuckets)
            : NO_BASELINE;
      const expected = expectedLevels(baseline, config);
      const windowRates = rates(v.window);
      const ratios = windowRates.map((r) => excessRatio(r, expected, config));
      const found: Episode[] = findEpisodes(
        v.window.map((b) => b.bucket),
        ratios,
        bucketMs,
        config.episodeGapBuckets,
      );
      episodes += found.length;
      for (const e of found) {
        const span = episodeSpan(context, config, v, e, ratios);
        if (span) open.push({ v, e, span, windowRates, ratios, baseline, expected });
      }
    }
    const raws = await episodesVectors(context, config, ports, open);
    for (let i = 0; i < open.length; i++) {
      const o = open[i]!;
      const finding = await episodeFinding(context, config, services, ports, o.v, o.e, o.span, raws[i]!, o.windowRates, o.ratios, o.baseline, o.expected);
      if (finding) findings.push(finding);
    }
    const episodesDone = performance.now();
    const sessionCandidates: SessionCandidate[] = [...all.values()].filter((v) => mayHoldSessionFlood(v, config)).map((v) => ({ ip: v.ip, hasHistory: v.history.length > 0 }));
    const sessions = await sessionFloods(context, config, sessionCandidates, { historyFrom, historyBuckets, windowBuckets });
    // A session flood on a web port and a volumetric HTTP flood of the same day are one finding: the higher score stands.
    const byId = new Map(findings.map((f) => [f.id, f]));
    for (const f of sessions.findings) {
      const other = byId.get(f.id);
      if (!other || f.score > other.score) byId.set(f.id, f);
    }
    const merged = [...byId.values()];
    return {
      findings: merged,
      stats: {
        candidates: victims.length,
        episodes,
        sessionCandidates: sessionCandidates.length,
        sessionEpisodes: sessions.episodes,
        findings: merged.length,
        candidatesMs,
        seriesMs: Math.round(seriesDone - started) - candidatesMs,
        episodesMs: Math.round(episodesDone - seriesDone),
        sessionsMs: Math.round(performance.now() - episodesDone),
      },
    };
  },
};

/** An episode's time span, or null when its peak rate and an upper bound of its fan-in cannot reach minScore. */
interface EpisodeSpan {
  readonly window: { from: number; to: number };
  readonly firstMs: number;
  readonly lastMs: number;
  readonly buckets: readonly SeriesBucket[];
}

function episodeSpan(context: DetectionContext, config: DdosConfig, v: VictimSeries, e: Episode, ratios: readonly number[]): EpisodeSpan | null {
  // The score is rate x (a blend of at most 1): an episode whose peak rate alone cannot reach
  // minScore needs no query.
  if (rateScore(ratios[e.peak]!) < config.minScore) return null;
  const bucketMs = config.bucketSeconds * 1000;
  const buckets = v.window.slice(e.first, e.last + 1);
  const firstMs = Math.min(...buckets.map((b) => b.first));
  const lastMs = Math.max(...buckets.map((b) => b.last));
  const window = { from: Math.max(context.from, buckets[0]!.bucket), to: Math.min(context.to, buckets[buckets.length - 1]!.bucket + bucketMs) };
  // An upper bound: the main vector's sources are at most the buckets' distinct sources summed,
  // and its vector score at most 1.
  const sourcesAtMost = buckets.reduce((n, b) => n + b.sources, 0);
  const bound = rateScore(ratios[e.peak]!) * (0.5 + 0.3 * fanInScore(sourcesAtMost) + 0.2 * durationScore((lastMs - firstMs) / 1000));
  return bound < config.minScore ? null : { window, firstMs, lastMs, buckets };
}

async function episodeFinding(
  context: DetectionContext,
  config: DdosConfig,
  services: ReadonlyMap<number, ReflectionService>,
  ports: readonly number[],
  v: VictimSeries,
  e: Episode,
  span: EpisodeSpan,
  raw: readonly RawVector[],
  windowRates: readonly { pps: number; bps: number }[],
  ratios: readonly number[],
  baseline: Baseline,
  expected: Expected,
): Promise<NewFinding | null> {
  const { window, firstMs, lastMs, buckets } = span;
  const vectors = rankVectors(await withSolicitation(context, config, v.ip, window, raw));
  const main = vectors[0];
  if (!main) return null;
  const victim = formatIp(v.ip);
  const facts: EpisodeFacts = {
    victim,
    firstMs,
    lastMs,
    startMs: baseline.kind === 'history' ? attackStart(v, buckets[0]!, expected, config, context) : firstMs,
    peakRatio: ratios[e.peak]!,
    peakPps: Math.max(...windowRates.slice(e.first, e.last + 1).map((r) => r.pps)),
    peakBps: Math.max(...windowRates.slice(e.first, e.last + 1).map((r) => r.bps)),
    peakAt: v.window[e.peak]!.bucket,
    sources: 0,
    vectors,
  };
  const durationS = (lastMs - firstMs) / 1000;
  const subscores: DdosSubscores = {
    rate: roundScore(rateScore(facts.peakRatio)),
    fanIn: roundScore(fanInScore(main.sources)),
    vector: roundScore(main.score),
    duration: roundScore(durationScore(durationS)),
  };
  const score = roundScore(ddosScore(subscores));
  if (score < config.minScore || main.score < config.minVector) return null;
  facts.sources = await totalSources(context.store, v.ip, window);

  const dport = await targetPort(context, config, ports, v.ip, window, main);
  const subkind = vectorName(main.vector, services, dport);
  const sources = await topSources(context, config, ports, v.ip, window, main);
  const role = sourceRole(main.vector);
  const entities: FindingEntity[] = [{ role: 'victim', type: 'ip', value: victim }, ...sources.slice(0, config.topSources).map((s) => ({ role, type: 'ip' as const, value: s }))];
  const intel: FindingIntel[] = [];
  for (const s of sources.slice(0, config.topSources)) intel.push(...threatIntel(context.intel, s));
  const totals = vectors.reduce((t, x) => ({ packets: t.packets + x.packets, bytes: t.bytes + x.bytes, flows: t.flows + x.flows }), { packets: 0, bytes: 0, flows: 0 });
  const details = {
    peakPps: round(facts.peakPps, 1),
    peakBps: round(facts.peakBps, 1),
    durationS: round(durationS),
    sources: facts.sources,
    vectors: vectors.map((x) => ({
      vector: vectorName(x.vector, services, x === main ? dport : null),
      packets: x.packets,
      bytes: x.bytes,
      flows: x.flows,
      sources: x.sources,
      share: round(x.share),
      packetShare: round(x.packetShare),
      byteShare: round(x.byteShare),
      weight: round(x.weight),
      ...(x.solicitedShare !== undefined ? { solicitedShare: round(x.solicitedShare) } : {}),
    })),
    peakAt: isoTime(facts.peakAt),
    peakRatio: round(facts.peakRatio),
    peakBucket: (({ flows, packets, bytes, sources, synFlows, synPackets, reflectionPackets, reflectionBytes }: SeriesBucket) => ({
      flows,
      packets,
      bytes,
      sources,
      synFlows,
      synPackets,
      reflectionPackets,
      reflectionBytes,
    }))(v.window[e.peak]!),
    attackStart: isoTime(facts.startMs),
    baseline: baselineDetails(baseline, expected),
  };
  const proto = vectorProto(main.vector, typeof v.ip === 'bigint' ? 58 : 1);
  const src = main.sources === 1 && sources.length === 1 ? sources[0]! : null;
  return {
    id: findingId('ddos', victim, subkind, isoTime(facts.startMs).slice(0, 10)),
    kind: 'ddos',
    subkind,
    score,
    subscores: { ...subscores },
    severity: severityFor(score),
    src,
    dst: victim,
    dport,
    proto,
    entities,
    first: isoTime(firstMs),
    last: isoTime(lastMs),
    summary: summary(facts, subkind, main, dport, services, src, score),
    evidence: await evidence(context, vectorQuery(main.vector, victim, dport), findingWindow(context, firstMs, lastMs), { ...totals, sources: facts.sources }, details),
    intel,
  };
}
