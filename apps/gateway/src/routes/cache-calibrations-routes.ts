import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { getCacheCalibration, insertCacheCalibration, listCacheCalibrations, newId, type CacheCalibrationRow } from '@gantry/db';
import { parseTrafficSource } from '@gantry/cache/calibration';
import { ownerOf } from '@gantry/evals';
import { toInvalidRequestError } from '@gantry/formats';
import { NotFoundError } from '@gantry/spec';
import { callerOf } from '../proxy/send-call.ts';

/** One static threshold's outcome on the labelled pairs. */
export interface CalibrationRowView {
  /** Cosine similarity at or above which a pair is served the cached answer. */
  threshold: number;
  /** Share of the pairs at or above the threshold, in [0, 1]. */
  hit_rate: number;
  /** Share of those hits whose prompts share an answer; null when there are none. */
  precision: number | null;
  /** Hits whose prompts do not share an answer: wrong answers served. */
  errors: number;
  /** 95% Wilson upper bound on the hits' error rate; 1 with no hits. */
  error_upper: number;
}

/** Lookups, hits and served errors of one kind of pair (`paraphrase`, `slot-swap`, …). */
export interface CalibrationKindView {
  lookups: number;
  hits: number;
  errors: number;
}

/** What the per-entry policy did on the same pairs, replayed as a stream. */
export interface CalibrationPolicyView {
  /** The policy's error target δ. */
  delta: number;
  /** Times each entry saw all its pairs, reshuffled each time. */
  passes: number;
  seed: number;
  /** Cached entries (distinct `a` prompts), and how many of them ever served. */
  entries: number;
  serving_entries: number;
  /** Lookups (pairs × passes) and the ones served. */
  lookups: number;
  hits: number;
  hit_rate: number;
  precision: number | null;
  errors: number;
  /** 95% Wilson upper bound on the served answers' error rate; 1 with no hits. */
  error_upper: number;
  /** Lookups answered by the provider and added to the entry's labels. */
  explorations: number;
  by_kind: Record<string, CalibrationKindView>;
}

/** The recorded traffic a calibration's pairs came from (`gantry cache calibrate --traffic`). */
export interface CalibrationTrafficView {
  /** The window (ISO 8601): from `since`, inclusive, to `until`, exclusive. */
  since: string;
  until: string;
  /** The judge that labelled the pairs, and its model (null for `exact`). */
  judge: 'exact' | 'embedding' | 'llm';
  judge_model: string | null;
  /** Whether the newer prompts were asked again rather than judged on their recorded answers. */
  replay: boolean;
}

/** A stored calibration: `GET /v1/cache/calibrations/:id`, and each item of the list. */
export interface CalibrationView {
  id: string;
  /** Where the pairs came from (`pairs:<file>`, `sembenchmark:<file>`, or `traffic:<since>/<until>;judge=…` for recorded traffic). */
  source: string;
  /** For recorded traffic, the window and the labelling read from `source`; null for labelled pairs. */
  traffic: CalibrationTrafficView | null;
  /** The embeddings model, or the precomputed embedding column (`column:emb_gte`). */
  model: string;
  /** Labelled pairs scored. */
  pairs: number;
  /** Precision the static threshold was chosen for. */
  target_precision: number;
  /** The lowest threshold whose error upper bound meets the target; null when none does. */
  static_threshold: number | null;
  /** One row per threshold, ascending: the curve to plot. */
  rows: CalibrationRowView[];
  policy: CalibrationPolicyView;
  team_id: string | null;
  api_key_id: string | null;
  created_at: string;
}

/** `GET /v1/cache/calibrations`: the calibrations the key can see, newest first. */
export interface CalibrationListView {
  data: CalibrationView[];
}

const NUL_FREE = (value: string): boolean => !value.includes('\u0000');
const text = (max: number) => z.string().min(1, 'must not be empty').max(max).refine(NUL_FREE, 'must not contain a NUL character');
const share = z.number().min(0).max(1);
const count = z.number().int().min(0);

const rowBody = z.strictObject({ threshold: z.number().min(-1).max(1), hit_rate: share, precision: share.nullable(), errors: count, error_upper: share });

const policyBody = z.strictObject({
  delta: z.number().gt(0).lt(1),
  passes: z.number().int().min(1).max(1_000),
  seed: z.number().int().min(0).max(2 ** 32 - 1),
  entries: count,
  serving_entries: count,
  lookups: count,
  hits: count,
  hit_rate: share,
  precision: share.nullable(),
  errors: count,
  error_upper: share,
  explorations: count,
  by_kind: z
    .record(text(100), z.strictObject({ lookups: count, hits: count, errors: count }))
    .refine((kinds) => Object.keys(kinds).length <= 50, 'must name at most 50 kinds')
    .default({}),
});

const createBody = z.strictObject({
  source: text(500),
  model: text(300),
  pairs: z.number().int().min(1).max(10_000_000),
  target_precision: z.number().gt(0).lt(1),
  rows: z.array(rowBody).min(1).max(200),
  static_threshold: z.number().min(-1).max(1).nullable(),
  policy: policyBody,
});

const listQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(200).default(50) });

function trafficView(source: string): CalibrationTrafficView | null {
  const traffic = parseTrafficSource(source);
  return traffic === undefined ? null : { since: traffic.since, until: traffic.until, judge: traffic.judge, judge_model: traffic.judgeModel, replay: traffic.replay };
}

function calibrationView(row: CacheCalibrationRow): CalibrationView {
  return {
    id: row.id,
    source: row.source,
    traffic: trafficView(row.source),
    model: row.model,
    pairs: row.pairs,
    target_precision: row.targetPrecision,
    static_threshold: row.staticThreshold,
    rows: row.rows,
    policy: row.policy as unknown as CalibrationPolicyView,
    team_id: row.teamId,
    api_key_id: row.apiKeyId,
    created_at: row.createdAt.toISOString(),
  };
}

/**
 * Calibrations of the semantic cache, as `gantry cache calibrate` computes them: the static
 * thresholds' curve and the per-entry policy's outcome on labelled pairs. Any key may store one;
 * it belongs to the key's team (or the key, or the master key), like datasets, and only they
 * (and the master key) see it.
 */
const cacheCalibrationsRoutes: FastifyPluginAsync = async (app) => {
  const db = () => app.gantry.database.db;

  app.post('/v1/cache/calibrations', async (request, reply) => {
    const parsed = createBody.safeParse(request.body ?? {}, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'calibration');
    const body = parsed.data;
    const caller = callerOf(request);
    const row = await insertCacheCalibration(db(), {
      id: `cal_${newId()}`,
      owner: ownerOf(caller),
      teamId: caller.teamId,
      apiKeyId: caller.apiKeyId,
      source: body.source,
      model: body.model,
      pairs: body.pairs,
      targetPrecision: body.target_precision,
      staticThreshold: body.static_threshold,
      rows: body.rows,
      policy: body.policy,
    });
    return reply.code(201).send(calibrationView(row));
  });

  app.get('/v1/cache/calibrations', async (request): Promise<CalibrationListView> => {
    const parsed = listQuery.safeParse(request.query, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'query');
    const caller = callerOf(request);
    const rows = await listCacheCalibrations(db(), caller.master ? undefined : ownerOf(caller), parsed.data.limit);
    return { data: rows.map(calibrationView) };
  });

  app.get<{ Params: { id: string } }>('/v1/cache/calibrations/:id', async (request): Promise<CalibrationView> => {
    const { id } = request.params;
    const caller = callerOf(request);
    const row = NUL_FREE(id) ? await getCacheCalibration(db(), id, caller.master ? undefined : ownerOf(caller)) : undefined;
    // Another team's calibration is reported as missing, as datasets and runs are.
    if (row === undefined) throw new NotFoundError(`no calibration '${id.slice(0, 200)}' visible to this key; list them with GET /v1/cache/calibrations`);
    return calibrationView(row);
  });
};

export default cacheCalibrationsRoutes;
