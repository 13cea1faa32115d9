import { doublePrecision, index, integer, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';

/** One static threshold's outcome on labelled pairs, as `gantry cache calibrate` stores it. */
export interface CalibrationThresholdRow {
  /** The cosine similarity at or above which a pair counts as a hit. */
  threshold: number;
  /** Share of the pairs at or above the threshold, in [0, 1]. */
  hit_rate: number;
  /** Share of those hits whose pair shares an answer; null when nothing is at or above. */
  precision: number | null;
  /** Hits whose pair does not share an answer. */
  errors: number;
  /** 95% Wilson upper bound on the error rate of the hits; 1 when there are none. */
  error_upper: number;
}

/**
 * Calibrations of the semantic cache: what static similarity thresholds, and the per-entry policy,
 * did on a labelled set of prompt pairs embedded with one model (`gantry cache calibrate`). Owned
 * like datasets: `owner` is `team:<id>`, `key:<id>` or `master`, and a key sees its owner's rows.
 * The curve and the policy's figures are stored whole, as the command computed them: they are
 * read back whole, to print or plot.
 */
export const cacheCalibrations = pgTable(
  'cache_calibrations',
  {
    id: text('id').primaryKey(),
    owner: text('owner').notNull(),
    teamId: text('team_id'),
    apiKeyId: text('api_key_id'),
    /** Where the pairs came from, e.g. `pairs:evals/cache-calibration.jsonl`. */
    source: text('source').notNull(),
    /** The embeddings model (alias or provider/model), or the precomputed embedding column. */
    model: text('model').notNull(),
    /** Labelled pairs scored. */
    pairs: integer('pairs').notNull(),
    /** Precision the static threshold was chosen for, in (0, 1). */
    targetPrecision: doublePrecision('target_precision').notNull(),
    /** The lowest threshold whose error upper bound meets the target; null when none does. */
    staticThreshold: doublePrecision('static_threshold'),
    /** One row per threshold, ascending. */
    rows: jsonb('rows').$type<CalibrationThresholdRow[]>().notNull(),
    /** The per-entry policy's outcome on the same pairs (snake_case, as the API shows it). */
    policy: jsonb('policy').$type<Record<string, unknown>>().notNull(),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (table) => [index('cache_calibrations_owner_created_at_idx').on(table.owner, table.createdAt)],
);

export type CacheCalibrationRow = typeof cacheCalibrations.$inferSelect;
export type NewCacheCalibrationRow = typeof cacheCalibrations.$inferInsert;
