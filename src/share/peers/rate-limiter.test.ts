// The sliding-window budget, worked by hand with a fake clock.

import { describe, expect, it } from 'vitest';
import { RateLimiter } from './rate-limiter.js';

describe('RateLimiter', () => {
  it('allows max requests per window per key, then says how long to wait', () => {
    let now = 1000;
    const limiter = new RateLimiter({ max: 3, windowMs: 60_000, now: () => now });
    expect([limiter.take('a'), limiter.take('a'), limiter.take('a')]).toEqual([0, 0, 0]);
    // Three at t=1000: the oldest leaves the window at 61000.
    expect(limiter.take('a')).toBe(60_000);
    expect(limiter.take('b')).toBe(0);
    now = 30_000;
    expect(limiter.take('a')).toBe(31_000);
    // Refused requests are not counted: at 61000 the three from t=1000 have all left.
    now = 61_000;
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(60_000);
  });
});
