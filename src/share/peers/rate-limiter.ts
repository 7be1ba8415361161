// A per-caller request budget: at most `max` requests in any sliding window, so that one peer's
// token cannot sweep our store with sightings questions (each one is a few aggregations).

/** Limits of a {@link RateLimiter}. */
export interface RateLimiterOptions {
  /** Requests allowed per window. */
  readonly max: number;
  readonly windowMs: number;
  readonly now?: () => number;
}

/** Counts requests per key; `take` says whether one more is allowed now. */
export class RateLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(private readonly options: RateLimiterOptions) {}

  /**
   * Spends one request of the key's budget: 0 when allowed (and counted), else the
   * milliseconds until the oldest counted request leaves the window (not counted).
   */
  take(key: string): number {
    const now = (this.options.now ?? Date.now)();
    const recent = (this.hits.get(key) ?? []).filter((t) => now - t < this.options.windowMs);
    if (recent.length >= this.options.max) {
      this.hits.set(key, recent);
      return recent[recent.length - this.options.max]! + this.options.windowMs - now;
    }
    // Bounded memory: forget everyone when an unusual number of keys piles up.
    if (this.hits.size > 100_000) this.hits.clear();
    recent.push(now);
    this.hits.set(key, recent);
    return 0;
  }
}
