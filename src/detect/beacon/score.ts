// The beacon score of one client-server pair, after RITA (activecm/rita v5, analysis/beacons.go):
// timestamp regularity (Bowley skew + median absolute deviation of the inter-arrival times),
// data-size regularity (the same two, plus smallness as in RITA's earlier releases), the
// connection histogram (how evenly the connections spread over the window) and the duration
// (how much of the window the pair covers), blended with weights; prevalence as a modifier.
// Vantage's departures, each explained where it is made: weights favouring timing, the skew of a
// tight spread ignored, a multiples check standing in for timing when packet sampling drops
// beats, a timing floor that rises for few intervals, no lift for rare servers. Pure: no I/O.

/** Score settings. Defaults (`BEACON_SCORE_DEFAULTS`) are RITA's unless noted. */
export interface BeaconScoreOptions {
  /**
   * Blend weights of the four sub-scores; they sum to 1. RITA weighs them 0.25 each; Vantage gives
   * timing 0.4 and the others 0.2, because with equal weights a chatty service reached at random
   * all day (flat histogram, full duration) already scores 0.5 from those two alone.
   */
  readonly weights: { readonly timestamp: number; readonly dataSize: number; readonly histogram: number; readonly duration: number };
  /** Bins the dataset span is cut into for the histogram (RITA: 24, hours of a day). */
  readonly histogramBins: number;
  /** Bins with connections needed before the duration score counts (RITA: 6). */
  readonly durationMinBins: number;
  /** A run of this many consecutive bins with connections scores a full consistency (RITA: 12). */
  readonly durationIdealBins: number;
  /** Bars within this share of the tallest fall into one mode of the bimodal fit (RITA: 0.05). */
  readonly modeSensitivity: number;
  /** Bars the bimodal fit may leave out as outliers (RITA: 1). */
  readonly bimodalOutlierRemoval: number;
  /** Bins with connections needed before the bimodal fit applies (RITA: 11). */
  readonly bimodalMinBins: number;
  /**
   * Intervals shorter than this are the same beat and are left out of the interval statistics:
   * RITA's timestamps are whole seconds, so its "zero intervals" are those under a second.
   */
  readonly minIntervalMs: number;
  /** Bowley skew counts only when the quartile spread reaches this share of the median (Vantage; RITA: 0). */
  readonly skewMinRelativeSpread: number;
  /** Multiples check: an interval within this share of the period of a whole number of periods is a hit (Vantage). */
  readonly periodTolerance: number;
  /** The multiples check needs this many intervals: with fewer, chance alignments dominate (Vantage). */
  readonly periodMinIntervals: number;
  /**
   * Prevalence modifier: `rareIncrease` added when at most `rareShare` of the clients talk to the
   * server (RITA: +0.15 at 2%; Vantage: 0, because in a network of thousands of hosts nearly every
   * external server is that rare, so it lifted random pairs and beacons alike)...
   */
  readonly prevalence: {
    readonly rareShare: number;
    readonly rareIncrease: number;
    /** ...subtracted when at least `commonShare` of them do. */
    readonly commonShare: number;
    readonly commonDecrease: number;
    /** Below this many clients in the window a share means little, and no modifier applies (Vantage). */
    readonly minClients: number;
  };
}

/** RITA v5's default scoring settings, with Vantage's changes and additions (each noted above). */
export const BEACON_SCORE_DEFAULTS: BeaconScoreOptions = {
  weights: { timestamp: 0.4, dataSize: 0.2, histogram: 0.2, duration: 0.2 },
  histogramBins: 24,
  durationMinBins: 6,
  durationIdealBins: 12,
  modeSensitivity: 0.05,
  bimodalOutlierRemoval: 1,
  bimodalMinBins: 11,
  minIntervalMs: 1000,
  skewMinRelativeSpread: 0.2,
  periodTolerance: 0.1,
  periodMinIntervals: 10,
  prevalence: { rareShare: 0.02, rareIncrease: 0, commonShare: 0.5, commonDecrease: 0.15, minClients: 10 },
};

/** One pair's connections and the span of the dataset they were drawn from. */
export interface BeaconSeries {
  /** Connection start times, epoch ms, sorted ascending. */
  readonly starts: readonly number[];
  /** Bytes per connection (any order). */
  readonly sizes: readonly number[];
  /** First and last flow start of the whole window's data (RITA's dataset min and max timestamps), ms. */
  readonly datasetStart: number;
  readonly datasetEnd: number;
  /**
   * True when the pair's flows come from 1:N packet sampling (N > 1): beats go missing at random,
   * so the timing score becomes the better of RITA's and the multiples check; and a connection's
   * size is an estimate from the few packets sampled (times N), whose spread measures the sampling
   * rather than the beacon, so the data-size score is shown but left out of the blend (the other
   * weights are scaled up to sum to 1).
   */
  readonly sampled?: boolean;
}

/** The scores of one pair and the statistics behind them. */
export interface BeaconScore {
  /** Weighted blend of timing, dataSize (unsampled only), histogram, duration (0..1, 3 decimals), before prevalence. */
  readonly score: number;
  /** RITA's timestamp score: (skew score + MADM score) / 2 over the intervals. */
  readonly timestamp: number;
  /** Share of intervals that are whole multiples of the period, above chance (0..1). */
  readonly periodicity: number;
  /** What the blend uses for timing: max(timestamp, periodicity) for sampled pairs, else timestamp. */
  readonly timing: number;
  readonly dataSize: number;
  readonly histogram: number;
  readonly duration: number;
  readonly intervals: {
    /** Intervals kept (at least `minIntervalMs`). */
    readonly count: number;
    readonly medianMs: number;
    /** The shortest interval kept (null when none). */
    readonly minMs: number | null;
    /** The beat: the multiples check's for a sampled pair where it beats RITA's timing, else the median interval. */
    readonly periodMs: number;
    readonly skew: number;
    readonly madMs: number;
  };
  readonly sizes: { readonly median: number; readonly mode: number; readonly mad: number; readonly skew: number; readonly smallness: number };
  readonly bins: { readonly counts: readonly number[]; readonly cv: number; readonly bimodal: number; readonly coverage: number; readonly consistency: number };
  /** Set when the pair has too few connections or intervals to score its timing. */
  readonly tooFew?: string;
}

/** Rounds to 3 decimals, as RITA does for each sub-score. */
export function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** Median of sorted values (mean of the middle two for an even count). */
export function median(sorted: readonly number[]): number {
  const n = sorted.length;
  if (n === 0) return Number.NaN;
  const m = n >> 1;
  return n % 2 === 1 ? sorted[m]! : (sorted[m - 1]! + sorted[m]!) / 2;
}

/**
 * Quartiles as RITA computes them (montanaflynn/stats `Quartile`): Q2 the median; Q1 and Q3 the
 * medians of the lower and upper halves, which leave the middle element out for an odd count.
 */
export function quartiles(sorted: readonly number[]): { q1: number; q2: number; q3: number } {
  const n = sorted.length;
  const c1 = n % 2 === 0 ? n / 2 : (n - 1) / 2;
  const c2 = n % 2 === 0 ? n / 2 : c1 + 1;
  return { q1: median(sorted.slice(0, c1)), q2: median(sorted), q3: median(sorted.slice(c2)) };
}

/**
 * Bowley skewness (Q1 + Q3 − 2·Q2) / (Q3 − Q1) and its score 1 − |skew|. As in RITA the skew is
 * taken as 0 when the median equals a quartile, or when the quartile spread is under 10 (seconds
 * or bytes); Vantage also when the spread is under `relativeSpread` of the median (default 0.2):
 * the middle half of the values then lies within a fifth of the typical value, regular whatever
 * its shape, and the skew of a handful of hourly intervals jittered by a few minutes is noise (RITA's
 * absolute 10 s was set for its whole-second timestamps and fast beacons). Needs 3 values or more.
 */
export function bowley(sorted: readonly number[], relativeSpread = 0): { skew: number; score: number } {
  const { q1, q2, q3 } = quartiles(sorted);
  const den = q3 - q1;
  const skew = den >= 10 && den >= relativeSpread * q2 && q2 !== q1 && q2 !== q3 ? (q1 + q3 - 2 * q2) / den : 0;
  return { skew, score: 1 - Math.abs(skew) };
}

/**
 * Median absolute deviation about the median, and RITA's score (median − MAD) / median, floored
 * at 0; `whenTiny` when the median is under 1 (RITA: 1 for intervals, 0 for sizes).
 */
export function madm(sorted: readonly number[], whenTiny: number): { mad: number; score: number } {
  const m = median(sorted);
  const dev = sorted.map((v) => Math.abs(v - m)).sort((a, b) => a - b);
  const mad = median(dev);
  let score = m >= 1 ? (m - mad) / m : whenTiny;
  if (!(score >= 0)) score = 0;
  return { mad, score };
}

/** The most frequent value of sorted values; the smallest among equals (as RITA's distinct counts). */
export function mode(sorted: readonly number[]): number {
  let best = sorted[0]!;
  let bestCount = 0;
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j < sorted.length && sorted[j] === sorted[i]) j++;
    if (j - i > bestCount) {
      bestCount = j - i;
      best = sorted[i]!;
    }
    i = j;
  }
  return best;
}

/** Connection counts per bin of `bins` equal bins over [start, end]; the end falls in the last bin. */
export function connectionHistogram(starts: readonly number[], start: number, end: number, bins: number): number[] {
  const counts = new Array<number>(bins).fill(0);
  const step = (end - start) / bins;
  for (const t of starts) {
    const i = step > 0 ? Math.floor((t - start) / step) : 0;
    counts[Math.min(bins - 1, Math.max(0, i))]!++;
  }
  return counts;
}

/**
 * RITA's histogram score: the higher of (a) 1 − coefficient of variation of the bin counts
 * (0 when the CV exceeds 1) and (b) the bimodal fit: bars grouped into modes of width
 * ceil(tallest × sensitivity), the two commonest modes' share of the bars (one outlier bar
 * forgiven), once at least `bimodalMinBins` bins have connections. Also returns the bars seen
 * and the longest run of consecutive bins with connections (wrapping around the end).
 */
export function histogramScore(counts: readonly number[], o: Pick<BeaconScoreOptions, 'modeSensitivity' | 'bimodalOutlierRemoval' | 'bimodalMinBins'>) {
  const n = counts.length;
  const total = counts.reduce((a, b) => a + b, 0);
  let bars = 0;
  let tallest = 0;
  for (const c of counts) {
    if (c > 0) bars++;
    tallest = Math.max(tallest, c);
  }
  let longestRun = 0;
  let run = 0;
  for (let i = 0; i < 2 * n; i++) {
    if (counts[i % n]! > 0) run++;
    else {
      longestRun = Math.max(longestRun, run);
      run = 0;
    }
  }
  longestRun = Math.min(n, Math.max(longestRun, run));
  if (total === 0) return { score: 0, cv: 0, bimodal: 0, bars, longestRun };

  const mean = total / n;
  const sd = Math.sqrt(counts.reduce((a, c) => a + (c - mean) ** 2, 0) / n);
  const cvRaw = sd / mean;
  const cv = cvRaw > 1 ? 0 : round3(1 - cvRaw);

  let bimodal = 0;
  if (bars >= Math.max(o.bimodalMinBins, 1)) {
    const width = Math.ceil(tallest * o.modeSensitivity);
    const modes = new Map<number, number>();
    for (const c of counts) {
      if (c <= 0) continue;
      const key = width > 0 ? Math.floor(c / width) * width : c;
      modes.set(key, (modes.get(key) ?? 0) + 1);
    }
    const [first = 0, second = 0] = [...modes.values()].sort((a, b) => b - a);
    bimodal = Math.min(1, round3((first + second) / Math.max(bars - o.bimodalOutlierRemoval, 1)));
  }
  return { score: Math.max(cv, bimodal), cv: cvRaw, bimodal, bars, longestRun };
}

/**
 * RITA's duration score, once `durationMinBins` bins have connections: the higher of coverage
 * (the pair's first-to-last span over the dataset span) and consistency (the longest run of
 * consecutive bins over `durationIdealBins`), each rounded up to 3 decimals and capped at 1.
 */
export function durationScore(
  first: number,
  last: number,
  datasetStart: number,
  datasetEnd: number,
  bars: number,
  longestRun: number,
  o: Pick<BeaconScoreOptions, 'durationMinBins' | 'durationIdealBins'>,
): { score: number; coverage: number; consistency: number } {
  if (bars < o.durationMinBins || datasetEnd <= datasetStart) return { score: 0, coverage: 0, consistency: 0 };
  const coverage = Math.min(1, Math.ceil(((last - first) / (datasetEnd - datasetStart)) * 1000) / 1000);
  const consistency = Math.min(1, Math.ceil((longestRun / o.durationIdealBins) * 1000) / 1000);
  return { score: Math.max(coverage, consistency), coverage, consistency };
}

/**
 * The multiples check (Vantage, not RITA): a beacon whose beats are partly missing (1:N packet
 * sampling drops short connections; a laptop sleeps) shows intervals of 1, 2, 3... periods, which
 * RITA's dispersion reads as noise. Candidate periods are low quantiles of the intervals (the
 * shortest common interval is one beat: under random loss a gap of one beat is always the most
 * likely); an interval is a hit when it lies within `tolerance` periods of a whole number of
 * periods. hits/n is rescaled so that chance (2·tolerance for intervals spread at random) scores 0:
 * score = max(0, (hits/n − 2·tol) / (1 − 2·tol)). The period is then refined as Σinterval / Σbeats
 * over the hits. Returns the best candidate (the longer period on ties).
 */
export function periodicity(sorted: readonly number[], tolerance: number): { score: number; period: number } {
  const n = sorted.length;
  if (n === 0) return { score: 0, period: 0 };
  const chance = 2 * tolerance;
  let best = { score: -1, period: 0 };
  const tried = new Set<number>();
  for (const q of [0.5, 0.25, 0.1, 0.05, 0]) {
    const p = sorted[Math.floor(q * (n - 1))]!;
    if (!(p > 0) || tried.has(p)) continue;
    tried.add(p);
    let hits = 0;
    let sumI = 0;
    let sumK = 0;
    for (const i of sorted) {
      const k = Math.round(i / p);
      if (k >= 1 && Math.abs(i / p - k) <= tolerance) {
        hits++;
        sumI += i;
        sumK += k;
      }
    }
    const score = Math.min(1, Math.max(0, (hits / n - chance) / (1 - chance)));
    // Quantiles come longest first: a shorter period must do strictly better (half a period
    // also divides every multiple of the true one).
    if (score > best.score) best = { score, period: sumK > 0 ? sumI / sumK : p };
  }
  return best.score < 0 ? { score: 0, period: 0 } : { score: round3(best.score), period: best.period };
}

/** The full score of one pair. */
export function scoreBeacon(series: BeaconSeries, o: BeaconScoreOptions = BEACON_SCORE_DEFAULTS): BeaconScore {
  const { starts, datasetStart, datasetEnd } = series;
  const sizes = [...series.sizes].sort((a, b) => a - b);

  // Intervals in seconds, as RITA's whole-second timestamps give them; sub-second gaps are one beat.
  const intervals: number[] = [];
  for (let i = 1; i < starts.length; i++) {
    const d = starts[i]! - starts[i - 1]!;
    if (d >= o.minIntervalMs) intervals.push(d / 1000);
  }
  intervals.sort((a, b) => a - b);

  let tooFew: string | undefined;
  let timestamp = 0;
  let tsSkew = 0;
  let tsMad = 0;
  let period = { score: 0, period: 0 };
  if (starts.length < 4 || intervals.length < 3) {
    tooFew = `${starts.length} connections and ${intervals.length} intervals of ${o.minIntervalMs} ms or more (needs 4 and 3)`;
  } else {
    const skew = bowley(intervals, o.skewMinRelativeSpread);
    const mad = madm(intervals, 1);
    timestamp = round3((skew.score + mad.score) / 2);
    tsSkew = skew.skew;
    tsMad = mad.mad;
    if (intervals.length >= o.periodMinIntervals) period = periodicity(intervals, o.periodTolerance);
  }
  const medianInterval = intervals.length > 0 ? median(intervals) : 0;

  let dataSize = 0;
  let ds = { median: 0, mode: 0, mad: 0, skew: 0, smallness: 0 };
  if (sizes.length >= 3) {
    const skew = bowley(sizes, o.skewMinRelativeSpread);
    const mad = madm(sizes, 0);
    const m = mode(sizes);
    // RITA 4 (legacy) smallness: small heartbeats are the C2 shape; 65,535 bytes scores 0.
    const smallness = Math.max(0, 1 - m / 65535);
    dataSize = round3((skew.score + mad.score + smallness) / 3);
    ds = { median: median(sizes), mode: m, mad: mad.mad, skew: skew.skew, smallness };
  }

  const counts = starts.length > 0 ? connectionHistogram(starts, datasetStart, datasetEnd, o.histogramBins) : new Array<number>(o.histogramBins).fill(0);
  const hist = histogramScore(counts, o);
  const dur = starts.length > 1 ? durationScore(starts[0]!, starts[starts.length - 1]!, datasetStart, datasetEnd, hist.bars, hist.longestRun, o) : { score: 0, coverage: 0, consistency: 0 };

  const timing = series.sampled ? Math.max(timestamp, period.score) : timestamp;
  const w = o.weights;
  const blend = series.sampled
    ? (timing * w.timestamp + hist.score * w.histogram + dur.score * w.duration) / (w.timestamp + w.histogram + w.duration || 1)
    : timing * w.timestamp + dataSize * w.dataSize + hist.score * w.histogram + dur.score * w.duration;
  const score = tooFew ? 0 : round3(blend);
  // The beat shown: the multiples check's where it stands in for RITA's timing, else the median.
  const periodSeconds = series.sampled && period.score > timestamp ? period.period : medianInterval;
  return {
    score,
    timestamp,
    periodicity: period.score,
    timing,
    dataSize,
    histogram: hist.score,
    duration: dur.score,
    intervals: { count: intervals.length, medianMs: medianInterval * 1000, minMs: intervals.length > 0 ? intervals[0]! * 1000 : null, periodMs: periodSeconds * 1000, skew: tsSkew, madMs: tsMad * 1000 },
    sizes: ds,
    bins: { counts, cv: hist.cv, bimodal: hist.bimodal, coverage: dur.coverage, consistency: dur.consistency },
    ...(tooFew ? { tooFew } : {}),
  };
}

/**
 * The least timing score that makes a pair a beacon, given how many intervals it rests on (Vantage):
 * `floor` from `fullAt` intervals up, rising towards 1 for fewer, as floor + (1 − floor)(1 − √(n/fullAt)).
 * Random (Poisson) arrivals reach a timestamp score of 0.86 once in a hundred pairs at 6 intervals
 * but 0.77 at 20; a few intervals have to be nearly exact to count. With the defaults (0.85, 20):
 * 20 intervals -> 0.85; 10 -> 0.85 + 0.15 × (1 − 0.7071) = 0.894; 5 -> 0.85 + 0.15 × 0.5 = 0.925.
 */
export function timingFloor(intervals: number, floor: number, fullAt = 20): number {
  if (intervals >= fullAt) return floor;
  return floor + (1 - floor) * (1 - Math.sqrt(Math.max(0, intervals) / fullAt));
}

/**
 * RITA's prevalence modifier: a server that at most `rareShare` of the clients talk to is more
 * suspicious (+`rareIncrease`), one that at least `commonShare` talk to is less (−`commonDecrease`:
 * a destination the whole company uses is a service). No modifier under `minClients` clients.
 */
export function prevalenceModifier(clients: number, totalClients: number, o: BeaconScoreOptions['prevalence'] = BEACON_SCORE_DEFAULTS.prevalence): number {
  if (totalClients < o.minClients || totalClients <= 0) return 0;
  const share = clients / totalClients;
  if (share <= o.rareShare) return o.rareIncrease;
  if (share >= o.commonShare) return -o.commonDecrease;
  return 0;
}
