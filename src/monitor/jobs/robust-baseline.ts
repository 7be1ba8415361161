// The expected response of a repeated query: the median of earlier answers and the median
// absolute deviation around it (scaled by 1.4826 so that it estimates a standard deviation for
// normal data), robust to the very outliers it is meant to catch.

/** Median of a non-empty list. */
export function median(values: readonly number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** Median absolute deviation from the median. */
export function mad(values: readonly number[]): number {
  const m = median(values);
  return median(values.map((v) => Math.abs(v - m)));
}

/** A judgement of one value against its history. */
export interface BaselineJudgement {
  readonly median: number;
  /** The expected range [low, high]. */
  readonly low: number;
  readonly high: number;
  readonly anomalous: boolean;
}

/**
 * Judges `value` against `history`: anomalous when it lies more than `threshold` scaled MADs from
 * the median. The scale has a floor (10% of the median, and 1) so a perfectly steady history
 * does not turn every small wobble into an anomaly.
 */
export function judge(history: readonly number[], value: number, threshold: number): BaselineJudgement {
  const m = median(history);
  const scale = Math.max(1.4826 * mad(history), 0.1 * Math.abs(m), 1);
  const low = m - threshold * scale;
  const high = m + threshold * scale;
  return { median: m, low, high, anomalous: value < low || value > high };
}
