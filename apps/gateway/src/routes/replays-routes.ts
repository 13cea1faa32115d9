import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { datasetNames, endReplay, findDataset, getReplay, listDatasetItemOutlines, listDatasetItems, listReplayItems, listReplays, listReplayStepOutcomes, listReplaySteps, type ReplayRow } from '@gantry/db';
import { createReplay, ownerOf, parseReplayMode, actionOf, type ItemSnapshot, type ItemSummary, type StepScore } from '@gantry/evals';
import { toInvalidRequestError } from '@gantry/formats';
import { InvalidRequestError, NotFoundError, type ChatResult } from '@gantry/spec';
import { callerOf } from '../proxy/send-call.ts';

const NUL_FREE = (value: string): boolean => !value.includes('\u0000');
const text = (max: number) => z.string().min(1, 'must not be empty').max(max).refine(NUL_FREE, 'must not contain a NUL character');

const toolRules = z.strictObject({ ignore: z.array(text(500)).max(100).optional(), defaults: z.record(z.string(), z.unknown()).optional() });

const createBody = z.strictObject({
  /** The dataset's name or id. */
  dataset: text(200),
  candidates: z.array(text(300)).min(1).max(8),
  mode: text(20)
    .default('step')
    .refine((value) => parseReplayMode(value) !== undefined, 'must be "step", "trajectory" or "fork:K" (K: the step to fork at, from 0)'),
  sample: z.number().int().min(1).optional(),
  seed: z.number().int().min(0).max(2 ** 32 - 1).optional(),
  workers: z.number().int().min(1).max(64).optional(),
  score: z
    .strictObject({
      tool_arguments: z.record(z.string(), toolRules).optional(),
      numeric_tolerance: z.number().min(0).max(1).optional(),
      answer_threshold: z.number().min(0).max(1).optional(),
      /** Embeddings model or alias: answers the ladder finds different are equivalent at cosine ≥ similarity_threshold. */
      embedding_model: text(300).optional(),
      similarity_threshold: z.number().min(0).max(1).optional(),
      /** Chat model or alias that judges, last, whether two answers are equivalent. */
      judge_model: text(300).optional(),
    })
    .default({}),
});

/** Most failing steps a replay's view lists per candidate; the diff endpoint has every step. */
const MAX_LISTED_FAILURES = 200;

function replayView(row: ReplayRow, datasetName: string | null) {
  return {
    id: row.id,
    dataset: { id: row.datasetId, name: datasetName },
    mode: row.mode,
    candidates: row.candidates,
    status: row.status,
    error: row.error,
    created_at: row.createdAt.toISOString(),
    ended_at: row.endedAt?.toISOString() ?? null,
  };
}

/** What a step did, compact: finish, tool calls, the start of its text. */
function actionView(result: unknown) {
  if (result === null || result === undefined) return null;
  const action = actionOf(result as ChatResult);
  return { finish: action.finish, tool_calls: action.toolCalls, text: action.text };
}

/** A replay as `POST /v1/replays` creates it and `GET /v1/replays` lists it: what is replayed, against what, how it stands. */
export type ReplaySummaryView = ReturnType<typeof replayView>;

/** `GET /v1/replays`: the caller's latest replays (at most 100), newest first. */
export interface ReplayListView {
  data: ReplaySummaryView[];
}

/** One candidate's roll-up in `GET /v1/replays/:id`. */
export interface ReplayCandidateTotalsView {
  /** The model or alias, as given. */
  candidate: string;
  /** Items ended for this candidate. */
  items: number;
  passed: number;
  /** `passed / items`; null before any item ended. */
  pass_rate: number | null;
  incomplete: number;
  diverged: number;
  /** What the candidate's calls cost, in micro-dollars. */
  cost_micros: number;
  /** What the same steps cost when recorded, in micro-dollars. */
  recorded_cost_micros: number;
}

/** One ended (item, candidate) pair in `GET /v1/replays/:id`. */
export interface ReplayItemView {
  /** The dataset item's position. */
  position: number;
  source_run_id: string | null;
  /** Index into the replay's candidates. */
  candidate: number;
  /** `scored`, `diverged` or `incomplete`. */
  status: string;
  /** The root of the replayed run tree. */
  run_id: string;
  summary: ItemSummary;
}

/** A step that did not pass (or whose call failed), with what differed. */
export interface ReplayFailedStepView {
  position: number;
  candidate: number;
  source_run_id: string | null;
  step: number;
  run_id: string;
  differences: string[];
}

/** `GET /v1/replays/:id` (and `POST …/cancel`): progress, per-candidate totals, ended items, failing steps. */
export type ReplayView = ReplaySummaryView & {
  progress: { items_total: number; items_done: number; steps_done: number; steps_total: number; failed_calls: number; spend_micros: number };
  totals: ReplayCandidateTotalsView[];
  items: ReplayItemView[];
  /** At most 200 per candidate. */
  failed_steps: ReplayFailedStepView[];
};

/** What one answer did: its finish class, tool calls (arguments as JSON text) and text. */
export type ReplayActionView = NonNullable<ReturnType<typeof actionView>>;

/** One recorded step of `GET /v1/replays/:id/diff/:item`, paired with the candidate's. */
export interface ReplayDiffStepView {
  step: number;
  source_run_id: string;
  source_span_id: string;
  recorded: { model: string; action: ReplayActionView | null; cost_micros: number; latency_ms: number };
  /** Null when the candidate never made this step (not yet, or past a trajectory's divergence). */
  replayed: {
    run_id: string;
    span_id: string | null;
    action: ReplayActionView | null;
    error: { code: string; message: string; status?: number } | null;
    cost_micros: number;
    latency_ms: number;
    ttft_ms: number | null;
    /** Null when the call failed. */
    score: StepScore | null;
  } | null;
}

/** `GET /v1/replays/:id/diff/:item?candidate=N`: one item, recorded vs one candidate, step by step. */
export interface ReplayDiffView {
  replay_id: string;
  position: number;
  /** The candidate's model or alias. */
  candidate: string;
  source_run_id: string | null;
  steps: ReplayDiffStepView[];
}

/**
 * Replays: a dataset replayed against candidate models through the same pipeline as live calls
 * (budgeted against the replaying key, recorded in runs linked to the source runs). The view has
 * progress, per-item results and per-candidate totals; `/diff/:item` shows recorded vs candidate
 * step by step. Team-scoped like runs.
 */
const replaysRoutes: FastifyPluginAsync = async (app) => {
  const db = () => app.gantry.database.db;

  async function visibleReplay(id: string, caller: ReturnType<typeof callerOf>): Promise<ReplayRow> {
    const row = NUL_FREE(id) ? await getReplay(db(), id) : undefined;
    if (row === undefined || (!caller.master && row.owner !== ownerOf(caller))) throw new NotFoundError(`no replay '${id.slice(0, 200)}' visible to this key; list replays with GET /v1/replays`);
    return row;
  }

  async function fullView(row: ReplayRow): Promise<ReplayView> {
    const [dataset, items, steps, sources] = await Promise.all([
      findDataset(db(), { id: row.datasetId }),
      listReplayItems(db(), row.id),
      listReplayStepOutcomes(db(), row.id),
      listDatasetItemOutlines(db(), row.datasetId, row.positions),
    ]);
    const sourceOf = new Map(sources.map((item) => [item.position, item.sourceRunId]));
    const totalSteps = sources.reduce((sum, item) => sum + item.steps, 0) * row.candidates.length;
    const totals = row.candidates.map((candidate, index) => {
      const own = items.filter((item) => item.candidate === index);
      const summaries = own.map((item) => item.summary as unknown as ItemSummary);
      const passed = summaries.filter((summary) => summary.pass).length;
      return {
        candidate,
        items: own.length,
        passed,
        pass_rate: own.length === 0 ? null : passed / own.length,
        incomplete: own.filter((item) => item.status === 'incomplete').length,
        diverged: own.filter((item) => item.status === 'diverged').length,
        cost_micros: summaries.reduce((sum, summary) => sum + summary.costMicros, 0),
        recorded_cost_micros: summaries.reduce((sum, summary) => sum + summary.recordedCostMicros, 0),
      };
    });
    const failedSteps = row.candidates.flatMap((_, index) =>
      steps
        .filter((step) => step.candidate === index && (step.score === null || (step.score as unknown as StepScore).pass === false))
        .slice(0, MAX_LISTED_FAILURES)
        .map((step) => ({
          position: step.position,
          candidate: step.candidate,
          source_run_id: sourceOf.get(step.position) ?? null,
          step: step.step,
          run_id: step.runId,
          differences: step.score === null ? [`the call failed: ${step.error?.code ?? 'error'}: ${step.error?.message ?? ''}`] : (step.score as unknown as StepScore).differences,
        })),
    );
    return {
      ...replayView(row, dataset?.name ?? null),
      progress: {
        items_total: row.positions.length * row.candidates.length,
        items_done: items.length,
        steps_done: steps.length,
        steps_total: totalSteps,
        failed_calls: steps.filter((step) => step.score === null).length,
        spend_micros: steps.reduce((sum, step) => sum + step.costMicros, 0),
      },
      totals,
      items: items.map((item) => ({ position: item.position, source_run_id: sourceOf.get(item.position) ?? null, candidate: item.candidate, status: item.status, run_id: item.runId, summary: item.summary as unknown as ItemSummary })),
      failed_steps: failedSteps,
    };
  }

  app.post('/v1/replays', async (request, reply) => {
    const parsed = createBody.safeParse(request.body ?? {}, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'replay');
    const body = parsed.data;
    const caller = callerOf(request);
    const owner = ownerOf(caller);
    const dataset = (await findDataset(db(), { owner, name: body.dataset })) ?? (body.dataset.startsWith('ds_') ? await findDataset(db(), { id: body.dataset }) : undefined);
    if (dataset === undefined || (!caller.master && dataset.owner !== owner)) {
      throw new InvalidRequestError(`invalid replay: dataset: no dataset '${body.dataset}' visible to this key; list them with GET /v1/datasets`, { param: 'dataset', status: 404 });
    }
    const models = [
      ...body.candidates.map((model, index) => ({ model, param: `candidates[${index}]` })),
      ...(body.score.embedding_model === undefined ? [] : [{ model: body.score.embedding_model, param: 'score.embedding_model' }]),
      ...(body.score.judge_model === undefined ? [] : [{ model: body.score.judge_model, param: 'score.judge_model' }]),
    ];
    for (const { model, param } of models) {
      // An unknown model is refused now, not as N failed calls later.
      try {
        app.gantry.router.route(model);
      } catch (error) {
        throw new InvalidRequestError(`invalid replay: ${param}: ${(error as Error).message}`, { param });
      }
      app.gantry.budgets.checkModel(caller.apiKeyId, model);
    }
    const mode = parseReplayMode(body.mode)!;
    if (mode.kind === 'fork') {
      // Past an item's last step there is nothing to replay: the item would pass on no evidence.
      const short = (await listDatasetItemOutlines(db(), dataset.id)).find((item) => item.steps <= mode.at);
      if (short !== undefined) {
        throw new InvalidRequestError(`invalid replay: mode: fork:${mode.at} is past the last step of item ${short.position} (${short.steps} steps, numbered from 0); fork at a step every item has`, { param: 'mode' });
      }
    }
    const row = await createReplay(db(), caller, {
      dataset,
      candidates: body.candidates,
      mode,
      ...(body.sample === undefined ? {} : { sample: body.sample }),
      ...(body.seed === undefined ? {} : { seed: body.seed }),
      workers: body.workers ?? app.gantry.config.replays.defaultWorkers,
      score: {
        ...(body.score.tool_arguments === undefined ? {} : { toolArguments: body.score.tool_arguments }),
        ...(body.score.numeric_tolerance === undefined ? {} : { numericTolerance: body.score.numeric_tolerance }),
        ...(body.score.answer_threshold === undefined ? {} : { answerThreshold: body.score.answer_threshold }),
        ...(body.score.embedding_model === undefined ? {} : { embeddingModel: body.score.embedding_model }),
        ...(body.score.similarity_threshold === undefined ? {} : { similarityThreshold: body.score.similarity_threshold }),
        ...(body.score.judge_model === undefined ? {} : { judgeModel: body.score.judge_model }),
      },
    });
    app.gantry.replays.start(row);
    return reply.code(201).send(replayView(row, dataset.name));
  });

  app.get('/v1/replays', async (request): Promise<ReplayListView> => {
    const caller = callerOf(request);
    const rows = await listReplays(db(), caller.master ? undefined : ownerOf(caller), 100);
    const names = await datasetNames(db(), rows.map((row) => row.datasetId));
    return { data: rows.map((row) => replayView(row, names.get(row.datasetId) ?? null)) };
  });

  app.get<{ Params: { id: string } }>('/v1/replays/:id', async (request) => fullView(await visibleReplay(request.params.id, callerOf(request))));

  app.get<{ Params: { id: string; item: string }; Querystring: { candidate?: string } }>('/v1/replays/:id/diff/:item', async (request): Promise<ReplayDiffView> => {
    const row = await visibleReplay(request.params.id, callerOf(request));
    const position = Number(request.params.item);
    const candidate = Number(request.query.candidate ?? 0);
    if (!Number.isInteger(position) || !row.positions.includes(position)) {
      throw new NotFoundError(`replay '${row.id}' has no item ${JSON.stringify(request.params.item.slice(0, 50))}; its items are the positions ${row.positions.slice(0, 20).join(', ')}${row.positions.length > 20 ? '…' : ''}`);
    }
    if (!Number.isInteger(candidate) || candidate < 0 || candidate >= row.candidates.length) {
      throw new InvalidRequestError(`candidate must be an index into the replay's candidates, 0 to ${row.candidates.length - 1}`, { param: 'candidate' });
    }
    const [[source], steps] = await Promise.all([listDatasetItems(db(), row.datasetId, [position]), listReplaySteps(db(), row.id, position)]);
    const snapshot = source?.snapshot as ItemSnapshot | undefined;
    const replayed = new Map(steps.filter((step) => step.candidate === candidate).map((step) => [step.step, step]));
    return {
      replay_id: row.id,
      position,
      candidate: row.candidates[candidate]!,
      source_run_id: source?.sourceRunId ?? null,
      steps: (snapshot?.steps ?? []).map((recorded) => {
        const step = replayed.get(recorded.index);
        return {
          step: recorded.index,
          source_run_id: recorded.runId,
          source_span_id: recorded.spanId,
          recorded: { model: recorded.model, action: actionView(recorded.result), cost_micros: recorded.costMicros, latency_ms: recorded.latencyMs },
          replayed:
            step === undefined
              ? null
              : { run_id: step.runId, span_id: step.spanId, action: actionView(step.result), error: step.error, cost_micros: step.costMicros, latency_ms: step.latencyMs, ttft_ms: step.ttftMs, score: step.score as unknown as StepScore | null },
        };
      }),
    };
  });

  app.post<{ Params: { id: string } }>('/v1/replays/:id/cancel', async (request) => {
    const row = await visibleReplay(request.params.id, callerOf(request));
    await endReplay(db(), row.id, 'cancelled', new Date(), 'cancelled by request');
    // Here at once; other instances stop at their next heartbeat.
    app.gantry.replays.stop(row.id);
    return fullView((await getReplay(db(), row.id)) ?? row);
  });
};

export default replaysRoutes;
