import { describe, expect, it } from 'vitest';
import { roundScore } from '../finding.js';
import { c2Score, persistenceScore, volumeScore } from './score.js';

describe('c2Score', () => {
  it('volume is log10(bytes)/5 and persistence log2(flows)/6, both capped at 1', () => {
    expect(volumeScore(100_000)).toBe(1);
    expect(volumeScore(1000)).toBeCloseTo(0.6, 12);
    expect(persistenceScore(1)).toBe(0);
    expect(persistenceScore(64)).toBe(1);
    expect(persistenceScore(8)).toBeCloseTo(0.5, 12);
  });
  it('worked examples of the doc comment', () => {
    // 0.9 · 1 · (0.6 + 0.25·0.895 + 0.15·0.264) = 0.9 · 0.8634 = 0.777
    expect(roundScore(c2Score({ intel: 0.9, direction: 1, volume: volumeScore(30_000), persistence: persistenceScore(3) }))).toBe(0.777);
    // 0.9 · 0.5 · (0.6 + 0.25·0.356) = 0.45 · 0.689 = 0.310
    expect(roundScore(c2Score({ intel: 0.9, direction: 0.5, volume: volumeScore(60), persistence: 0 }))).toBe(0.31);
  });
});
