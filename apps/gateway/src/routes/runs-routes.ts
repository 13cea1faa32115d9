import type { FastifyPluginAsync } from 'fastify';
import { z } from 'zod';
import { getRun, getSpan, listRunSubtree, listRuns, listSpansOfRuns, runStatuses, sumRunTotals, type RunFilter } from '@gantry/db';
import { toInvalidRequestError } from '@gantry/formats';
import { findVisibleRun } from '@gantry/runs';
import { InvalidRequestError, NotFoundError } from '@gantry/spec';
import { endRunNow } from '../end-run.ts';
import { callerOf } from '../proxy/send-call.ts';
import { toMicros, usdAmount } from './admin-limits-schema.ts';
import { runTrace } from './run-trace.ts';
import { runView, spanView, treeView, type RunListView } from './runs-view.ts';

// Postgres text cannot hold U+0000: sent on to a query, it fails there as a server error.
const NUL_FREE = (value: string): boolean => !value.includes('\u0000');
const queryText = z.string().refine(NUL_FREE, 'must not contain a NUL character (%00)');

const runSorts = ['started_at', 'cost', 'duration'] as const;
const sortDirections = ['desc', 'asc'] as const;
type RunSort = (typeof runSorts)[number];
type SortDirection = (typeof sortDirections)[number];
type ListedRun = Awaited<ReturnType<typeof listRuns>>[number];

/**
 * USD in a query string, in any form an HTML number input sends (`0.25`, `.25`, `2.5e-1`); at
 * most 6 decimals, so it converts exactly to micro-dollars.
 */
const queryUsd = z
  .string()
  .regex(/^(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i, 'must be a number of USD, 0 or more, like 0.25')
  // `1e999` reads as Infinity, which zod reports as not a number: capped, it fails usdAmount's maximum instead.
  .transform((text) => Math.min(Number(text), Number.MAX_VALUE))
  .pipe(usdAmount)
  .transform(toMicros);

const listQuery = z.strictObject({
  name: queryText.optional(),
  status: z.enum(runStatuses).optional(),
  key: queryText.optional(),
  team: queryText.optional(),
  roots: z.enum(['true', 'false'], { error: 'must be true or false' }).default('false'),
  min_cost_usd: queryUsd.optional(),
  from: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
  to: z.iso.datetime({ offset: true, error: 'must be an ISO 8601 date-time' }).optional(),
  sort: z.enum(runSorts, { error: `must be one of ${runSorts.join(', ')}` }).default('started_at'),
  order: z.enum(sortDirections, { error: 'must be desc or asc' }).default('desc'),
  cursor: queryText.optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});

const endBody = z.strictObject({ status: z.enum(['succeeded', 'failed'], { error: 'must be "succeeded" or "failed"' }) });

/** What a cursor holds: the list's sort and order, and the last run's sort value and id. */
const cursorContent = z.strictObject({
  sort: z.enum(runSorts),
  order: z.enum(sortDirections),
  value: z.union([z.iso.datetime({ offset: true }), z.number().int()]),
  id: queryText,
});

const notACursor = () => new InvalidRequestError('invalid query: cursor: is not a cursor from a previous page; pass next_cursor as given', { param: 'cursor' });

/** A cursor's content, or a 400 when it is not one this route wrote. */
function readCursor(cursor: string): z.infer<typeof cursorContent> {
  try {
    const parsed = cursorContent.safeParse(JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')));
    if (parsed.success) return parsed.data;
  } catch {
    // not base64url JSON: the same answer as any other foreign string
  }
  throw notACursor();
}

/** The list's order, continuing after `cursor` when given; a cursor from another sort or order is a 400. */
function listOrder(sort: RunSort, direction: SortDirection, cursor: string | undefined): RunFilter['order'] {
  if (cursor === undefined) return { by: sort, direction };
  const content = readCursor(cursor);
  if (content.sort !== sort || content.order !== direction) {
    throw new InvalidRequestError(
      `invalid query: cursor: comes from a list sorted by ${content.sort} ${content.order}, not ${sort} ${direction}; page with the sort and order the cursor came from, or drop cursor to start from the first page`,
      { param: 'cursor' },
    );
  }
  const { value, id } = content;
  if (sort === 'started_at') {
    if (typeof value !== 'string') throw notACursor();
    return { by: sort, direction, after: { value: new Date(value), id } };
  }
  if (typeof value !== 'number') throw notACursor();
  return { by: sort, direction, after: { value, id } };
}

/** The next page's cursor: base64url JSON of the sort, the order and the last run's sort value and id. */
function encodeCursor(sort: RunSort, order: SortDirection, last: ListedRun): string {
  const value = last.sortValue instanceof Date ? last.sortValue.toISOString() : last.sortValue;
  return Buffer.from(JSON.stringify({ sort, order, value, id: last.run.id })).toString('base64url');
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
    const run = await findVisibleRun(app.gantry.database.db, id, caller);
    // Another team's run is reported as missing: its existence is not theirs to know.
    if (run === undefined) throw new NotFoundError(`no run '${id}' visible to this key; list runs with GET /v1/runs`);
    return run;
  }

  app.get('/v1/runs', async (request): Promise<RunListView> => {
    const parsed = listQuery.safeParse(request.query, { reportInput: true });
    if (!parsed.success) throw toInvalidRequestError(parsed.error, 'query');
    const query = parsed.data;
    const caller = callerOf(request);
    const db = app.gantry.database.db;
    const page = await listRuns(db, {
      ...(query.name === undefined ? {} : { name: query.name }),
      ...(query.status === undefined ? {} : { status: query.status }),
      ...(query.key === undefined ? {} : { apiKeyId: query.key }),
      ...(query.team === undefined ? {} : { teamId: query.team }),
      ...(query.min_cost_usd === undefined ? {} : { minTreeCostMicros: query.min_cost_usd }),
      ...(query.from === undefined ? {} : { from: new Date(query.from) }),
      ...(query.to === undefined ? {} : { to: new Date(query.to) }),
      ...(caller.master ? {} : { visibleTo: { apiKeyId: caller.apiKeyId!, teamId: caller.teamId } }),
      rootsOnly: query.roots === 'true',
      order: listOrder(query.sort, query.order, query.cursor),
      limit: query.limit + 1,
    });
    const listed = page.slice(0, query.limit);
    const totals = await sumRunTotals(db, listed.map((entry) => entry.run.id));
    const last = listed.at(-1);
    return {
      data: listed.map((entry) => runView(entry.run, totals.get(entry.run.id))),
      next_cursor: page.length > query.limit && last !== undefined ? encodeCursor(query.sort, query.order, last) : null,
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
