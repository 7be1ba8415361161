import { describe, expect, it } from 'vitest';
import { roundScore } from '../finding.js';
import { breadthScore, rateScore, scanScore } from './score.js';
import { thresholdRandomWalk } from './trw.js';

describe('thresholdRandomWalk (Jung et al. 2004, θ0 = 0.8, θ1 = 0.2, PD = 0.99, PF = 0.01)', () => {
  it('declares a scanner after four straight failures: 4^4 = 256 >= 99', () => {
    const r = thresholdRandomWalk([false, false, false, false, false]);
    expect(r).toMatchObject({ scanner: true, contacts: 4, failures: 4, score: 1 });
    expect(r.maxRatio).toBeCloseTo(256, 9);
  });
  it('F,F,S,F,F peaks at 4·4·0.25·4·4 = 64 < 99: undecided, score ln 64 / ln 99', () => {
    const r = thresholdRandomWalk([false, false, true, false, false]);
    expect(r.scanner).toBe(false);
    expect(r.maxRatio).toBeCloseTo(64, 9);
    expect(r.score).toBeCloseTo(Math.log(64) / Math.log(99), 9);
  });
  it('a benign host (successes) restarts the walk below 0.0101 and never climbs', () => {
    // S,S,S,S: 0.25^4 = 0.0039 <= 0.0101, restart at 1; max stays 1, so the score is 0.
    const r = thresholdRandomWalk([true, true, true, true, true, true]);
    expect(r).toMatchObject({ scanner: false, maxRatio: 1, score: 0 });
  });
  it('a scan after benign history is still caught (the walk restarts after a benign decision)', () => {
    expect(thresholdRandomWalk([true, true, true, true, false, false, false, false]).scanner).toBe(true);
  });
});

describe('scanScore', () => {
  it('breadth is log2(targets)/10, saturating at 1,024 targets', () => {
    expect(breadthScore(1)).toBe(0);
    expect(breadthScore(2)).toBeCloseTo(0.1, 12);
    expect(breadthScore(1024)).toBe(1);
    expect(breadthScore(65536)).toBe(1);
  });
  it('rate is log10(probes per hour)/3, a sub-second burst counting as one second', () => {
    expect(rateScore(10, 10_000)).toBe(1); // 3,600 an hour
    expect(rateScore(1, 3_600_000)).toBe(0); // one an hour
    expect(rateScore(100, 3_600_000)).toBeCloseTo(2 / 3, 12);
    expect(rateScore(5, 0)).toBe(1); // 18,000 an hour
  });
  it('worked examples of the doc comment', () => {
    // 10 hosts failed of 20 tried in 10 s, TRW 0.6: (1 − 0.801·0.7·0.7) · (0.6 + 0.4·1)
    expect(roundScore(scanScore({ rate: 1, breadth: 0.332, failure: 0.5, trw: 0.6, intel: 0 }))).toBe(0.608);
    // a web client over a day: 10 failures among 500 servers, TRW benign: (1 − 0.801·0.988) · 0.6
    expect(roundScore(scanScore({ rate: 0, breadth: 0.332, failure: 0.02, trw: 0, intel: 0 }))).toBe(0.125);
    // 1,000 ports in 5 s all failing, TRW scanner: 1 − (1 − 0.598)(0.4)(0.5)
    expect(roundScore(scanScore({ rate: 1, breadth: breadthScore(1000), failure: 1, trw: 1, intel: 0 }))).toBe(0.92);
    // intelligence lifts it: 1 − 0.402·0.4·0.5·0.5
    expect(roundScore(scanScore({ rate: 1, breadth: breadthScore(1000), failure: 1, trw: 1, intel: 1 }))).toBe(0.96);
    // the internet's background: 27 hosts over 22 h, TRW scanner: 0.857 · (0.6 + 0.4·0.0296)
    // breadth log2 27 / 10 = 0.4755; 1 − (1 − 0.2853)(0.4)(0.5) = 0.8571; rate log10(27/22 per hour)/3
    // = 0.0296, so 0.6 + 0.4·0.0296 = 0.6119; 0.8571 · 0.6119 = 0.524.
    expect(roundScore(scanScore({ rate: rateScore(27, 22 * 3_600_000), breadth: breadthScore(27), failure: 1, trw: 1, intel: 0 }))).toBe(0.524);
  });
});
