// The scan score: how broad the sweep is, what the sequential test says about the source's
// failures, and whether intelligence already names the source a scanner or attacker.

/** The sub-scores of one scan finding, each 0..1. */
export interface ScanSubscores {
  /** Probes per hour over the sweep's span: min(1, log10(per hour) / 3); 1,000 an hour and faster count fully. */
  readonly rate: number;
  /** log2(targets) / log2(saturation): 2 targets score 0.1, 1,024 and more score 1 (saturation 1,024). */
  readonly breadth: number;
  /** Share of the targets attempted (on that port, of that host) that failed. */
  readonly failure: number;
  /** Threshold Random Walk: 1 when it declared a scanner. */
  readonly trw: number;
  /** 1 when a threat indicator names the source. */
  readonly intel: number;
}

/** Rate from the probes and the span they took (ms); a burst shorter than a second counts as a second. */
export function rateScore(probes: number, spanMs: number): number {
  const perHour = probes / (Math.max(spanMs, 1000) / 3_600_000);
  return perHour <= 1 ? 0 : Math.min(1, Math.log10(perHour) / 3);
}

/** Breadth from a count of distinct targets (hosts, ports or host:port pairs). */
export function breadthScore(targets: number, saturation = 1024): number {
  if (targets <= 1) return 0;
  return Math.min(1, Math.log2(targets) / Math.log2(saturation));
}

/**
 * Combines the sub-scores as independent pieces of evidence, each removing part of the doubt
 * left by the others, then weighs the result by the sweep's speed: the internet's slow
 * background probing (a probe an hour) keeps 0.6 of its score, a tool sweeping a thousand
 * targets an hour all of it.
 * score = (1 − (1 − 0.6·breadth)(1 − 0.6·failure)(1 − 0.5·trw)(1 − 0.5·intel)) · (0.6 + 0.4·rate).
 * Worked examples:
 * - 10 hosts unanswered on port 80 out of 20 tried in 10 s (3,600/h: rate 1), TRW undecided at
 *   0.6, no intel: breadth log2 10 / 10 = 0.332; 1 − (1 − 0.199)(1 − 0.3)(1 − 0.3)(1) = 0.608.
 * - a web client with 10 failures among 500 servers over a day (rate log10(10/24·… ) ≈ 0),
 *   TRW benign: 1 − 0.801·0.988 = 0.209, times 0.6 = 0.125 (not reported at minScore 0.4).
 * - 1,000 ports of one host in 5 s, all failing, TRW scanner: breadth 0.997;
 *   1 − 0.402·0.4·0.5 = 0.920.
 * - 27 hosts on 14 ports over 22 hours (1.2 an hour: rate 0.030), all failing, TRW scanner:
 *   1 − (1 − 0.6·0.476)(0.4)(0.5) = 0.857, times 0.6 + 0.4·0.030 = 0.612: 0.524 (low).
 */
export function scanScore(s: ScanSubscores): number {
  const evidence = 1 - (1 - 0.6 * s.breadth) * (1 - 0.6 * s.failure) * (1 - 0.5 * s.trw) * (1 - 0.5 * s.intel);
  return evidence * (0.6 + 0.4 * s.rate);
}
