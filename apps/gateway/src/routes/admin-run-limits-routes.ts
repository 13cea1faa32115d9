import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { getRun, getRunCounter, resumeRunTree, setRunLimits, type BudgetCounter } from '@gantry/db';
import { toInvalidRequestError } from '@gantry/formats';
import { NotFoundError } from '@gantry/spec';
import { runLimitsBody, toMicros, toUsd } from './admin-limits-schema.ts';
import { findVisibleRun } from '@gantry/runs';
import { idParam } from './runs-routes.ts';

/** Each limit may be set, or removed with null. */
const limitsBody = z.strictObject(Object.fromEntries(Object.entries(runLimitsBody.shape).map(([name, schema]) => [name, schema.unwrap().nullable().optional()])) as {
  [K in keyof typeof runLimitsBody.shape]: z.ZodOptional<z.ZodNullable<ReturnType<(typeof runLimitsBody.shape)[K]['unwrap']>>>;
});

function counterView(rootRunId: string, counter: BudgetCounter | undefined) {
  return {
    root_run_id: rootRunId,
    limits: {
      max_cost_usd: toUsd(counter?.limitMicros),
      max_calls: counter?.limitCalls ?? null,
      max_tokens: counter?.limitTokens ?? null,
      max_depth: counter?.limitDepth ?? null,
      max_wall_seconds: counter?.limitWallMs === null || counter?.limitWallMs === undefined ? null : counter.limitWallMs / 1000,
    },
    usage: {
      spent_usd: toUsd(counter?.spentMicros ?? 0),
      reserved_usd: toUsd(counter?.reservedMicros ?? 0),
      calls: counter?.calls ?? 0,
      tokens: counter?.tokens ?? 0,
    },
  };
}

/**
 * A run tree's limits (they apply to the root run and every sub-run): read and change them, master
 * key only (build-app registers these in the master-only context). Raising the limits of a paused
 * run resumes it.
 */
const adminRunLimitsRoutes: FastifyPluginAsync = async (app) => {
  const db = () => app.gantry.database.db;

  async function findRun(rawId: string) {
    const id = idParam('run', rawId);
    const run = await findVisibleRun(db(), id, { apiKeyId: null, teamId: null, master: true });
    if (run === undefined) throw new NotFoundError(`no run '${id}'; list runs with GET /v1/runs`);
    return run;
  }

  app.get<{ Params: { id: string } }>('/v1/runs/:id/limits', async (request) => {
    const run = await findRun(request.params.id);
    return { run_id: run.id, status: run.status, ...counterView(run.rootRunId, await getRunCounter(db(), run.rootRunId)) };
  });

  app.post<{ Params: { id: string } }>('/v1/runs/:id/limits', async (request) => {
    const parsed = limitsBody.safeParse(request.body ?? {}, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'limits');
    const run = await findRun(request.params.id);
    const body = parsed.data;
    const counter = await setRunLimits(db(), run.rootRunId, {
      ...(body.max_cost_usd === undefined ? {} : { maxCostMicros: body.max_cost_usd === null ? null : toMicros(body.max_cost_usd) }),
      ...(body.max_calls === undefined ? {} : { maxCalls: body.max_calls }),
      ...(body.max_tokens === undefined ? {} : { maxTokens: body.max_tokens }),
      ...(body.max_depth === undefined ? {} : { maxDepth: body.max_depth }),
      ...(body.max_wall_seconds === undefined ? {} : { maxWallMs: body.max_wall_seconds === null ? null : Math.round(body.max_wall_seconds * 1000) }),
    });
    await resumeRunTree(db(), run.rootRunId);
    const updated = await getRun(db(), run.id);
    return { run_id: run.id, status: updated?.status ?? run.status, ...counterView(run.rootRunId, counter) };
  });
};

export default adminRunLimitsRoutes;
