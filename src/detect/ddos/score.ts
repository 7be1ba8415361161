// The DDoS score, pure: per-bucket rates of one destination, its learned baseline (median and
// MAD, robust to the attack itself and to a few odd minutes), attack episodes, and the
// sub-scores (rate above baseline, fan-in, vector, duration) blended into one score.

import { vectorWeight, type Vector } from './vector.js';

/** What the store counted for one destination in one time bucket. */
export interface BucketCounts {
  /** Bucket start, epoch ms. */
  readonly bucket: number;
  /** First flow start and last flow end in the bucket, epoch ms. */
  readonly first: number;
  readonly last: number;
  readonly flows: number;
  readonly packets: number;
  readonly bytes: number;
  /** Distinct sources. */
  readonly sources: number;
}

/** A bucket's rates (and its flows, which a flood needs many of). */
export interface BucketRates {
  readonly pps: number;
  readonly bps: number;
  readonly sources: number;
  readonly flows: number;
}

/**
 * Rates over the span the traffic actually covered: from the bucket's first flow start to its
 * last flow end, at least `minSpanMs` (one packet has no rate) and at most the bucket. A lab
 * capture of 4,000 packets in 0.4 s so reads as 4,000 pps (over the 1 s minimum), not as
 * 4,000 / 60 = 67 pps; a bucket filled by steady traffic reads as its per-minute average.
 */
export function bucketRates(b: BucketCounts, bucketMs: number, minSpanMs: number): BucketRates {
  const spanS = Math.min(Math.max(b.last - b.first, minSpanMs), bucketMs) / 1000;
  return { pps: b.packets / spanS, bps: (b.bytes * 8) / spanS, sources: b.sources, flows: b.flows };
}

/** Median and median absolute deviation of a sample. */
export interface Robust {
  readonly median: number;
  readonly mad: number;
}

function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return 0;
  const mid = n >> 1;
  return n % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * Median and MAD of `values` plus `zeros` buckets without traffic (quiet minutes are part of a
 * destination's normal: a host idle 23 hours a day has a median of 0).
 */
export function robust(values: readonly number[], zeros = 0): Robust {
  const all = [...values, ...new Array<number>(Math.max(0, zeros)).fill(0)].sort((a, b) => a - b);
  const m = median(all);
  const dev = all.map((x) => Math.abs(x - m)).sort((a, b) => a - b);
  return { median: m, mad: median(dev) };
}

/** Scales a MAD to a standard deviation for normally distributed data. */
export const MAD_TO_SIGMA = 1.4826;

/** Where a destination's usual rates came from. */
export type BaselineKind = 'history' | 'window' | 'none';

/** A destination's usual rates. */
export interface Baseline {
  readonly kind: BaselineKind;
  /** Buckets the statistics cover, quiet ones included. */
  readonly buckets: number;
  readonly pps: Robust;
  readonly bps: Robust;
  readonly sources: Robust;
}

const NO_STATS: Robust = { median: 0, mad: 0 };

/** The baseline of no history: the floors alone decide. */
export const NO_BASELINE: Baseline = { kind: 'none', buckets: 0, pps: NO_STATS, bps: NO_STATS, sources: NO_STATS };

/** A baseline from the rates of the buckets that had traffic out of `covered` buckets. */
export function baselineOf(kind: Exclude<BaselineKind, 'none'>, rates: readonly BucketRates[], covered: number): Baseline {
  const zeros = covered - rates.length;
  return {
    kind,
    buckets: Math.max(covered, rates.length),
    pps: robust(rates.map((r) => r.pps), zeros),
    bps: robust(rates.map((r) => r.bps), zeros),
    sources: robust(rates.map((r) => r.sources), zeros),
  };
}

/** The thresholds that turn a baseline into attack levels. */
export interface Levels {
  readonly floorPps: number;
  readonly floorBps: number;
  readonly floorSources: number;
  readonly floorFanInPps: number;
  readonly floorFlows: number;
  readonly robustZ: number;
  readonly minRatio: number;
}

/** The rates above which a bucket is attack-level. */
export interface Expected {
  readonly pps: number;
  readonly bps: number;
  readonly sources: number;
}

/**
 * Attack level of one measure: the highest of the floor, median + z x sigma (sigma = 1.4826 x
 * MAD) and minRatio x median. The ratio term protects steady busy servers, whose MAD is tiny: a
 * web server at 3,000 pps +- 100 must double, not just rise by 5 x 148 pps, before it is flooded.
 */
export function attackLevel(s: Robust, floor: number, levels: Pick<Levels, 'robustZ' | 'minRatio'>): number {
  return Math.max(floor, s.median + levels.robustZ * MAD_TO_SIGMA * s.mad, levels.minRatio * s.median);
}

/** Attack level per measure (see `attackLevel`). */
export function expectedLevels(baseline: Baseline, levels: Levels): Expected {
  return {
    pps: attackLevel(baseline.pps, levels.floorPps, levels),
    bps: attackLevel(baseline.bps, levels.floorBps, levels),
    sources: attackLevel(baseline.sources, levels.floorSources, levels),
  };
}

/**
 * How far a bucket is above attack level (>= 1: attack-level): the highest of its packet rate
 * and bit rate against theirs, and its fan-in against its own level. Fan-in counts only as far
 * as the many sources also send `floorFanInPps` between them: a host scanned by 1,600 sources
 * over a day (a few a minute, a packet or two each) is not flooded. A bucket of fewer than
 * `floorFlows` flows is 0 whatever its rate: one fat flow is a transfer.
 */
export function excessRatio(r: BucketRates, e: Expected, levels: Pick<Levels, 'floorFanInPps' | 'floorFlows'>): number {
  if (r.flows < levels.floorFlows) return 0;
  return Math.max(r.pps / e.pps, r.bps / e.bps, Math.min(r.sources / e.sources, r.pps / levels.floorFanInPps));
}

/** An attack episode: indices (inclusive) into the bucket series. */
export interface Episode {
  readonly first: number;
  readonly last: number;
  /** Index of the bucket with the highest excess ratio. */
  readonly peak: number;
}

/**
 * Groups attack-level buckets (ratio >= 1) into episodes; up to `gapBuckets` quiet buckets may
 * separate two buckets of one episode. `buckets` are bucket starts in ascending order.
 */
export function findEpisodes(buckets: readonly number[], ratios: readonly number[], bucketMs: number, gapBuckets: number): Episode[] {
  const out: Episode[] = [];
  let open: { first: number; last: number; peak: number } | null = null;
  for (let i = 0; i < buckets.length; i++) {
    if (ratios[i]! < 1) continue;
    if (open && (buckets[i]! - buckets[open.last]!) / bucketMs - 1 <= gapBuckets) {
      open.last = i;
      if (ratios[i]! > ratios[open.peak]!) open.peak = i;
      continue;
    }
    if (open) out.push(open);
    open = { first: i, last: i, peak: i };
  }
  if (open) out.push(open);
  return out;
}

/**
 * Rate sub-score from the peak excess ratio: 0 below attack level, 0.5 at it, rising with
 * log10 to 1 at ten times it.
 */
export function rateScore(ratio: number): number {
  if (!(ratio >= 1)) return 0;
  return Math.min(1, 0.5 + 0.5 * Math.log10(ratio));
}

/** Fan-in sub-score: 0 for one source, log10 to 1 at 1,000 distinct sources. */
export function fanInScore(sources: number): number {
  if (sources <= 1) return 0;
  return Math.min(1, Math.log10(sources) / 3);
}

/** Duration sub-score: ln(1 + s) / ln(601), so a second is 0.11, a minute 0.64, ten minutes 1. */
export function durationScore(seconds: number): number {
  if (!(seconds > 0)) return 0;
  return Math.min(1, Math.log1p(seconds) / Math.log(601));
}

/** Traffic of one vector towards the victim during an episode. */
export interface VectorTraffic {
  readonly vector: Vector;
  readonly packets: number;
  readonly bytes: number;
  readonly flows: number;
  readonly sources: number;
  /** Packets per flow, counted in sampled packets (what the exporter saw), for `floodShape`. */
  readonly packetsPerFlow?: number;
  /** Reflection: the share of its reflectors the victim had itself sent requests to. */
  readonly solicitedShare?: number;
}

/** A vector with its shares of the episode's traffic and its standing as the main vector. */
export interface RankedVector extends VectorTraffic {
  readonly packetShare: number;
  readonly byteShare: number;
  /** The higher of the packet and byte shares: floods are counted in packets, amplification in bytes. */
  readonly share: number;
  /** `share`, plus the fragments credited to it (the main UDP vector takes the episode's fragments). */
  readonly effectiveShare: number;
  readonly weight: number;
  /** weight x effectiveShare: what picks the main vector, and its vector sub-score. */
  readonly score: number;
}

/**
 * Ranks the vectors of an episode, best first. A large UDP answer (DNS RRSIG, NTP monlist)
 * leaves the reflector in IP fragments; an exporter that does not reassemble reports the later
 * fragments as port-less flows, so the fragments are credited to the UDP vector carrying the
 * most bytes, and stand as a vector of their own only when there is no UDP vector.
 */
export function rankVectors(vectors: readonly VectorTraffic[]): RankedVector[] {
  const packets = vectors.reduce((s, v) => s + v.packets, 0);
  const bytes = vectors.reduce((s, v) => s + v.bytes, 0);
  const ratio = (x: number, total: number) => (total > 0 ? x / total : 0);
  const fragments = vectors.filter((v) => v.vector.cls === 'fragment');
  const fragPackets = fragments.reduce((s, v) => s + v.packets, 0);
  const fragBytes = fragments.reduce((s, v) => s + v.bytes, 0);
  let udpTop: VectorTraffic | undefined;
  for (const v of vectors) {
    if ((v.vector.cls === 'reflection' || v.vector.cls === 'udp') && (!udpTop || v.bytes > udpTop.bytes)) udpTop = v;
  }
  const ranked = vectors.map((v): RankedVector => {
    const packetShare = ratio(v.packets, packets);
    const byteShare = ratio(v.bytes, bytes);
    const share = Math.max(packetShare, byteShare);
    let effectiveShare = share;
    if (v === udpTop && fragments.length > 0) effectiveShare = Math.max(ratio(v.packets + fragPackets, packets), ratio(v.bytes + fragBytes, bytes));
    const weight = vectorWeight(v.vector, v.solicitedShare, v.packetsPerFlow, v.sources);
    // Credited fragments are not a candidate of their own.
    const score = v.vector.cls === 'fragment' && udpTop ? 0 : weight * effectiveShare;
    return { ...v, packetShare, byteShare, share, effectiveShare, weight, score };
  });
  return ranked.sort((a, b) => b.score - a.score || b.bytes - a.bytes || b.packets - a.packets);
}

/** The sub-scores of a DDoS finding, each 0..1. */
export interface DdosSubscores {
  readonly rate: number;
  readonly fanIn: number;
  readonly vector: number;
  readonly duration: number;
}

/**
 * The score: rate x (0.5 vector + 0.3 fanIn + 0.2 duration). Rate gates: traffic at its usual
 * level is no attack however many sources or SYNs it has. Above it, what the traffic is weighs
 * most: a surge of a few fat TCP transfers (vector 0) from a handful of sources stays under
 * 0.3 x fanIn + 0.2; a one-source SYN flood for ten minutes reaches 0.7 of the rate; thousands
 * of spoofed SYN sources for minutes earn all of it.
 */
export function ddosScore(s: DdosSubscores): number {
  return s.rate * (0.5 * s.vector + 0.3 * s.fanIn + 0.2 * s.duration);
}
