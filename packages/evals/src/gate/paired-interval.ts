import jstat from 'jstat';

/** A Student-t confidence interval on the mean of per-item differences (candidate − baseline). */
export interface PairedInterval {
  /** Items compared. */
  n: number;
  baselineMean: number;
  candidateMean: number;
  /** Mean of per-item differences, candidate − baseline. */
  meanDelta: number;
  /** Interval bounds on `meanDelta`: NaN with no items, infinite with one (no evidence of spread). */
  low: number;
  high: number;
}

/** A Student-t confidence interval on the mean per-item ratio candidate / baseline. */
export interface RatioInterval {
  /** Items compared (those with a baseline above 0). */
  n: number;
  /** Items left out because their baseline was 0 (or not a finite positive number). */
  skipped: number;
  meanRatio: number;
  low: number;
  high: number;
}

/** A mean with its confidence interval. */
export interface MeanInterval {
  n: number;
  mean: number;
  low: number;
  high: number;
}

/** The Student-t quantile: the t with P(T ≤ t) = `p` for `degreesOfFreedom` degrees of freedom. */
export function tQuantile(p: number, degreesOfFreedom: number): number {
  return jstat.jStat.studentt.inv(p, degreesOfFreedom);
}

/**
 * The mean of `values` with a two-sided Student-t interval at `confidence`. No values give NaN
 * throughout; one value gives infinite bounds (one item says nothing about spread); values that
 * are all equal give `low = high = mean`.
 */
export function meanInterval(values: number[], confidence = 0.95): MeanInterval {
  if (!(confidence > 0 && confidence < 1)) {
    throw new RangeError(`confidence must be between 0 and 1 (exclusive), got ${confidence}`);
  }
  const n = values.length;
  if (n === 0) return { n, mean: Number.NaN, low: Number.NaN, high: Number.NaN };
  const mean = average(values);
  if (n === 1) return { n, mean, low: Number.NEGATIVE_INFINITY, high: Number.POSITIVE_INFINITY };
  if (values.every((value) => value === values[0])) return { n, mean, low: mean, high: mean };
  const variance = values.reduce((sum, value) => sum + (value - mean) ** 2, 0) / (n - 1);
  const halfWidth = tQuantile(1 - (1 - confidence) / 2, n - 1) * Math.sqrt(variance / n);
  return { n, mean, low: mean - halfWidth, high: mean + halfWidth };
}

/**
 * The paired comparison the gate rests on: per item, candidate − baseline, and a t interval on
 * the mean difference. Pairing removes the spread between items (some are hard for every model),
 * so far fewer items settle a question than comparing two independent means would need.
 */
export function pairedInterval(baseline: number[], candidate: number[], confidence = 0.95): PairedInterval {
  assertPaired('paired interval', baseline, candidate);
  const deltas = baseline.map((value, index) => (candidate[index] ?? Number.NaN) - value);
  const interval = meanInterval(deltas, confidence);
  return {
    n: interval.n,
    baselineMean: average(baseline),
    candidateMean: average(candidate),
    meanDelta: interval.mean,
    low: interval.low,
    high: interval.high,
  };
}

/**
 * For cost and latency, where "how many times as much" is the question: per item
 * candidate / baseline, with the same t interval on the ratios. Items whose baseline is 0 are
 * skipped (no ratio exists) and counted in `skipped`.
 */
export function ratioInterval(baseline: number[], candidate: number[], confidence = 0.95): RatioInterval {
  assertPaired('ratio interval', baseline, candidate);
  const ratios: number[] = [];
  baseline.forEach((value, index) => {
    const other = candidate[index];
    if (value > 0 && Number.isFinite(value) && other !== undefined && Number.isFinite(other)) {
      ratios.push(other / value);
    }
  });
  const interval = meanInterval(ratios, confidence);
  return {
    n: interval.n,
    skipped: baseline.length - ratios.length,
    meanRatio: interval.mean,
    // A ratio of non-negative figures is never below 0, whatever the t interval's spread says.
    low: Math.max(0, interval.low),
    high: interval.high,
  };
}

function assertPaired(what: string, baseline: number[], candidate: number[]): void {
  if (baseline.length === candidate.length) return;
  throw new RangeError(
    `${what} needs one candidate value per baseline value: got ${baseline.length} baseline and ${candidate.length} candidate values`,
  );
}

function average(values: number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;
}
