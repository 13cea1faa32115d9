import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { getRun, getSpan, listRunSubtree, listRuns, listSpansOfRuns, runStatuses, sumRunTotals } from '@gantry/db';
import { toInvalidRequestError } from '@gantry/formats';
import { canAccessRun } from '@gantry/runs';
import { InvalidRequestError, NotFoundError } from '@gantry/spec';
import { endRunNow } from '../end-run.ts';
import { callerOf } from '../proxy/send-call.ts';
import { runTrace } from './run-trace.ts';
import { runView, spanView, treeView } from './runs-view.ts';

// Postgres text cannot hold U+0000: sent on to a query, it fails there as a server error.
const NUL_FREE = (value: string): boolean => !value.includes('\u0000');
const queryText = z.string().refine(NUL_FREE, 'must not contain a NUL character (%00)');

const listQuery = z.strictObject({
  name: queryText.optional(),
  status: z.enum(runStatuses).optional(),
  key: queryText.optional(),
  from: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
  to: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
  cursor: queryText.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const endBody = z.strictObject({ status: z.enum(['succeeded', 'failed'], { error: 'must be "succeeded" or "failed"' }) });

function decodeCursor(cursor: string): { startedAt: Date; id: string } {
  try {
    const [startedAt, id] = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as [string, string];
    const date = new Date(startedAt);
    if (typeof id === 'string' && NUL_FREE(id) && !Number.isNaN(date.getTime())) return { startedAt: date, id };
  } catch {
    // fall through
  }
  throw new InvalidRequestError('invalid query: cursor: is not a cursor from a previous page; pass next_cursor as given', { param: 'cursor' });
}

/**
 * `id` as given in the URL, or a 400 when it holds a NUL (`%00`): no run or span id does, and
 * Postgres would refuse the query with a server error instead of finding nothing.
 */
export function idParam(what: 'run' | 'span', id: string): string {
  if (NUL_FREE(id)) return id;
  const param = what === 'run' ? 'id' : 'span_id';
  throw new InvalidRequestError(`${what} id ${JSON.stringify(id.slice(0, 140))} holds a NUL character (%00), which no ${what} id contains; list runs with GET /v1/runs`, { param });
}

/** Runs: list, whole trees, single spans, and ending a run. A key sees its own team's runs. */
const runsRoutes: FastifyPluginAsync = async (app) => {
  async function visibleRun(rawId: string, caller: ReturnType<typeof callerOf>) {
    const id = idParam('run', rawId);
    const run = await getRun(app.gantry.database.db, id);
    // Another team's run is reported as missing: its existence is not theirs to know.
    if (run === undefined || !canAccessRun(run, caller)) throw new NotFoundError(`no run '${id}' visible to this key; list runs with GET /v1/runs`);
    return run;
  }

  app.get('/v1/runs', async (request) => {
    const parsed = listQuery.safeParse(request.query, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'query');
    const query = parsed.data;
    const caller = callerOf(request);
    const db = app.gantry.database.db;
    const page = await listRuns(db, {
      ...(query.name === undefined ? {} : { name: query.name }),
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.key === undefined ? {} : { apiKeyId: query.key }),
      ...(query.from === undefined ? {} : { from: new Date(query.from) }),
      ...(query.to === undefined ? {} : { to: new Date(query.to) }),
      ...(query.cursor === undefined ? {} : { after: decodeCursor(query.cursor) }),
      ...(caller.master ? {} : { visibleTo: { apiKeyId: caller.apiKeyId!, teamId: caller.teamId } }),
      limit: query.limit + 1,
    });
    const runs = page.slice(0, query.limit);
    const totals = await sumRunTotals(db, runs.map((run) => run.id));
    const last = runs.at(-1);
    return {
      data: runs.map((run) => runView(run, totals.get(run.id))),
      next_cursor: page.length > query.limit && last !== undefined ? Buffer.from(JSON.stringify([last.startedAt.toISOString(), last.id])).toString('base64url') : null,
    };
  });

  app.get<{ Params: { id: string } }>('/v1/runs/:id', async (request) => {
    const run = await visibleRun(request.params.id, callerOf(request));
    const db = app.gantry.database.db;
    const runs = await listRunSubtree(db, run.id);
    const [spans, totals] = await Promise.all([listSpansOfRuns(db, runs.map((each) => each.id)), sumRunTotals(db, runs.map((each) => each.id))]);
    return treeView(run.id, runs, spans, totals);
  });

  // Chrome trace event format, for Perfetto or chrome://tracing.
  app.get<{ Params: { id: string } }>('/v1/runs/:id/trace.json', async (request, reply) => {
    const run = await visibleRun(request.params.id, callerOf(request));
    const db = app.gantry.database.db;
    const runs = await listRunSubtree(db, run.id);
    const spans = await listSpansOfRuns(db, runs.map((each) => each.id));
    const filename = `run-${run.id.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 100)}.trace.json`;
    return reply.header('content-disposition', `attachment; filename="${filename}"`).send(runTrace(run.id, runs, spans));
  });

  app.get<{ Params: { id: string; spanId: string } }>('/v1/runs/:id/spans/:spanId', async (request) => {
    const run = await visibleRun(request.params.id, callerOf(request));
    const span = await getSpan(app.gantry.database.db, idParam('span', request.params.spanId), run.id);
    if (span === undefined || span.runId !== run.id) {
      throw new NotFoundError(`no span '${request.params.spanId}' in run '${run.id}'; GET /v1/runs/${run.id} lists its spans`);
    }
    return { ...spanView(span), request: span.request, result: span.result, raw: span.raw };
  });

  app.post<{ Params: { id: string } }>('/v1/runs/:id/end', async (request) => {
    const parsed = endBody.safeParse(request.body ?? {}, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'body');
    const run = await visibleRun(request.params.id, callerOf(request));
    const ended = await endRunNow(app.gantry, run.id, parsed.data.status);
    return runView(ended ?? run, undefined);
  });
};

export default runsRoutes;
