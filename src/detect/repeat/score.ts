// The repeat-attacker score: how many distinct days the source came back, how hard it pushed,
// and whether intelligence already names it.

/** Sub-scores, each 0..1. */
export interface RepeatSubscores {
  /** min(1, (days − 1) / 4): two days score 0.25, five days and more 1. */
  readonly days: number;
  /** min(1, log10(probes) / 3): 1,000 failed attempts and more count fully. */
  readonly intensity: number;
  readonly intel: number;
}

export function daysScore(days: number): number {
  return Math.min(1, Math.max(0, (days - 1) / 4));
}

export function intensityScore(probes: number): number {
  return probes <= 1 ? 0 : Math.min(1, Math.log10(probes) / 3);
}

/**
 * score = 0.5 + 0.5 · (1 − (1 − days)(1 − 0.5·intensity)(1 − 0.5·intel)): coming back on a
 * second day is itself the finding (0.5 at least); more days, more attempts and intelligence
 * push it up.
 * Worked example: 2 days, 213 failed attempts, named by ipsum: days 0.25, intensity
 * log10(213)/3 = 0.776, intel 1: 0.5 + 0.5·(1 − 0.75·0.612·0.5) = 0.5 + 0.5·0.7705 = 0.885.
 */
export function repeatScore(s: RepeatSubscores): number {
  return 0.5 + 0.5 * (1 - (1 - s.days) * (1 - 0.5 * s.intensity) * (1 - 0.5 * s.intel));
}
