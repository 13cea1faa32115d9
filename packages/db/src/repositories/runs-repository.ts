import { and, asc, desc, eq, getTableColumns, getViewSelectedFields, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';
import { newId } from '../new-id.ts';
import { toStorableJson } from '../storable-text.ts';
import { unfoldAttempts } from './folded-attempts.ts';
import { jsonRecordset, updateInIdOrder } from './json-rows.ts';
import { runRows, runs, type NewRun, type Run, type RunStatus } from '../schema/runs.ts';
import { spans, type Span } from '../schema/spans.ts';

/**
 * Finds or creates the run a client named, in the client's scope: the scope's run of that client id;
 * else the run whose Gantry id it is, when `mayUse` allows (the caller's team's own runs, any for
 * the master key); else a new run. The new run's id is the client's id unless it is taken (by a
 * row, or by a one-call run, which has none), then a new one: a team can neither take nor write
 * into another team's run. A one-call run named again gets its row here, so what follows adds to
 * it. `created` tells which.
 */
export async function claimRun(db: GantryDb, row: NewRun, mayUse: (existing: Run) => boolean): Promise<{ run: Run; created: boolean }> {
  for (const id of [row.id, newId()]) {
    // No conflict target: losing on either the id or (scope, client id) is "not inserted". Tried
    // first because most first sights are new runs: one round trip.
    const [inserted] = await insertUnlessTaken(db, { ...row, id, rootRunId: row.rootRunId === row.id ? id : row.rootRunId });
    if (inserted !== undefined) return { run: inserted, created: true };
    const raced = await findRunInScope(db, row.scope, row.clientRunId);
    if (raced !== undefined) return { run: await withRow(db, raced), created: false };
    if (id !== row.id) continue;
    const byId = await getRun(db, row.id);
    if (byId !== undefined && mayUse(byId)) return { run: await withRow(db, byId), created: false };
  }
  throw new Error(`run '${row.clientRunId}' in ${row.scope} neither inserted nor found`);
}

/** The `runs` columns in drizzle's insert order, for `insert into runs (…) select …`. */
function runColumnList(): SQL {
  return sql.join(Object.values(getTableColumns(runs)).map((column) => sql.identifier(column.name)), sql`, `);
}

/** Inserts `row` unless its id or (scope, client id) is taken, by a row or by a one-call run's span. */
function insertUnlessTaken(db: GantryDb, row: NewRun): Promise<Run[]> {
  const oneCallRun = sql`select 1 from ${spans} where ${spans.runId} = ${row.id} and ${spans.oneCallRun}`;
  return db
    .insert(runs)
    .select(sql`select ${runColumnList()} from ${jsonRecordset(runs, [row])} where not exists (${oneCallRun})`)
    .onConflictDoNothing()
    .returning();
}

/**
 * `run` with a row in `runs`: a one-call run (read from its span) gets one, as it reads now. A
 * one-call run is over (succeeded or failed) from its first sight, so a live run — the common case
 * when another instance's agent run is claimed here — has its row already: no statement.
 */
async function withRow(db: GantryDb, run: Run): Promise<Run> {
  if (run.status !== 'succeeded' && run.status !== 'failed') return run;
  await db.insert(runs).select(sql`select ${runColumnList()} from ${runRows} where ${runRows.id} = ${run.id}`).onConflictDoNothing();
  return run;
}

/** The run a scope's client id names, if it exists. */
export async function findRunInScope(db: GantryDb, scope: string, clientRunId: string): Promise<Run | undefined> {
  const [run] = await db.select().from(runRows).where(and(eq(runRows.scope, scope), eq(runRows.clientRunId, clientRunId))).limit(1);
  return run;
}

/** A run by its Gantry id, one-call runs included. */
export async function getRun(db: GantryDb, id: string): Promise<Run | undefined> {
  const [run] = await db.select().from(runRows).where(eq(runRows.id, id)).limit(1);
  return run;
}

/** A run's pins: `provider/model` per alias, with the ISO time the pin was set. */
export type PinnedTargets = Record<string, { target: string; at: string }>;

/**
 * Pins `alias` of run `id` to `target`, unless a pin set at or after `replaceBefore` exists: the
 * first instance to pin wins and every other one reads the winner back. Returns the run's pins
 * after the update (undefined when the run does not exist).
 */
export async function pinRunTarget(db: GantryDb, id: string, alias: string, target: string, at: Date, replaceBefore: Date): Promise<PinnedTargets | undefined> {
  const pin = JSON.stringify({ [alias]: { target, at: at.toISOString() } });
  const [updated] = await db
    .update(runs)
    .set({ pinnedTargets: sql`${runs.pinnedTargets} || ${pin}::jsonb` })
    .where(and(eq(runs.id, id), sql`(${runs.pinnedTargets} -> ${alias} is null or (${runs.pinnedTargets} -> ${alias} ->> 'at')::timestamptz < ${replaceBefore.toISOString()}::timestamptz)`))
    .returning({ pinnedTargets: runs.pinnedTargets });
  if (updated !== undefined) return updated.pinnedTargets;
  return (await getRun(db, id))?.pinnedTargets;
}

/** Per-run additions from recorded calls, applied in one statement per flush. */
export interface RunDelta {
  id: string;
  costMicros: number;
  inputTokens: number;
  outputTokens: number;
  llmCalls: number;
  toolCalls: number;
  lastActivityAt: Date;
}

export async function applyRunDeltas(db: GantryDb, deltas: readonly RunDelta[]): Promise<void> {
  if (deltas.length === 0) return;
  const json = JSON.stringify(
    deltas.map((delta) => ({
      id: delta.id,
      cost_micros: delta.costMicros,
      input_tokens: delta.inputTokens,
      output_tokens: delta.outputTokens,
      llm_calls: delta.llmCalls,
      tool_calls: delta.toolCalls,
      last_activity_at: delta.lastActivityAt,
    })),
  );
  await db.execute(
    updateInIdOrder(
      runs,
      sql`json_to_recordset(${json}::json) as v(id text, cost_micros bigint, input_tokens bigint, output_tokens bigint, llm_calls integer, tool_calls integer, last_activity_at timestamptz)`,
      sql`cost_micros = runs.cost_micros + v.cost_micros, input_tokens = runs.input_tokens + v.input_tokens, output_tokens = runs.output_tokens + v.output_tokens,
        llm_calls = runs.llm_calls + v.llm_calls, tool_calls = runs.tool_calls + v.tool_calls, last_activity_at = greatest(runs.last_activity_at, v.last_activity_at)`,
    ),
  );
}

/** A tool span closed by the request that carried its result. */
export interface ToolSpanClose {
  id: string;
  endedAt: Date;
  /** The tool's output as the agent reported it. */
  output: string;
}

/** Closes open tool spans (idempotent: a span already closed keeps its first end). */
export async function closeToolSpans(db: GantryDb, closes: readonly ToolSpanClose[]): Promise<void> {
  if (closes.length === 0) return;
  const json = toStorableJson(JSON.stringify(closes.map((close) => ({ id: close.id, ended_at: close.endedAt, output: close.output }))));
  await db.execute(
    updateInIdOrder(
      spans,
      sql`json_to_recordset(${json}::json) as v(id text, ended_at timestamptz, output text)`,
      sql`ended_at = v.ended_at, status = 'ok', result = json_build_object('output', v.output)`,
      sql`spans.ended_at is null`,
    ),
  );
}

/** Open tool spans of a run, oldest first. */
export async function listOpenToolSpans(db: GantryDb, runId: string): Promise<Pick<Span, 'id' | 'toolCallId'>[]> {
  return db
    .select({ id: spans.id, toolCallId: spans.toolCallId })
    .from(spans)
    .where(and(eq(spans.runId, runId), eq(spans.kind, 'tool'), isNull(spans.endedAt)))
    .orderBy(spans.startedAt);
}

/** The id of the `agent` span that marks a sub-run's place in its parent run. */
export function agentSpanId(childRunId: string): string {
  return `agent:${childRunId}`;
}

/** The id of the `tool` span for a tool call: derived, so any instance can close it without a lookup. */
export function toolSpanId(runId: string, toolCallId: string): string {
  return `tool:${runId}:${toolCallId}`;
}

/**
 * Ends a run: its status and end time, and the open spans that end with it (tool calls never
 * answered, its `agent` span in the parent). Returns the run, or undefined if it does not exist.
 */
export async function endRun(db: GantryDb, id: string, status: RunStatus, at: Date): Promise<Run | undefined> {
  // Ending is idempotent: a run already ended by its agent keeps its first status and end time.
  // A run that timed out may still be ended by its agent, which knows better.
  const [run] = await db
    .update(runs)
    .set({ status, endedAt: at })
    .where(and(eq(runs.id, id), inArray(runs.status, ['running', 'paused', 'timed_out'])))
    .returning();
  if (run === undefined) return getRun(db, id);
  await endOpenSpansOfRuns(db, [id]);
  return run;
}

/**
 * Ends every run idle since before `idleBefore` as `timed_out`; returns them with their end. A run
 * is idle only when its whole tree is: a parent waiting on a busy sub-agent is still working.
 */
export async function timeOutIdleRuns(db: GantryDb, idleBefore: Date): Promise<{ id: string; endedAt: Date }[]> {
  const ended = await db
    .update(runs)
    .set({ status: 'timed_out', endedAt: sql`${runs.lastActivityAt}` })
    // Locked in id order first, as every statement that updates several runs locks them (see run-status-repository.ts).
    .where(
      sql`${runs.id} in (select idle.id from runs idle where idle.status = 'running' and idle.last_activity_at < ${idleBefore}
        and not exists (select 1 from runs busy where busy.root_run_id = idle.root_run_id and busy.last_activity_at >= ${idleBefore}) order by idle.id for update)`,
    )
    .returning({ id: runs.id, endedAt: runs.lastActivityAt });
  await endOpenSpansOfRuns(db, ended.map((run) => run.id));
  return ended;
}

async function endOpenSpansOfRuns(db: GantryDb, runIds: readonly string[]): Promise<void> {
  if (runIds.length === 0) return;
  await db.execute(sql`
    update spans set ended_at = r.ended_at
    from runs r
    where r.id in ${sql`(${sql.join(runIds.map((id) => sql`${id}`), sql`, `)})`}
      and spans.ended_at is null
      and ((spans.run_id = r.id and spans.kind = 'tool') or spans.id = 'agent:' || r.id)`);
}

/** A run and every run below it, in creation order. */
export async function listRunSubtree(db: GantryDb, id: string): Promise<Run[]> {
  const result = await db.execute<{ id: string }>(sql`
    with recursive tree as (
      select id from ${runRows} where id = ${id}
      union all
      select runs.id from runs join tree on runs.parent_run_id = tree.id
    ) select id from tree`);
  const ids = result.rows.map((row) => row.id);
  if (ids.length === 0) return [];
  return db.select().from(runRows).where(inArray(runRows.id, ids)).orderBy(runRows.startedAt, runRows.id);
}

/** The spans of the given runs in start order, folded attempts included (see folded-attempts.ts). */
export async function listSpansOfRuns(db: GantryDb, runIds: readonly string[]): Promise<Span[]> {
  if (runIds.length === 0) return [];
  return unfoldAttempts(await db.select().from(spans).where(inArray(spans.runId, [...runIds])).orderBy(spans.startedAt, spans.id));
}

/** Which way a list runs. */
export type SortDirection = 'asc' | 'desc';

/**
 * How a list of runs is ordered, and where the previous page ended (the last run's sort value and
 * id; ties on the value are broken by id in the same direction, so paging is total). Values:
 * `started_at` a time; `cost` the tree cost in micro-dollars (own + every sub-run, any depth);
 * `duration` microseconds from start to end (or to the last activity while running).
 */
export type RunListOrder =
  | { by: 'started_at'; direction: SortDirection; after?: { value: Date; id: string } }
  | { by: 'cost' | 'duration'; direction: SortDirection; after?: { value: number; id: string } };

export interface RunFilter {
  name?: string;
  status?: RunStatus;
  apiKeyId?: string;
  /** Only runs of this team; with `visibleTo` it narrows what the caller sees, never widens it. */
  teamId?: string;
  /** Restrict to runs these keys or this team may see (undefined: all, for the master key). */
  visibleTo?: { apiKeyId: string; teamId: string | null };
  /** Only root runs (no parent). */
  rootsOnly?: boolean;
  /** Only runs whose tree cost (own + every sub-run, any depth) is at least this, in micro-dollars. */
  minTreeCostMicros?: number;
  from?: Date;
  to?: Date;
  /** Default: newest first (`started_at`, `desc`), the indexed order. */
  order?: RunListOrder;
  limit: number;
}

/** A listed run and the value it was sorted by (as in `RunListOrder`), for the next page's cursor. */
export interface ListedRun {
  run: Run;
  sortValue: Date | number;
}

/** Name of the lateral subquery holding each candidate run's tree cost. */
const TREE_COST = sql.raw('tree_cost');

/** Cost of a run and every run below it, per candidate row: the recursion walks down parent_run_id's index. */
const treeCostJoin = sql`(
  with recursive tree(id, cost_micros) as (
    select ${runRows.id}, ${runRows.costMicros}
    union all
    select child.id, child.cost_micros from ${runs} child join tree on child.parent_run_id = tree.id
  ) select sum(tree.cost_micros)::bigint as cost_micros from tree
) ${TREE_COST}`;

/** The value a list is sorted by. Duration: microseconds to the end, or to the last activity while running (exact: epoch is numeric). */
function sortExpression(by: RunListOrder['by']): SQL {
  if (by === 'started_at') return sql`${runRows.startedAt}`;
  if (by === 'cost') return sql`${TREE_COST}.cost_micros`;
  return sql`(extract(epoch from (coalesce(${runRows.endedAt}, ${runRows.lastActivityAt}) - ${runRows.startedAt})) * 1000000)::bigint`;
}

/** The filter's conditions; the tree-cost one needs the `tree_cost` lateral join. */
function filterConditions(filter: RunFilter): SQL[] {
  const conditions: SQL[] = [];
  if (filter.name !== undefined) conditions.push(eq(runRows.name, filter.name));
  if (filter.status !== undefined) conditions.push(eq(runRows.status, filter.status));
  if (filter.apiKeyId !== undefined) conditions.push(eq(runRows.apiKeyId, filter.apiKeyId));
  if (filter.teamId !== undefined) conditions.push(eq(runRows.teamId, filter.teamId));
  if (filter.visibleTo !== undefined) {
    const own = eq(runRows.apiKeyId, filter.visibleTo.apiKeyId);
    conditions.push(filter.visibleTo.teamId === null ? own : or(own, eq(runRows.teamId, filter.visibleTo.teamId))!);
  }
  if (filter.rootsOnly === true) conditions.push(isNull(runRows.parentRunId));
  if (filter.minTreeCostMicros !== undefined) conditions.push(sql`${TREE_COST}.cost_micros >= ${filter.minTreeCostMicros}::bigint`);
  if (filter.from !== undefined) conditions.push(sql`${runRows.startedAt} >= ${filter.from}`);
  if (filter.to !== undefined) conditions.push(sql`${runRows.startedAt} < ${filter.to}`);
  return conditions;
}

/** Runs after the cursor in the list's order: a row comparison, so ties on the value go by id. */
function afterCondition(order: RunListOrder, value: SQL): SQL | undefined {
  if (order.after === undefined) return undefined;
  const comparison = sql.raw(order.direction === 'desc' ? '<' : '>');
  const bound = order.by === 'started_at' ? sql`${order.after.value}` : sql`${order.after.value}::bigint`;
  return sql`(${value}, ${runRows.id}) ${comparison} (${bound}, ${order.after.id})`;
}

/**
 * One page of runs matching `filter`, in its order. The tree cost is computed (a recursive walk
 * per candidate run) only when sorting by cost or filtering on it; the default order is the
 * `started_at` index's.
 */
export async function listRuns(db: GantryDb, filter: RunFilter): Promise<ListedRun[]> {
  const order: RunListOrder = filter.order ?? { by: 'started_at', direction: 'desc' };
  const value = sortExpression(order.by);
  const conditions = filterConditions(filter);
  const after = afterCondition(order, value);
  if (after !== undefined) conditions.push(after);
  const direction = order.direction === 'desc' ? desc : asc;
  const query = db
    .select({ run: getViewSelectedFields(runRows), sortValue: order.by === 'started_at' ? runRows.startedAt : value.mapWith(Number) })
    .from(runRows)
    .$dynamic();
  const source = order.by === 'cost' || filter.minTreeCostMicros !== undefined ? query.crossJoinLateral(treeCostJoin) : query;
  return source
    .where(conditions.length === 0 ? undefined : and(...conditions))
    .orderBy(direction(value), direction(runRows.id))
    .limit(filter.limit);
}

/** Totals of a run and every run below it. */
export interface RunTotals {
  costMicros: number;
  inputTokens: number;
  outputTokens: number;
  llmCalls: number;
  toolCalls: number;
  runs: number;
}

/** Rolled-up totals (own + all sub-runs, to any depth) for each given run, in one query. */
export async function sumRunTotals(db: GantryDb, ids: readonly string[]): Promise<Map<string, RunTotals>> {
  const totals = new Map<string, RunTotals>();
  if (ids.length === 0) return totals;
  const result = await db.execute<{ top: string; cost_micros: string; input_tokens: string; output_tokens: string; llm_calls: string; tool_calls: string; runs: string }>(sql`
    with recursive tree(top, id) as (
      select id, id from ${runRows} where id in ${sql`(${sql.join(ids.map((id) => sql`${id}`), sql`, `)})`}
      union all
      select tree.top, runs.id from runs join tree on runs.parent_run_id = tree.id
    )
    select tree.top, sum(r.cost_micros) as cost_micros, sum(r.input_tokens) as input_tokens, sum(r.output_tokens) as output_tokens,
           sum(r.llm_calls) as llm_calls, sum(r.tool_calls) as tool_calls, count(*) as runs
    from tree join ${runRows} r on r.id = tree.id group by tree.top`);
  for (const row of result.rows) {
    totals.set(row.top, {
      costMicros: Number(row.cost_micros),
      inputTokens: Number(row.input_tokens),
      outputTokens: Number(row.output_tokens),
      llmCalls: Number(row.llm_calls),
      toolCalls: Number(row.tool_calls),
      runs: Number(row.runs),
    });
  }
  return totals;
}
