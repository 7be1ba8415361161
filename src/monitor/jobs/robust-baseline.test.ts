import { describe, expect, it } from 'vitest';
import { judge, mad, median } from './robust-baseline.js';

describe('robust baseline', () => {
  it('median and MAD, worked by hand', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    // [1,2,3,4,100]: median 3; deviations [2,1,0,1,97] -> sorted [0,1,1,2,97], MAD 1.
    expect(mad([1, 2, 3, 4, 100])).toBe(1);
  });

  it('judges a value against history', () => {
    // history [100,102,98,101,99]: median 100, deviations [0,2,2,1,1] -> MAD 1, scaled 1.4826;
    // floor 0.1*100 = 10 wins, so with threshold 3.5 the range is 100 ± 35.
    const h = [100, 102, 98, 101, 99];
    expect(judge(h, 130, 3.5)).toEqual({ median: 100, low: 65, high: 135, anomalous: false });
    expect(judge(h, 136, 3.5).anomalous).toBe(true);
    expect(judge(h, 64, 3.5).anomalous).toBe(true);
    // A noisy history widens the range: [10,50,30,70,20]: median 30, deviations [20,20,0,40,10] -> MAD 20,
    // scale 29.652; threshold 2 -> 30 ± 59.304.
    const j = judge([10, 50, 30, 70, 20], 89, 2);
    expect(j.high).toBeCloseTo(89.304, 3);
    expect(j.anomalous).toBe(false);
    // Zero history values: the floor of 1 keeps 0 ± 3.5.
    expect(judge([0, 0, 0, 0, 0], 3, 3.5).anomalous).toBe(false);
    expect(judge([0, 0, 0, 0, 0], 4, 3.5).anomalous).toBe(true);
  });
});
