import { describe, expect, it } from 'vitest';
import { roundScore } from '../finding.js';
import { bruteForceScore, rateScore, smallScore, volumeScore } from './score.js';

describe('bruteForceScore', () => {
  it('sub-scores', () => {
    expect(volumeScore(10)).toBe(0);
    expect(volumeScore(100)).toBeCloseTo(0.5, 12);
    expect(volumeScore(5000)).toBe(1);
    expect(rateScore(30)).toBe(0.5);
    expect(rateScore(600)).toBe(1);
    expect(smallScore(4000, 20_000)).toBe(1);
    // 10x the login budget and beyond is a transfer, not a guess
    expect(smallScore(200_000, 20_000)).toBe(0);
    expect(smallScore(110_000, 20_000)).toBe(0.5);
  });
  it('worked example: 67 connections in 12.8 s of ~4 kB each', () => {
    // volume log10(6.7)/2 = 0.413, rate 1, small 1: 1 − (1 − 0.2065)(0.5) = 0.603
    expect(roundScore(bruteForceScore({ volume: volumeScore(67), rate: rateScore(67 / (12.8 / 60)), small: 1, intel: 0 }))).toBe(0.603);
  });
});
