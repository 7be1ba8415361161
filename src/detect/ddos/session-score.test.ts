// Worked examples of the session-flood score, arithmetic in the comments.

import { describe, expect, it } from 'vitest';
import { DDOS_DEFAULTS } from './ddos-config.js';
import { attackLevel, ddosScore, durationScore, fanInScore, rateScore } from './score.js';
import { floodSources, sessionFloodName, sessionQuery, sessionRegularity, sessionSizeCv, sessionWeight, type SessionSource } from './session-score.js';

const source = (over: Partial<SessionSource>): SessionSource => ({ ip: '192.0.2.1', connections: 0, flows: 0, sampledPackets: 0, sumBytes: 0, sumBytes2: 0, first: 0, last: 0, ...over });

/** A source whose flows have these byte counts. */
const withSizes = (sizes: readonly number[], over: Partial<SessionSource> = {}): SessionSource =>
  source({ flows: sizes.length, connections: sizes.length, sumBytes: sizes.reduce((s, b) => s + b, 0), sumBytes2: sizes.reduce((s, b) => s + b * b, 0), ...over });

describe('sessionSizeCv', () => {
  it.each([
    // Every session 600 bytes: standard deviation 0.
    ['identical sessions', [withSizes([600, 600, 600, 600])], 0],
    // 600 and 652 (a retransmitted 52-byte segment): mean 626, deviation 26: CV 26 / 626 = 0.04153.
    ['a retransmission in every other session', [withSizes([600, 652, 600, 652])], 26 / 626],
    // 400 x 2^k, k = 0..7: mean 400 x 255 / 8 = 12,750; mean square 160,000 x 21,845 / 8 =
    // 436,900,000; variance 436,900,000 - 12,750^2 = 274,337,500; sd 16,563.1: CV 1.2991.
    ['sizes doubling eight times (a proxy fetching pages, images, videos)', [withSizes([0, 1, 2, 3, 4, 5, 6, 7].map((k) => 400 * 2 ** k))], Math.sqrt(274_337_500) / 12_750],
    // Pooled over two sources: 100, 100 and 300, 300: mean 200, deviation 100: CV 0.5.
    ['pooled over sources', [withSizes([100, 100]), withSizes([300, 300])], 0.5],
    // Scaled by a sampling rate of 38: the same CV.
    ['scaled by sampling', [withSizes([600 * 38, 652 * 38, 600 * 38, 652 * 38])], 26 / 626],
  ])('%s', (_name, sources, cv) => {
    expect(sessionSizeCv(sources)).toBeCloseTo(cv, 9);
  });

  it('is infinite (regularity 0) without flows', () => {
    expect(sessionSizeCv([])).toBe(Infinity);
    expect(sessionRegularity(Infinity)).toBe(0);
  });
});

describe('sessionWeight', () => {
  it.each([
    // CV 0.0415, 8.5 packets a flow (flood shape 1 up to 20): 1 - 0.0415 = 0.9585.
    ['LOIC-like: alike, short', 26 / 626, 8.5, 1 - 26 / 626],
    // CV 0.5: 0.5.
    ['half as alike', 0.5, 8, 0.5],
    // CV 1.3: regularity 0, whatever the shape.
    ['a proxy: heavy-tailed sizes', 1.3, 8, 0],
    // CV 0, 200 packets a flow: flood shape 1 - log10(200 / 20) / 2 = 0.5.
    ['alike but fat sessions (downloads of one file)', 0, 200, 0.5],
  ])('%s', (_name, cv, ppf, weight) => {
    expect(sessionWeight(cv, ppf)).toBeCloseTo(weight, 9);
  });
});

describe('floodSources', () => {
  it('keeps the busiest, and the others that alone reach the level over the episode', () => {
    const sources = [source({ ip: 'a', connections: 30_000 }), source({ ip: 'b', connections: 12_000 }), source({ ip: 'c', connections: 9_000 }), source({ ip: 'd', connections: 40 })];
    // Level 1,000 a minute over a 10-minute episode: 10,000 connections each. 'a' leads; 'b'
    // (1,200 a minute) is a flooder too; 'c' (900 a minute) and 'd' are not.
    expect(floodSources(sources, 1_000, 10).map((s) => s.ip)).toEqual(['a', 'b']);
    // The busiest stays even when its average is under the level (a burst within the episode).
    expect(floodSources([source({ ip: 'a', connections: 500 })], 1_000, 10).map((s) => s.ip)).toEqual(['a']);
  });
});

describe('the session-flood score: rate x (0.5 vector + 0.3 fanIn + 0.2 duration)', () => {
  const floor = DDOS_DEFAULTS.floorSourceConnections;
  const level = attackLevel({ median: 0, mad: 0 }, floor, DDOS_DEFAULTS);

  it.each([
    // The CIC-IDS2017 LOIC sample imported with --sampling 38: the busiest minute has 156
    // connections x 38 = 5,928 a minute; no history: level 1,000, ratio 5.928, rate 0.5 + 0.5 x
    // log10(5.928) = 0.8864. One source: fan-in 0. Sessions CV 0.089, 8 packets: weight 0.911,
    // share 1. 19.5 minutes: duration 1. 0.8864 x (0.5 x 0.911 + 0.2) = 0.5808: low.
    ['LOIC, one source, sampled 1 in 38', 5_928, 1, 0.089, 8, 1, 1_168, 0.581],
    // The same rate from a busy proxy whose sessions vary (CV 1.3): vector 0;
    // 0.8864 x 0.2 = 0.1773: not reported (and under minVector).
    ['a proxy at the same rate', 5_928, 1, 1.3, 8, 1, 1_168, 0.177],
    // Three HULK-like sources, 20,000 connections a minute at the busiest: ratio 20, rate 1;
    // fan-in log10(3) / 3 = 0.159; CV 0.3: weight 0.7, share 0.9: vector 0.63; 10 minutes:
    // duration 1. 0.5 x 0.63 + 0.3 x 0.159 + 0.2 = 0.5627: low.
    ['three sources, 20,000 a minute', 20_000, 3, 0.3, 10, 0.9, 600, 0.563],
    // A one-source flood at 10x the level for ten minutes with identical sessions: rate 1,
    // vector 1, duration 1: 0.5 + 0.2 = 0.7: medium.
    ['the most one source can reach', 10_000, 1, 0, 8, 1, 600, 0.7],
    // 1,500 a minute for 30 s: ratio 1.5, rate 0.588; duration ln(31) / ln(601) = 0.5367;
    // CV 0.05, vector 0.95: 0.588 x (0.475 + 0.1073) = 0.3425: under minScore.
    ['a short burst just over the level', 1_500, 1, 0.05, 8, 1, 30, 0.342],
  ])('%s', (_name, peakCpm, sources, cv, ppf, share, seconds, score) => {
    const s = {
      rate: rateScore(peakCpm / level),
      fanIn: fanInScore(sources),
      vector: sessionWeight(cv, ppf) * share,
      duration: durationScore(seconds),
    };
    expect(ddosScore(s)).toBeCloseTo(score, 3);
  });

  it('judges against the learned level where there is history', () => {
    // A load balancer opening 3,000 connections a minute to its backend all day (MAD 0): level
    // max(1,000, 3,000 + 5 x 1.4826 x 0, 2 x 3,000) = 6,000; the same 3,000 is ratio 0.5: no flood.
    expect(attackLevel({ median: 3_000, mad: 0 }, floor, DDOS_DEFAULTS)).toBe(6_000);
    // With a spread: median 3,000, MAD 1,000: 3,000 + 5 x 1,482.6 = 10,413.
    expect(attackLevel({ median: 3_000, mad: 1_000 }, floor, DDOS_DEFAULTS)).toBeCloseTo(10_413, 6);
  });
});

describe('naming and query', () => {
  it.each([
    [80, 'http-flood'],
    [443, 'http-flood'],
    [8080, 'http-flood'],
    [25, 'connection-flood'],
    [3306, 'connection-flood'],
  ])('port %i is a %s', (port, name) => {
    expect(sessionFloodName(port)).toBe(name);
  });

  it('narrows the query to the source when there is one', () => {
    expect(sessionQuery('192.168.10.50', 80, '172.16.0.1')).toBe('dst ip 192.168.10.50 and proto tcp and dst port 80 and src ip 172.16.0.1');
    expect(sessionQuery('192.168.10.50', 80, null)).toBe('dst ip 192.168.10.50 and proto tcp and dst port 80');
  });
});
