// The brute-force score: how many connections, how fast, and how small each one is (a login
// attempt exchanges a few kilobytes and ends).

/** Sub-scores, each 0..1. */
export interface BruteForceSubscores {
  /** min(1, log10(connections / 10) / 2): 10 connections score 0, 100 score 0.5, 1,000 and more 1. */
  readonly volume: number;
  /** min(1, per minute / 60): one attempt a second and faster count fully. */
  readonly rate: number;
  /** 1 when connections average at most the size of a login exchange, falling to 0 at ten times it. */
  readonly small: number;
  /** 1 when a threat indicator names the source. */
  readonly intel: number;
}

export function volumeScore(connections: number): number {
  return connections <= 10 ? 0 : Math.min(1, Math.log10(connections / 10) / 2);
}

export function rateScore(perMinute: number): number {
  return Math.min(1, Math.max(0, perMinute / 60));
}

export function smallScore(bytesPerConnection: number, loginBytes: number): number {
  if (bytesPerConnection <= loginBytes) return 1;
  return Math.max(0, 1 - (bytesPerConnection - loginBytes) / (9 * loginBytes));
}

/**
 * score = small · (1 − (1 − 0.5·volume)(1 − 0.5·rate)(1 − 0.5·intel)): big transfers are not
 * guessing; otherwise volume, speed and reputation add up.
 * Worked example: 67 connections in 12.8 s (314/min) of ~4 kB each to SSH with a 20 kB login
 * budget: volume log10(6.7)/2 = 0.413, rate 1, small 1, no intel:
 * 1 · (1 − (1 − 0.206)(0.5)(1)) = 1 − 0.397 = 0.603.
 */
export function bruteForceScore(s: BruteForceSubscores): number {
  return s.small * (1 - (1 - 0.5 * s.volume) * (1 - 0.5 * s.rate) * (1 - 0.5 * s.intel));
}
