// Threshold Random Walk (Jung, Paxson, Berger, Balakrishnan, "Fast Portscan Detection", 2004):
// a sequential hypothesis test over a source's first contacts with distinct hosts. Benign hosts
// mostly reach what they contact; scanners mostly fail. Each outcome multiplies the likelihood
// ratio; crossing the upper threshold declares a scanner, the lower one a benign host (after
// which the walk restarts, so a host that turns to scanning later is still caught).

/** The test's parameters, with the paper's values as defaults. */
export interface TrwParameters {
  /** P(success | benign). */
  readonly theta0: number;
  /** P(success | scanner). */
  readonly theta1: number;
  /** Target detection probability. */
  readonly detection: number;
  /** Target false-positive probability. */
  readonly falsePositive: number;
}

export const TRW_DEFAULTS: TrwParameters = { theta0: 0.8, theta1: 0.2, detection: 0.99, falsePositive: 0.01 };

/** The walk's outcome. */
export interface TrwResult {
  /** True once the ratio reached the scanner threshold. */
  readonly scanner: boolean;
  /** Contacts examined until the decision (or all of them). */
  readonly contacts: number;
  readonly failures: number;
  /** Highest likelihood ratio reached. */
  readonly maxRatio: number;
  /** 0..1: 1 when declared a scanner, else how far (in log space) the walk got towards it. */
  readonly score: number;
}

/**
 * Runs the walk over first-contact outcomes in time order (true = the host answered).
 * Worked example with the defaults: the upper threshold is 0.99/0.01 = 99; each failure
 * multiplies by (1-0.2)/(1-0.8) = 4 and each success by 0.2/0.8 = 0.25; so four straight failures
 * give 4^4 = 256 >= 99 (scanner), while F,F,S,F,F gives 4·4·0.25·4·4 = 64 < 99 (undecided,
 * score ln 64 / ln 99 = 0.905).
 */
export function thresholdRandomWalk(outcomes: readonly boolean[], p: TrwParameters = TRW_DEFAULTS): TrwResult {
  const upper = p.detection / p.falsePositive;
  const lower = (1 - p.detection) / (1 - p.falsePositive);
  const onSuccess = p.theta1 / p.theta0;
  const onFailure = (1 - p.theta1) / (1 - p.theta0);
  let ratio = 1;
  let maxRatio = 1;
  let failures = 0;
  let n = 0;
  for (const ok of outcomes) {
    n++;
    if (!ok) failures++;
    ratio *= ok ? onSuccess : onFailure;
    if (ratio > maxRatio) maxRatio = ratio;
    if (ratio >= upper) return { scanner: true, contacts: n, failures, maxRatio: ratio, score: 1 };
    if (ratio <= lower) ratio = 1;
  }
  const score = maxRatio <= 1 ? 0 : Math.min(1, Math.log(maxRatio) / Math.log(upper));
  return { scanner: false, contacts: n, failures, maxRatio, score };
}
