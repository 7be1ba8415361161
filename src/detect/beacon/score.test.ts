// Worked examples of the beacon score, with the arithmetic written out (RITA's formulas from
// activecm/rita analysis/beacons.go; Vantage's weights 0.4 timing / 0.2 / 0.2 / 0.2).

import { describe, expect, it } from 'vitest';
import {
  BEACON_SCORE_DEFAULTS,
  bowley,
  connectionHistogram,
  durationScore,
  histogramScore,
  madm,
  periodicity,
  prevalenceModifier,
  quartiles,
  scoreBeacon,
  timingFloor,
  type BeaconScore,
} from './score.js';

const DAY = 86_400_000;

/** Start times (ms) from a first start and a list of intervals in seconds. */
function startsFrom(intervalsSeconds: readonly number[], first = 0): number[] {
  const out = [first];
  for (const s of intervalsSeconds) out.push(out[out.length - 1]! + s * 1000);
  return out;
}

function subscores(s: BeaconScore) {
  return { score: s.score, timestamp: s.timestamp, periodicity: s.periodicity, dataSize: s.dataSize, histogram: s.histogram, duration: s.duration };
}

describe('RITA statistics', () => {
  it('takes quartiles as montanaflynn/stats does (halves leave the median out for odd counts)', () => {
    // 1..7: lower half 1,2,3 -> Q1 2; median 4; upper half 5,6,7 -> Q3 6.
    expect(quartiles([1, 2, 3, 4, 5, 6, 7])).toEqual({ q1: 2, q2: 4, q3: 6 });
    // 1..8: lower half 1..4 -> 2.5; median (4+5)/2 = 4.5; upper half 5..8 -> 6.5.
    expect(quartiles([1, 2, 3, 4, 5, 6, 7, 8])).toEqual({ q1: 2.5, q2: 4.5, q3: 6.5 });
  });

  it.each([
    // [1, 2, 10]: Q1 1, Q2 2, Q3 10; spread 9 < 10 -> skew taken as 0, score 1.
    { values: [1, 2, 10], skew: 0, score: 1 },
    // [1, 2, 20]: spread 19; (1 + 20 − 2·2) / 19 = 17/19 = 0.894737; score 0.105263.
    { values: [1, 2, 20], skew: 17 / 19, score: 1 - 17 / 19 },
    // [60, 60, 60, 120, 180]: Q1 = Q2 = 60 -> skew 0 (the median sits on a quartile).
    { values: [60, 60, 60, 120, 180], skew: 0, score: 1 },
  ])('Bowley skew of $values is $skew', ({ values, skew, score }) => {
    const b = bowley(values);
    expect(b.skew).toBeCloseTo(skew, 9);
    expect(b.score).toBeCloseTo(score, 9);
  });

  it('leaves the skew of a tight spread out (Vantage: quartile spread under a fifth of the median)', () => {
    // Hourly intervals jittered by a few minutes: sorted 3480 3570 3590 3600 3600 | 3605 3610 3620
    // 3640 3700; Q1 = 3590, Q2 = (3600 + 3605)/2 = 3602.5, Q3 = 3620; spread 30 >= 10, so RITA takes
    // (3590 + 3620 − 7205)/30 = 0.166667 -> 0.833333; 30 < 0.2 × 3602.5 = 720.5, so Vantage takes 0 -> 1.
    const hourly = [3480, 3570, 3590, 3600, 3600, 3605, 3610, 3620, 3640, 3700];
    expect(bowley(hourly).skew).toBeCloseTo(1 / 6, 9);
    expect(bowley(hourly, 0.2)).toEqual({ skew: 0, score: 1 });
    // A wide spread keeps its skew: [1, 2, 20] spread 19 >= 0.2 × 2.
    expect(bowley([1, 2, 20], 0.2).skew).toBeCloseTo(17 / 19, 9);
  });

  it('scores dispersion as (median − MAD) / median, with a default under a median of 1', () => {
    // [10, 10, 12, 14, 30]: median 12; |x − 12| = 2, 2, 0, 2, 18 -> MAD 2; (12 − 2)/12 = 0.833333.
    expect(madm([10, 10, 12, 14, 30], 1)).toEqual({ mad: 2, score: 10 / 12 });
    // Median 0.5 (under 1): the default (1 for intervals, 0 for sizes).
    expect(madm([0.5, 0.5, 0.5], 1).score).toBe(1);
    expect(madm([0.5, 0.5, 0.5], 0).score).toBe(0);
    // [1, 2, 3, 100, 200]: median 3; |x − 3| = 2, 1, 0, 97, 197 -> MAD 2 -> (3 − 2)/3 = 0.333333.
    expect(madm([1, 2, 3, 100, 200], 1).score).toBeCloseTo(1 / 3, 9);
    // A MAD above the median floors the score at 0: [1, 1, 2, 50, 60]: median 2; |x − 2| = 1, 1, 0,
    // 48, 58 -> MAD 1 -> 0.5. [1, 10, 20, 300, 400]: median 20; |x − 20| = 19, 10, 0, 280, 380 ->
    // MAD 19 -> (20 − 19)/20 = 0.05. [0, 0, 2, 9, 9]: median 2; 2, 2, 0, 7, 7 -> MAD 2 -> 0.
    expect(madm([1, 1, 2, 50, 60], 1).score).toBe(0.5);
    expect(madm([1, 10, 20, 300, 400], 1).score).toBeCloseTo(0.05, 9);
    expect(madm([0, 0, 2, 9, 9], 1).score).toBe(0);
  });

  it('bins connections as RITA does (its own example: [1, 5, 23, 25, 42, 45] over edges 0..50 -> [2, 0, 2, 0, 2])', () => {
    expect(connectionHistogram([1, 5, 23, 25, 42, 45], 0, 50, 5)).toEqual([2, 0, 2, 0, 2]);
    // The dataset's last instant falls in the last bin.
    expect(connectionHistogram([0, 50], 0, 50, 5)).toEqual([1, 0, 0, 0, 1]);
  });

  it('scores a histogram by flatness, or by two modes when one hour alternates with another', () => {
    // 24 bins alternating 10 and 30: mean 20, sd 10, CV 0.5 -> 0.5. Bimodal: tallest 30, mode
    // width ceil(30 × 0.05) = 2, modes {10: 12 bars, 30: 12 bars}; (12 + 12)/(24 − 1) = 1.043 -> 1.
    const alternating = Array.from({ length: 24 }, (_, i) => (i % 2 === 0 ? 10 : 30));
    const h = histogramScore(alternating, BEACON_SCORE_DEFAULTS);
    expect(h).toEqual({ score: 1, cv: 0.5, bimodal: 1, bars: 24, longestRun: 24 });
    // 6 bars of 5 in 24 bins: mean 1.25, variance 6·25/24 − 1.5625 = 4.6875, sd 2.165, CV 1.732 > 1
    // -> 0; 6 bars < 11 -> no bimodal fit; score 0. Bars in bins 22, 23, 0, 1 run across the wrap: 4.
    const sparse = [5, 5, 0, 0, 0, 0, 5, 0, 0, 0, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 5, 5];
    expect(histogramScore(sparse, BEACON_SCORE_DEFAULTS)).toMatchObject({ score: 0, bimodal: 0, bars: 6, longestRun: 4 });
  });

  it('scores duration as the better of coverage and consistency, once 6 bins have connections', () => {
    // Half the day covered (ceil(0.5 × 1000)/1000 = 0.5), a 13-bin run (13/12 -> capped 1): 1.
    expect(durationScore(0, DAY / 2, 0, DAY, 13, 13, BEACON_SCORE_DEFAULTS)).toEqual({ score: 1, coverage: 0.5, consistency: 1 });
    // 99.3% covered (ceil(992.99)/1000 = 0.993) with a 3-bin run (3/12 = 0.25): 0.993.
    expect(durationScore(0, 567_000, 0, 571_000, 8, 3, BEACON_SCORE_DEFAULTS)).toEqual({ score: 0.993, coverage: 0.993, consistency: 0.25 });
    // 5 bins with connections: under RITA's 6, no duration score.
    expect(durationScore(0, DAY, 0, DAY, 5, 5, BEACON_SCORE_DEFAULTS).score).toBe(0);
  });
});

describe('scoreBeacon worked examples', () => {
  it('a perfect 60 s beacon over a day', () => {
    // 1,440 connections at 0, 60, ..., 86,340 s; 500 bytes each; dataset 0..86,400 s.
    // timestamp: 1,439 intervals of 60 s; Q1 = Q2 = Q3 = 60 -> skew 0 -> 1; MAD 0 -> (60 − 0)/60 = 1;
    //   (1 + 1)/2 = 1.
    // dataSize: skew 0 -> 1; MAD 0 -> 1; smallness 1 − 500/65535 = 0.992370; (1 + 1 + 0.992370)/3
    //   = 0.997457 -> 0.997.
    // histogram: 24 bins of 1 h with 60 each: CV 0 -> 1.
    // duration: 24 bars; coverage ceil(86,340/86,400 × 1000)/1000 = ceil(999.31)/1000 = 1 -> 1.
    // score: 0.4 × 1 + 0.2 × 0.997 + 0.2 × 1 + 0.2 × 1 = 0.9994 -> 0.999.
    const starts = Array.from({ length: 1440 }, (_, i) => i * 60_000);
    const s = scoreBeacon({ starts, sizes: starts.map(() => 500), datasetStart: 0, datasetEnd: DAY });
    expect(subscores(s)).toEqual({ score: 0.999, timestamp: 1, periodicity: 1, dataSize: 0.997, histogram: 1, duration: 1 });
    expect(s.intervals).toMatchObject({ count: 1439, medianMs: 60_000, periodMs: 60_000, madMs: 0, skew: 0 });
  });

  it('a jittered beacon (intervals 58, 60, 62, 60 s repeated)', () => {
    // 1,440 intervals: 360 × 58, 720 × 60, 360 × 62; 1,441 connections, 0..86,400 s; 1,000 bytes.
    // timestamp: Q1 = median(360 × 58, 360 × 60) = 59, Q2 = 60, Q3 = 61; spread 2 < 10 -> skew 0 -> 1.
    //   |x − 60|: 720 × 0 and 720 × 2 -> MAD (0 + 2)/2 = 1 s -> (60 − 1)/60 = 0.983333;
    //   (1 + 0.983333)/2 = 0.991667 -> 0.992.
    // dataSize: (1 + 1 + (1 − 1000/65535 = 0.984741))/3 = 0.994914 -> 0.995.
    // histogram: every hour holds 15 cycles = 60 connections, and the last one (at 86,400 s, the
    //   dataset's end) falls in bin 23: 61. Mean 1441/24 = 60.041667; Σ(c − mean)² = 23 × 0.041667²
    //   + 0.958333² = 0.958333; sd √(0.958333/24) = 0.199826; CV 0.003328 -> 0.997. Bimodal: tallest
    //   61, width ceil(3.05) = 4, floor(60/4)·4 = floor(61/4)·4 = 60: one mode of 24 bars;
    //   24/(24 − 1) = 1.043 -> 1. max(0.997, 1) = 1.
    // duration: coverage 86,400/86,400 = 1.
    // score: 0.4 × 0.992 + 0.2 × 0.995 + 0.2 + 0.2 = 0.9958 -> 0.996.
    const intervals = Array.from({ length: 360 }, () => [58, 60, 62, 60]).flat();
    const starts = startsFrom(intervals);
    const s = scoreBeacon({ starts, sizes: starts.map(() => 1000), datasetStart: 0, datasetEnd: DAY });
    expect(subscores(s)).toEqual({ score: 0.996, timestamp: 0.992, periodicity: 1, dataSize: 0.995, histogram: 1, duration: 1 });
    expect(s.bins.counts).toEqual([...Array.from({ length: 23 }, () => 60), 61]);
    expect(s.intervals.madMs).toBe(1000);
  });

  it('random-looking traffic (13 connections, intervals from 2 s to 160 s, sizes from 60 B to 9 kB)', () => {
    // Intervals (s) 35, 2, 110, 14, 60, 5, 160, 27, 9, 80, 20, 45 -> starts 0, 35, 37, 147, 161, 221,
    // 226, 386, 413, 422, 502, 522, 567 s; the dataset is 0..571 s.
    // timestamp: sorted 2 5 9 14 20 27 | 35 45 60 80 110 160; Q1 = (9 + 14)/2 = 11.5, Q2 = (27 + 35)/2
    //   = 31, Q3 = (60 + 80)/2 = 70; skew (11.5 + 70 − 62)/58.5 = 0.333333 -> 0.666667.
    //   |x − 31| sorted: 4 4 11 14 17 22 26 29 29 49 79 129 -> MAD (22 + 26)/2 = 24 -> (31 − 24)/31
    //   = 0.225806; (0.666667 + 0.225806)/2 = 0.446237 -> 0.446.
    // periodicity (shown, not used: the pair is not sampled): candidates 27 s (4 hits: 27, 80, 110,
    //   160 -> (4/12 − 0.2)/0.8 = 0.167), 9 s (3 hits -> 0.0625), 5 s (8 hits: 5 20 35 45 60 80 110
    //   160 -> (8/12 − 0.2)/0.8 = 0.583), 2 s (7 hits -> 0.479): 0.583. Round numbers line up by
    //   chance over few intervals, which is why the multiples check only stands in for sampled pairs.
    // dataSize: sorted 60 95 150 220 310 430 | 560 | 780 1200 1500 2300 4000 9000; Q1 = (150 + 220)/2
    //   = 185, Q2 = 560, Q3 = (1500 + 2300)/2 = 1900; skew (185 + 1900 − 1120)/1715 = 0.562682 ->
    //   0.437318. |x − 560| sorted: 0 130 220 250 340 410 465 ... -> MAD 465 -> (560 − 465)/560 =
    //   0.169643. All sizes distinct: mode = smallest, 60 -> smallness 1 − 60/65535 = 0.999084.
    //   (0.437318 + 0.169643 + 0.999084)/3 = 0.535348 -> 0.535.
    // histogram: bins of 571/24 = 23.79 s: counts 1 2 0 0 0 0 2 0 0 2 0 0 0 0 0 0 1 2 0 0 0 2 0 1;
    //   mean 0.541667, Σc² = 23, variance 23/24 − 0.541667² = 0.664931, sd 0.815433, CV 1.505 > 1
    //   -> 0; 8 bars < 11 -> no bimodal fit; 0.
    // duration: 8 bars >= 6; coverage ceil(567/571 × 1000)/1000 = ceil(992.99)/1000 = 0.993; longest
    //   run 3 (bins 23, 0, 1 across the wrap) -> 3/12 = 0.25; 0.993.
    // score: 0.4 × 0.446 + 0.2 × 0.535 + 0.2 × 0 + 0.2 × 0.993 = 0.1784 + 0.107 + 0.1986 = 0.484.
    const starts = startsFrom([35, 2, 110, 14, 60, 5, 160, 27, 9, 80, 20, 45]);
    const sizes = [310, 1200, 95, 4000, 560, 150, 2300, 780, 60, 1500, 430, 9000, 220];
    const s = scoreBeacon({ starts, sizes, datasetStart: 0, datasetEnd: 571_000 });
    expect(subscores(s)).toEqual({ score: 0.484, timestamp: 0.446, periodicity: 0.583, dataSize: 0.535, histogram: 0, duration: 0.993 });
    expect(s.bins.counts).toEqual([1, 2, 0, 0, 0, 0, 2, 0, 0, 2, 0, 0, 0, 0, 0, 0, 1, 2, 0, 0, 0, 2, 0, 1]);
    expect(s.sizes).toMatchObject({ median: 560, mode: 60, mad: 465 });
    // The beat shown is RITA's median interval, the multiples check not being in use.
    expect(s.intervals.periodMs).toBe(31_000);
  });

  it.each([
    // 3 connections: 2 intervals, RITA needs 4 connections (3 intervals).
    { starts: [0, 60_000, 120_000], why: '3 connections and 2 intervals' },
    // 4 connections, but 0.5 s apart counts as one beat: 2 intervals of 1 s or more.
    { starts: [0, 500, 60_000, 120_000], why: '4 connections and 2 intervals' },
  ])('too few connections: $why', ({ starts, why }) => {
    const s = scoreBeacon({ starts, sizes: starts.map(() => 100), datasetStart: 0, datasetEnd: DAY });
    expect(s.score).toBe(0);
    expect(s.tooFew).toMatch(new RegExp(`^${why} of 1000 ms or more`));
  });

  it.each([
    // 64 B each time: skew 0 -> 1, MAD 0 -> 1, smallness 1 − 64/65535 = 0.999023;
    // (1 + 1 + 0.999023)/3 = 0.999674 -> 1.
    { name: 'constant small', sizes: [64, 64, 64, 64, 64, 64, 64], dataSize: 1 },
    // Doubling 100..6400: Q1 200, Q2 800, Q3 3200; skew (200 + 3200 − 1600)/3000 = 0.6 -> 0.4.
    // |x − 800| sorted 0 400 600 700 800 2400 5600 -> MAD 700 -> (800 − 700)/800 = 0.125.
    // Mode (all distinct) 100 -> smallness 0.998474. (0.4 + 0.125 + 0.998474)/3 = 0.507825 -> 0.508.
    { name: 'varying', sizes: [100, 200, 400, 800, 1600, 3200, 6400], dataSize: 0.508 },
    // 65,535 B each time: regular (1, 1) but not small (0): 2/3 -> 0.667.
    { name: 'constant large', sizes: [65535, 65535, 65535, 65535, 65535, 65535, 65535], dataSize: 0.667 },
  ])('data size: $name sizes score $dataSize', ({ sizes, dataSize }) => {
    const starts = sizes.map((_, i) => i * 60_000);
    expect(scoreBeacon({ starts, sizes, datasetStart: 0, datasetEnd: DAY }).dataSize).toBe(dataSize);
  });

  describe('a beacon with missing beats (what 1:N sampling leaves)', () => {
    // Intervals 60 120 180 240 120 300 60 180 240 120 60 360 s: every one a whole number of 60 s beats.
    // starts 0, 60, 180, 360, 600, 720, 1020, 1080, 1260, 1500, 1620, 1680, 2040 s; dataset 0..2040 s.
    // timestamp: sorted 60 60 60 120 120 120 | 180 180 240 240 300 360; Q1 = (60 + 120)/2 = 90,
    //   Q2 = (120 + 180)/2 = 150, Q3 = (240 + 240)/2 = 240; skew (90 + 240 − 300)/150 = 0.2 -> 0.8.
    //   |x − 150| sorted 30 30 30 30 30 90 90 90 90 90 150 210 -> MAD 90 -> (150 − 90)/150 = 0.4;
    //   (0.8 + 0.4)/2 = 0.6.
    // periodicity: candidate 120 s (the median position): 120 ×3, 240 ×2, 360 hit, 60/180/300 fall
    //   half-way -> 6/12 -> (0.5 − 0.2)/0.8 = 0.375; candidate 60 s: all 12 hit -> 1. Period
    //   Σinterval/Σbeats = 2040/34 = 60 s.
    // histogram: bins of 85 s: 2 0 1 0 1 0 0 1 1 0 0 0 2 0 1 0 0 1 0 2 0 0 0 1; Σc² = 19, mean
    //   0.541667, variance 19/24 − 0.293403 = 0.498264, CV 0.705878/0.541667 = 1.303 > 1 -> 0;
    //   10 bars < 11 -> 0.
    // duration: 10 bars; coverage 2040/2040 = 1.
    const starts = startsFrom([60, 120, 180, 240, 120, 300, 60, 180, 240, 120, 60, 360]);
    const series = { starts, sizes: starts.map(() => 500), datasetStart: 0, datasetEnd: 2_040_000 };

    it('unsampled: RITA timing only. 0.4 × 0.6 + 0.2 × 0.997 + 0.2 × 0 + 0.2 × 1 = 0.6394 -> 0.639', () => {
      const s = scoreBeacon(series);
      expect(subscores(s)).toEqual({ score: 0.639, timestamp: 0.6, periodicity: 1, dataSize: 0.997, histogram: 0, duration: 1 });
      expect(s.intervals.periodMs).toBe(150_000);
    });

    it('sampled: timing max(0.6, 1) = 1, data size left out; (0.4 × 1 + 0.2 × 0 + 0.2 × 1)/0.8 = 0.75', () => {
      const s = scoreBeacon({ ...series, sampled: true });
      expect(subscores(s)).toEqual({ score: 0.75, timestamp: 0.6, periodicity: 1, dataSize: 0.997, histogram: 0, duration: 1 });
      expect(s.timing).toBe(1);
      expect(s.intervals.periodMs).toBe(60_000);
    });
  });

  it('multiples check needs 10 intervals', () => {
    // 9 intervals of 60 s: RITA's timing is 1, the multiples check is not run.
    const starts = startsFrom(Array.from({ length: 9 }, () => 60));
    expect(scoreBeacon({ starts, sizes: starts.map(() => 1), datasetStart: 0, datasetEnd: DAY, sampled: true }).periodicity).toBe(0);
    expect(periodicity([60, 60, 60], 0.1)).toEqual({ score: 1, period: 60 });
  });
});

describe('timing floor', () => {
  it.each([
    // From 20 intervals: the configured floor.
    { n: 20, floor: 0.85 },
    { n: 300, floor: 0.85 },
    // 10 intervals: 0.85 + 0.15 × (1 − √0.5) = 0.85 + 0.15 × 0.292893 = 0.893934.
    { n: 10, floor: 0.893934 },
    // 5 intervals: 0.85 + 0.15 × (1 − 0.5) = 0.925.
    { n: 5, floor: 0.925 },
  ])('$n intervals need timing $floor', ({ n, floor }) => {
    expect(timingFloor(n, 0.85)).toBeCloseTo(floor, 6);
  });
});

describe('prevalence modifier', () => {
  // RITA's settings: +0.15 at <= 2% of the clients, −0.15 at >= 50%.
  const rita = { ...BEACON_SCORE_DEFAULTS.prevalence, rareIncrease: 0.15 };
  it.each([
    { clients: 1, total: 100, modifier: 0.15 },
    { clients: 2, total: 100, modifier: 0.15 },
    { clients: 10, total: 100, modifier: 0 },
    { clients: 50, total: 100, modifier: -0.15 },
    { clients: 100, total: 100, modifier: -0.15 },
    // Fewer than 10 clients in the window: a share says little, no modifier.
    { clients: 5, total: 9, modifier: 0 },
    { clients: 1, total: 1, modifier: 0 },
  ])('RITA: $clients of $total clients: $modifier', ({ clients, total, modifier }) => {
    expect(prevalenceModifier(clients, total, rita)).toBe(modifier);
  });

  it.each([
    // Vantage's default: no lift for rare servers (nearly every external server is rare).
    { clients: 1, total: 100, modifier: 0 },
    { clients: 50, total: 100, modifier: -0.15 },
  ])('Vantage default: $clients of $total clients: $modifier', ({ clients, total, modifier }) => {
    expect(prevalenceModifier(clients, total)).toBe(modifier);
  });
});
