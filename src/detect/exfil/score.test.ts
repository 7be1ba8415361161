import { describe, expect, it } from 'vitest';
import { asymmetryScore, exfilScore, rarityScore, volumeScore } from './score.js';

describe('exfil score', () => {
  it.each([
    // [sent, minBytes, volume]: log10 steps over minBytes, two decades to full.
    [10_000_000, 10_000_000, 0],
    [100_000_000, 10_000_000, 0.5],
    [1_000_000_000, 10_000_000, 1],
    [5_000_000_000, 10_000_000, 1],
    [43_778_990, 10_000_000, 0.32063],
  ])('volume of %d over %d = %d', (sent, min, expected) => {
    expect(volumeScore(sent, min)).toBeCloseTo(expected, 5);
  });

  it.each([
    [2, 1, 0], // 2:1 is where it starts
    [1, 1, 0],
    [1, 0, 1],
    [9, 1, 0.7], // share 0.9 -> (0.9 - 0.6667) * 3
    [43_778_990, 780_005, 0.94749],
  ])('asymmetry of %d sent, %d received = %d', (sent, received, expected) => {
    expect(asymmetryScore(sent, received)).toBeCloseTo(expected, 4);
  });

  it('rarity and the blend, worked by hand', () => {
    expect([rarityScore(1), rarityScore(4)]).toEqual([1, 0.25]);
    // AndroidTester (score.ts): 0.66032 * 0.94749 * 1 * 1 = 0.6256.
    expect(exfilScore({ volume: 0.32063, asymmetry: 0.94749, port: 1, rarity: 1 })).toBeCloseTo(0.6256, 4);
    // The same upload to port 443 used by 4 of our hosts: 0.66032 * 0.94749 * 0.4 * 0.625 = 0.1564.
    expect(exfilScore({ volume: 0.32063, asymmetry: 0.94749, port: 0.4, rarity: 0.25 })).toBeCloseTo(0.1564, 4);
  });
});
