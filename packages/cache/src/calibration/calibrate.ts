import { CalibrationInputError, type ScoredPair } from './labelled-pairs.ts';
import { replayPolicy, type PolicyReplayResult } from './policy-replay.ts';
import { chooseStaticThreshold, thresholdRows, type ThresholdRow } from './static-thresholds.ts';

/** What a calibration is asked for. */
export interface CalibrationOptions {
  /** Precision the static threshold must keep, by its error upper bound; default 0.98. */
  targetPrecision: number;
  /** The per-entry policy's δ; default 0.02. */
  delta: number;
  /** Passes of the policy replay; default 5. */
  passes: number;
  /** Seed of the replay; default 1. */
  seed: number;
}

/** Defaults for {@link CalibrationOptions}, as `gantry cache calibrate` documents them. */
export const DEFAULT_CALIBRATION_OPTIONS: CalibrationOptions = { targetPrecision: 0.98, delta: 0.02, passes: 5, seed: 1 };

/** Static thresholds against the per-entry policy, on one set of scored pairs. */
export interface CalibrationResult {
  /** Pairs scored. */
  pairs: number;
  /** Of those, pairs whose prompts share an answer. */
  samePairs: number;
  targetPrecision: number;
  /** One row per threshold from 0.50 to 0.99, ascending. */
  rows: ThresholdRow[];
  /** The lowest threshold meeting the target by its error upper bound; null when none does. */
  staticThreshold: number | null;
  policy: PolicyReplayResult;
}

/**
 * Calibrates on scored pairs: the static-threshold curve, the threshold the target precision
 * allows, and the per-entry policy replayed over the same pairs. Pure and deterministic for the
 * options' seed; throws a {@link CalibrationInputError} on a similarity outside [-1, 1].
 */
export function calibrate(pairs: readonly ScoredPair[], options: Partial<CalibrationOptions> = {}): CalibrationResult {
  const resolved = { ...DEFAULT_CALIBRATION_OPTIONS, ...withoutUndefined(options) };
  if (pairs.length === 0) throw new CalibrationInputError('no pairs to calibrate on');
  pairs.forEach((pair, index) => {
    if (!(Number.isFinite(pair.similarity) && pair.similarity >= -1 && pair.similarity <= 1)) {
      throw new CalibrationInputError(`pair ${index + 1}: similarity must be a cosine in [-1, 1], got ${pair.similarity}`);
    }
  });
  const rows = thresholdRows(pairs);
  return {
    pairs: pairs.length,
    samePairs: pairs.filter((pair) => pair.same).length,
    targetPrecision: resolved.targetPrecision,
    rows,
    staticThreshold: chooseStaticThreshold(rows, resolved.targetPrecision)?.threshold ?? null,
    policy: replayPolicy(pairs, { delta: resolved.delta, passes: resolved.passes, seed: resolved.seed }),
  };
}

function withoutUndefined(options: Partial<CalibrationOptions>): Partial<CalibrationOptions> {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}
