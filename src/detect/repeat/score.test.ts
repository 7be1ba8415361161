import { describe, expect, it } from 'vitest';
import { roundScore } from '../finding.js';
import { daysScore, intensityScore, repeatScore } from './score.js';

describe('repeatScore', () => {
  it('sub-scores', () => {
    expect(daysScore(2)).toBe(0.25);
    expect(daysScore(5)).toBe(1);
    expect(intensityScore(1000)).toBe(1);
    expect(intensityScore(10)).toBeCloseTo(1 / 3, 12);
  });
  it('a second day is a finding on its own (0.5 at least)', () => {
    expect(repeatScore({ days: daysScore(2), intensity: 0, intel: 0 })).toBeCloseTo(0.5 + 0.5 * 0.25, 12);
  });
  it('worked example: 2 days, 213 attempts, named by ipsum', () => {
    // 0.5 + 0.5·(1 − 0.75·(1 − 0.5·0.776)·0.5) = 0.5 + 0.5·(1 − 0.2295) = 0.885
    expect(roundScore(repeatScore({ days: 0.25, intensity: intensityScore(213), intel: 1 }))).toBe(0.885);
  });
});
