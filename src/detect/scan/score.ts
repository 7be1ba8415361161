// The scan score: how broad the sweep is, what the sequential test says about the source's
// failures, and whether intelligence already names the source a scanner or attacker.

/** The sub-scores of one scan finding, each 0..1. */
export interface ScanSubscores {
  /** log2(targets) / log2(saturation): 2 targets score 0.1, 1,024 and more score 1 (saturation 1,024). */
  readonly breadth: number;
  /** Share of the targets attempted (on that port, of that host) that failed. */
  readonly failure: number;
  /** Threshold Random Walk: 1 when it declared a scanner. */
  readonly trw: number;
  /** 1 when a threat indicator names the source. */
  readonly intel: number;
}

/** Breadth from a count of distinct targets (hosts, ports or host:port pairs). */
export function breadthScore(targets: number, saturation = 1024): number {
  if (targets <= 1) return 0;
  return Math.min(1, Math.log2(targets) / Math.log2(saturation));
}

/**
 * Combines the sub-scores as independent pieces of evidence: each removes part of the doubt
 * left by the others. score = 1 − (1 − 0.6·breadth)(1 − 0.6·failure)(1 − 0.5·trw)(1 − 0.5·intel).
 * Worked examples:
 * - 10 hosts unanswered on port 80 out of 20 tried, TRW undecided at 0.6, no intel:
 *   breadth log2 10 / 10 = 0.332; 1 − (1 − 0.199)(1 − 0.3)(1 − 0.3)(1) = 1 − 0.801·0.7·0.7 = 0.608.
 * - a web client with 10 failures among 500 servers on 443, TRW benign (0): breadth 0.332,
 *   failure 0.02: 1 − 0.801·0.988·1·1 = 0.209 (not reported at the default minScore 0.4).
 * - 1,000 ports of one host all failing, TRW scanner, no intel: breadth log2 1000 / 10 = 0.997;
 *   1 − (1 − 0.598)(1 − 0.6)(0.5)(1) = 1 − 0.402·0.4·0.5 = 0.920.
 * Breadth and failure alone reach at most 1 − 0.4·0.4 = 0.84; intel lifts any score.
 */
export function scanScore(s: ScanSubscores): number {
  return 1 - (1 - 0.6 * s.breadth) * (1 - 0.6 * s.failure) * (1 - 0.5 * s.trw) * (1 - 0.5 * s.intel);
}
