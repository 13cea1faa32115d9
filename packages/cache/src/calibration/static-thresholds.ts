import type { ScoredPair } from './labelled-pairs.ts';
import { wilsonUpperBound } from './wilson-bound.ts';

/** What one static threshold does on the pairs: every pair at or above it is served `a`'s answer. */
export interface ThresholdRow {
  /** Cosine similarity at or above which a pair is a hit. */
  threshold: number;
  /** Pairs at or above the threshold. */
  hits: number;
  /** hits ÷ pairs, in [0, 1]. */
  hitRate: number;
  /** Share of the hits whose pair is `same`; null when there are no hits. */
  precision: number | null;
  /** Hits whose pair is not `same`: wrong answers served. */
  errors: number;
  /** 95% Wilson upper bound on errors ÷ hits; 1 with no hits. */
  errorUpper: number;
}

/** The thresholds a calibration tries: 0.50 to 0.99 in steps of 0.01. */
export const CALIBRATION_THRESHOLDS: readonly number[] = Array.from({ length: 50 }, (_, index) => (50 + index) / 100);

/**
 * One row per threshold (ascending): hits, hit rate, precision, errors and the error's upper
 * bound if a cache served every pair at or above it. Thresholds are built as n/100 so that 0.8 is
 * the double 0.8, and a pair at exactly 0.8 counts at 0.80.
 */
export function thresholdRows(pairs: readonly ScoredPair[], thresholds: readonly number[] = CALIBRATION_THRESHOLDS): ThresholdRow[] {
  return thresholds.map((threshold) => {
    let hits = 0;
    let errors = 0;
    for (const pair of pairs) {
      if (pair.similarity < threshold) continue;
      hits += 1;
      if (!pair.same) errors += 1;
    }
    return {
      threshold,
      hits,
      hitRate: pairs.length === 0 ? 0 : hits / pairs.length,
      precision: hits === 0 ? null : (hits - errors) / hits,
      errors,
      errorUpper: wilsonUpperBound(errors, hits),
    };
  });
}

/**
 * The lowest threshold whose error upper bound is within 1 − `targetPrecision`, or undefined when
 * none is. The bound, not the observed precision, is what must meet the target: a threshold with
 * 3 hits and no error has precision 100% and says almost nothing. The lowest qualifying one is
 * taken because it serves the most; rows need not be monotone, so a higher threshold can fail
 * where a lower one passed (it has fewer hits, so a wider bound).
 */
export function chooseStaticThreshold(rows: readonly ThresholdRow[], targetPrecision: number): ThresholdRow | undefined {
  if (!(targetPrecision > 0 && targetPrecision < 1)) throw new RangeError(`targetPrecision must be in (0, 1), got ${targetPrecision}`);
  // The tolerance keeps 1 − 0.98 (0.020000000000000018) from refusing a bound of exactly 0.02.
  const allowed = 1 - targetPrecision + 1e-12;
  return [...rows].sort((left, right) => left.threshold - right.threshold).find((row) => row.hits > 0 && row.errorUpper <= allowed);
}
