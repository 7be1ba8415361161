// Worked examples of the DDoS score, arithmetic in the comments, as RITA documents its beacon score.

import { describe, expect, it } from 'vitest';
import { DDOS_DEFAULTS } from './ddos-config.js';
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
  robust,
  type BucketCounts,
  type VectorTraffic,
} from './score.js';

const MINUTE = 60_000;
const bucket = (over: Partial<BucketCounts>): BucketCounts => ({ bucket: 0, first: 0, last: 0, flows: 0, packets: 0, bytes: 0, sources: 0, ...over });

describe('bucketRates', () => {
  it.each([
    // 3,984 packets and 924,288 bytes within 409 ms (the ISAKMP capture): the span is raised to the
    // 1 s minimum, so 3,984 pps and 924,288 x 8 = 7,394,304 bit/s.
    ['burst shorter than the minimum span', bucket({ first: 1_003, last: 1_412, packets: 3_984, bytes: 924_288, sources: 2_767, flows: 3_978 }), 3_984, 7_394_304],
    // 6,000 packets over a 30 s span: 200 pps; 3,000,000 bytes x 8 / 30 = 800,000 bit/s.
    ['half a minute of traffic', bucket({ first: 0, last: 30_000, packets: 6_000, bytes: 3_000_000 }), 200, 800_000],
    // Flows ending 90 s after the bucket's first start: the span stops at the bucket, 60 s:
    // 6,000 / 60 = 100 pps; 3,000,000 x 8 / 60 = 400,000 bit/s.
    ['span longer than the bucket', bucket({ first: 0, last: 90_000, packets: 6_000, bytes: 3_000_000 }), 100, 400_000],
  ])('%s', (_name, b, pps, bps) => {
    const r = bucketRates(b, MINUTE, 1_000);
    expect(r.pps).toBeCloseTo(pps, 9);
    expect(r.bps).toBeCloseTo(bps, 9);
    expect(r.sources).toBe(b.sources);
    expect(r.flows).toBe(b.flows);
  });
});

describe('robust', () => {
  it.each([
    // Sorted 1 2 3 4 100: median 3; deviations 2 1 0 1 97, sorted 0 1 1 2 97: MAD 1.
    ['an outlier does not move it', [4, 1, 100, 3, 2], 0, 3, 1],
    // 0 0 0 5 7: median 0; deviations 0 0 0 5 7: MAD 0 (a host quiet most minutes).
    ['quiet buckets count as zeros', [5, 7], 3, 0, 0],
    // 10 20 30 40: median (20 + 30) / 2 = 25; deviations 15 5 5 15: MAD (5 + 15) / 2 = 10.
    ['even count', [40, 10, 30, 20], 0, 25, 10],
    ['nothing at all', [], 0, 0, 0],
  ])('%s', (_name, values, zeros, median, mad) => {
    expect(robust(values, zeros)).toEqual({ median, mad });
  });
});

describe('expectedLevels and excessRatio', () => {
  const levels = DDOS_DEFAULTS;

  it('uses the floors alone without a baseline', () => {
    expect(expectedLevels(NO_BASELINE, levels)).toEqual({ pps: 1_000, bps: 100_000_000, sources: 100 });
  });

  it('protects a steady busy server with the ratio term', () => {
    // 3,000 pps +- 100 (MAD): median + 5 x 1.4826 x 100 = 3,741.3 pps, but 2 x 3,000 = 6,000 is
    // higher, and above the 1,000 pps floor: 6,000. Sources 300 (MAD 0): max(100, 300, 600) = 600.
    const baseline = { kind: 'history' as const, buckets: 1_440, pps: { median: 3_000, mad: 100 }, bps: { median: 2e6, mad: 1e5 }, sources: { median: 300, mad: 0 } };
    const e = expectedLevels(baseline, levels);
    expect(e.pps).toBe(6_000);
    expect(e.sources).toBe(600);
    // bps: max(1e8 floor, 2e6 + 5 x 1.4826 x 1e5 = 2,741,300, 4e6) = 1e8.
    expect(e.bps).toBe(100_000_000);
  });

  it("lets a bursty destination's MAD raise its level above the ratio term", () => {
    // median 1,000, MAD 600: 1,000 + 5 x 1.4826 x 600 = 5,447.8 > 2 x 1,000 = 2,000 > 1,000.
    const baseline = { kind: 'history' as const, buckets: 60, pps: { median: 1_000, mad: 600 }, bps: { median: 0, mad: 0 }, sources: { median: 0, mad: 0 } };
    expect(expectedLevels(baseline, levels).pps).toBeCloseTo(5_447.8, 6);
  });

  it.each([
    // The DNS capture's minute: 124.9 pps, 519,412 bit/s, 237 sources, 390 flows against the floors:
    // max(124.9 / 1,000 = 0.1249, 519,412 / 1e8 = 0.0052, min(237 / 100 = 2.37, 124.9 / 50 = 2.498)) = 2.37.
    ['fan-in with enough packets', { pps: 124.9, bps: 519_412, sources: 237, flows: 390 }, 2.37],
    // The same sources at 20 pps: min(2.37, 20 / 50 = 0.4) = 0.4, below attack level.
    ['fan-in alone at a low rate', { pps: 20, bps: 519_412, sources: 237, flows: 390 }, 0.4],
    // A Windows host probed by 14 sources in its busiest minute at 7.3 pps (the 008 Zeek log):
    // max(0.0073, ~0, min(0.14, 0.146)) = 0.14.
    ['a scanned host', { pps: 7.3, bps: 0, sources: 14, flows: 30 }, 0.14],
    // 24,000 pps in 3 flows: fewer than the 10-flow floor, so 0 (a transfer, not a flood).
    ['one fat transfer', { pps: 24_000, bps: 2e8, sources: 1, flows: 3 }, 0],
    // 3,984 pps from 2,767 sources: max(3.984, 0.074, min(27.67, 79.68)) = 27.67.
    ['the ISAKMP minute', { pps: 3_984, bps: 7_394_304, sources: 2_767, flows: 3_978 }, 27.67],
  ])('%s', (_name, rates, ratio) => {
    expect(excessRatio(rates, expectedLevels(NO_BASELINE, levels), levels)).toBeCloseTo(ratio, 9);
  });

  it('builds a baseline from the buckets with traffic and the quiet ones', () => {
    // Two busy buckets out of 4 covered: pps values 100, 300, 0, 0 -> sorted 0 0 100 300, median 50;
    // deviations 50 50 50 250 -> MAD 50.
    const rates = [
      { pps: 100, bps: 800, sources: 3, flows: 12 },
      { pps: 300, bps: 2_400, sources: 5, flows: 20 },
    ];
    const b = baselineOf('history', rates, 4);
    expect(b).toMatchObject({ kind: 'history', buckets: 4, pps: { median: 50, mad: 50 }, bps: { median: 400, mad: 400 }, sources: { median: 1.5, mad: 1.5 } });
  });
});

describe('findEpisodes', () => {
  it('joins attack-level buckets across short gaps only', () => {
    // Buckets at minutes 0 1 2 10 11 20 with ratios 2 0.5 3 1.5 0.2 4, gap 5: minutes 0 and 2 are
    // one bucket apart (one quiet bucket between) -> one episode, peak at minute 2; minute 10 is 7
    // quiet buckets after minute 2 -> a new episode; minute 20 is 9 after 10 -> another.
    const buckets = [0, 1, 2, 10, 11, 20].map((m) => m * MINUTE);
    expect(findEpisodes(buckets, [2, 0.5, 3, 1.5, 0.2, 4], MINUTE, 5)).toEqual([
      { first: 0, last: 2, peak: 2 },
      { first: 3, last: 3, peak: 3 },
      { first: 5, last: 5, peak: 5 },
    ]);
  });

  it('finds nothing below attack level', () => {
    expect(findEpisodes([0, MINUTE], [0.9, 0.99], MINUTE, 5)).toEqual([]);
  });
});

describe('sub-scores', () => {
  it.each([
    [0.99, 0],
    [1, 0.5],
    // 0.5 + 0.5 x log10(2.37) = 0.5 + 0.5 x 0.37475 = 0.68737
    [2.37, 0.68737],
    // 0.5 + 0.5 x log10(6) = 0.5 + 0.5 x 0.77815 = 0.88908
    [6, 0.88908],
    [10, 1],
    [27.67, 1],
  ])('rateScore(%f) = %f', (ratio, score) => {
    expect(rateScore(ratio)).toBeCloseTo(score, 5);
  });

  it.each([
    [1, 0],
    // log10(50) / 3 = 1.69897 / 3 = 0.56632
    [50, 0.56632],
    // log10(300) / 3 = 2.47712 / 3 = 0.82571
    [300, 0.82571],
    [1_000, 1],
    [37_623, 1],
  ])('fanInScore(%i) = %f', (sources, score) => {
    expect(fanInScore(sources)).toBeCloseTo(score, 5);
  });

  it.each([
    [0, 0],
    // ln(1.409) / ln(601) = 0.34288 / 6.39859 = 0.05359
    [0.409, 0.05359],
    // ln(24.684) / ln(601) = 3.206155 / 6.398595 = 0.501072
    [23.684, 0.501072],
    // ln(61) / ln(601) = 4.110874 / 6.398595 = 0.642465
    [60, 0.642465],
    [600, 1],
    [3_600, 1],
  ])('durationScore(%f) = %f', (seconds, score) => {
    expect(durationScore(seconds)).toBeCloseTo(score, 5);
  });
});

describe('rankVectors', () => {
  // An amplification episode: 4,000 packets and 2,000,000 bytes in all.
  const dns: VectorTraffic = { vector: { cls: 'reflection', port: 53 }, packets: 500, bytes: 1_500_000, flows: 60, sources: 50, solicitedShare: 0 };
  const fragments: VectorTraffic = { vector: { cls: 'fragment' }, packets: 50, bytes: 100_000, flows: 10, sources: 10 };
  const tcp: VectorTraffic = { vector: { cls: 'tcp' }, packets: 3_000, bytes: 350_000, flows: 80, sources: 30, packetsPerFlow: 37.5 };
  const syn: VectorTraffic = { vector: { cls: 'syn' }, packets: 450, bytes: 50_000, flows: 300, sources: 120, packetsPerFlow: 1.5 };

  it('credits fragments to the main UDP vector and weighs vectors by what they say', () => {
    const ranked = rankVectors([tcp, syn, fragments, dns]);
    expect(ranked.map((v) => v.vector.cls)).toEqual(['reflection', 'tcp', 'syn', 'fragment']);
    const [first, second, third, fourth] = ranked;
    // DNS: packet share 500 / 4,000 = 0.125, byte share 1.5M / 2M = 0.75 -> share 0.75; with the
    // fragments max(550 / 4,000 = 0.1375, 1.6M / 2M = 0.8) = 0.8; weight 1 (unsolicited): 0.8.
    expect(first).toMatchObject({ packetShare: 0.125, byteShare: 0.75, share: 0.75, weight: 1 });
    expect(first!.effectiveShare).toBeCloseTo(0.8, 12);
    expect(first!.score).toBeCloseTo(0.8, 12);
    // TCP: shares 0.75 and 0.175 -> 0.75; 37.5 packets per flow: shape 1 - log10(37.5 / 20) / 2 =
    // 1 - 0.27300 / 2 = 0.86350, weight 0.5 x 0.86350 = 0.43175; score 0.75 x 0.43175 = 0.32381.
    expect(second!.weight).toBeCloseTo(0.43175, 5);
    expect(second!.score).toBeCloseTo(0.32381, 5);
    // SYN: shares 450 / 4,000 = 0.1125 and 0.025 -> 0.1125 x weight 1.
    expect(third!.score).toBeCloseTo(0.1125, 12);
    // Fragments, credited to DNS, are no candidate of their own.
    expect(fourth!.score).toBe(0);
  });

  it("lets a resolver's solicited answers give way", () => {
    // 90% of the reflectors had been queried by the victim: weight 1 - 0.9 = 0.1, score 0.8 x 0.1 = 0.08 < TCP's 0.32381.
    const ranked = rankVectors([tcp, syn, fragments, { ...dns, solicitedShare: 0.9 }]);
    expect(ranked[0]!.vector.cls).toBe('tcp');
    expect(ranked.find((v) => v.vector.cls === 'reflection')!.score).toBeCloseTo(0.08, 12);
  });

  it('lets fragments stand alone without a UDP vector', () => {
    // 50 of 3,050 packets (0.01639), 100,000 of 450,000 bytes (0.22222) x weight 0.9 = 0.2;
    // TCP max(3,000 / 3,050 = 0.983607, 0.777778) x 0.431750 = 0.424672; so TCP first, fragments second.
    const ranked = rankVectors([tcp, fragments]);
    expect(ranked.map((v) => v.vector.cls)).toEqual(['tcp', 'fragment']);
    expect(ranked[0]!.score).toBeCloseTo(0.424672, 5);
    expect(ranked[1]!.score).toBeCloseTo(0.2, 12);
  });

  it('gives fat TCP transfers no vector weight', () => {
    // 2,000 packets per flow: 1 - log10(100) / 2 = 0.
    expect(rankVectors([{ vector: { cls: 'tcp' }, packets: 20_000, bytes: 3e7, flows: 10, sources: 2, packetsPerFlow: 2_000 }])[0]!.score).toBe(0);
  });
});

describe('ddosScore', () => {
  it.each([
    // ISAKMP reflection: 1 x (0.5 x 1 + 0.3 x 1 + 0.2 x 0.054) = 0.5 + 0.3 + 0.0108 = 0.8108.
    ['reflection burst', { rate: 1, fanIn: 1, vector: 1, duration: 0.054 }, 0.8108],
    // DNS amplification: 0.687 x (0.5 x 0.846 + 0.3 x 0.566 + 0.2 x 0.535) = 0.687 x (0.423 + 0.1698 + 0.107) = 0.687 x 0.6998 = 0.48076.
    ['amplification at a low rate', { rate: 0.687, fanIn: 0.566, vector: 0.846, duration: 0.535 }, 0.48076],
    // Fat transfers from 9 sources, far above the floor: 1 x (0 + 0.3 x 0.318 + 0.2 x 0.892) = 0.0954 + 0.1784 = 0.2738.
    ['transfers, not a flood', { rate: 1, fanIn: 0.318, vector: 0, duration: 0.892 }, 0.2738],
    // At its usual rate nothing counts.
    ['usual rate', { rate: 0, fanIn: 1, vector: 1, duration: 1 }, 0],
  ])('%s', (_name, subscores, score) => {
    expect(ddosScore(subscores)).toBeCloseTo(score, 5);
  });
});
