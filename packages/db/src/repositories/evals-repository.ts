import { and, asc, desc, eq, getTableColumns, inArray, isNull, or, sql, type SQL } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';
import { datasetItems, datasets, replayItems, replays, replaySteps, type DatasetRow, type NewDatasetRow, type NewReplayRow, type NewReplayStepRow, type ReplayItemRow, type ReplayRow, type ReplayStatus, type ReplayStepRow } from '../schema/evals.ts';
import { runRows, type Run, type RunStatus } from '../schema/runs.ts';
import type { Span } from '../schema/spans.ts';
import { fromStorable, toStorableJson, toStorableText } from '../storable-text.ts';
import { listRunSubtree, listSpansOfRuns } from './runs-repository.ts';

/** A jsonb or json parameter, its text made storable (storable-text.ts). */
function storableJson(value: unknown, type: 'json' | 'jsonb'): SQL {
  return sql`${toStorableJson(JSON.stringify(value))}::${sql.raw(type)}`;
}

/** Which recorded root runs a dataset selects (all conditions apply). */
export interface RunSelection {
  /** Restrict to runs these keys or this team may see (undefined: all, for the master key). */
  visibleTo?: { apiKeyId: string; teamId: string | null };
  name?: string;
  status?: RunStatus;
  apiKeyId?: string;
  teamId?: string;
  from?: Date;
  to?: Date;
  ids?: readonly string[];
  /** At most this many candidates are considered, newest first. */
  limit: number;
}

/** Root runs matching a selection, newest first. */
export async function selectRootRuns(db: GantryDb, selection: RunSelection): Promise<Run[]> {
  const conditions: SQL[] = [isNull(runRows.parentRunId)];
  if (selection.visibleTo !== undefined) {
    const own = eq(runRows.apiKeyId, selection.visibleTo.apiKeyId);
    conditions.push(selection.visibleTo.teamId === null ? own : or(own, eq(runRows.teamId, selection.visibleTo.teamId))!);
  }
  if (selection.name !== undefined) conditions.push(eq(runRows.name, toStorableText(selection.name)));
  if (selection.status !== undefined) conditions.push(eq(runRows.status, selection.status));
  if (selection.apiKeyId !== undefined) conditions.push(eq(runRows.apiKeyId, selection.apiKeyId));
  if (selection.teamId !== undefined) conditions.push(eq(runRows.teamId, selection.teamId));
  if (selection.from !== undefined) conditions.push(sql`${runRows.startedAt} >= ${selection.from}`);
  if (selection.to !== undefined) conditions.push(sql`${runRows.startedAt} < ${selection.to}`);
  if (selection.ids !== undefined) {
    // Gantry ids or the ids the client named (which differ only where another team had used one first).
    const ids = selection.ids.map(toStorableText);
    conditions.push(or(inArray(runRows.id, ids), inArray(runRows.clientRunId, ids))!);
  }
  const rows = await db.select().from(runRows).where(and(...conditions)).orderBy(desc(runRows.startedAt), desc(runRows.id)).limit(selection.limit);
  return fromStorable(rows);
}

/** A recorded run tree as stored: its runs (root first) and all their spans, in start order. */
export async function loadRunTree(db: GantryDb, rootRunId: string): Promise<{ runs: Run[]; spans: Span[] }> {
  const tree = await listRunSubtree(db, toStorableText(rootRunId));
  const spans = await listSpansOfRuns(db, tree.map((run) => run.id));
  return fromStorable({ runs: tree, spans });
}

/** A dataset with its items, written together; undefined when the owner already has one of that name. */
export async function insertDataset(db: GantryDb, row: NewDatasetRow, items: readonly { sourceRunId: string; snapshot: unknown }[]): Promise<DatasetRow | undefined> {
  return db.transaction(async (tx) => {
    const inserted = await tx
      .insert(datasets)
      .values({ ...row, name: toStorableText(row.name), itemCount: items.length })
      .onConflictDoNothing({ target: [datasets.owner, datasets.name] })
      .returning();
    const dataset = inserted[0];
    if (dataset === undefined) return undefined;
    // Snapshots can be large: a few hundred per statement keeps each well under parameter limits.
    for (let start = 0; start < items.length; start += 200) {
      const values = items.slice(start, start + 200).map((item, offset) => sql`(${dataset.id}, ${start + offset}, ${toStorableText(item.sourceRunId)}, ${storableJson(item.snapshot, 'json')})`);
      await tx.execute(sql`insert into dataset_items (dataset_id, position, source_run_id, snapshot) values ${sql.join(values, sql`, `)}`);
    }
    return fromStorable(dataset);
  });
}

/** Datasets of an owner (all of them for undefined: the master key), newest first. */
export async function listDatasets(db: GantryDb, owner: string | undefined): Promise<DatasetRow[]> {
  const rows = await db
    .select()
    .from(datasets)
    .where(owner === undefined ? undefined : eq(datasets.owner, owner))
    .orderBy(desc(datasets.createdAt), desc(datasets.id));
  return fromStorable(rows);
}

/** A dataset by id, or by name within an owner. */
export async function findDataset(db: GantryDb, by: { id: string } | { owner: string; name: string }): Promise<DatasetRow | undefined> {
  const where = 'id' in by ? eq(datasets.id, toStorableText(by.id)) : and(eq(datasets.owner, by.owner), eq(datasets.name, toStorableText(by.name)));
  const [row] = await db.select().from(datasets).where(where);
  return row === undefined ? undefined : fromStorable(row);
}

/** The names of datasets by id (ids of deleted datasets are absent). */
export async function datasetNames(db: GantryDb, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const rows = await db.select({ id: datasets.id, name: datasets.name }).from(datasets).where(inArray(datasets.id, [...new Set(ids)]));
  return new Map(fromStorable(rows).map((row) => [row.id, row.name]));
}

/** Deletes a dataset and its items; false when there was none. */
export async function deleteDataset(db: GantryDb, id: string): Promise<boolean> {
  return db.transaction(async (tx) => {
    const deleted = await tx.delete(datasets).where(eq(datasets.id, id)).returning({ id: datasets.id });
    await tx.delete(datasetItems).where(eq(datasetItems.datasetId, id));
    return deleted.length > 0;
  });
}

/** A dataset's items in order (only `positions` when given), snapshots as stored. */
export async function listDatasetItems(db: GantryDb, datasetId: string, positions?: readonly number[]): Promise<{ position: number; sourceRunId: string; snapshot: unknown }[]> {
  const where = positions === undefined ? eq(datasetItems.datasetId, datasetId) : and(eq(datasetItems.datasetId, datasetId), inArray(datasetItems.position, [...positions]));
  const rows = await db
    .select({ position: datasetItems.position, sourceRunId: datasetItems.sourceRunId, snapshot: datasetItems.snapshot })
    .from(datasetItems)
    .where(where)
    .orderBy(asc(datasetItems.position));
  return fromStorable(rows);
}

/** A dataset's items without their snapshots: position, source run and how many steps each holds. */
export async function listDatasetItemOutlines(db: GantryDb, datasetId: string, positions?: readonly number[]): Promise<{ position: number; sourceRunId: string; steps: number }[]> {
  const where = positions === undefined ? eq(datasetItems.datasetId, datasetId) : and(eq(datasetItems.datasetId, datasetId), inArray(datasetItems.position, [...positions]));
  const rows = await db
    .select({ position: datasetItems.position, sourceRunId: datasetItems.sourceRunId, steps: sql<number>`json_array_length(${datasetItems.snapshot} -> 'steps')` })
    .from(datasetItems)
    .where(where)
    .orderBy(asc(datasetItems.position));
  return fromStorable(rows.map((row) => ({ ...row, steps: Number(row.steps) })));
}

export async function insertReplay(db: GantryDb, row: NewReplayRow): Promise<ReplayRow> {
  const [inserted] = await db.insert(replays).values(row).returning();
  return inserted!;
}

export async function getReplay(db: GantryDb, id: string): Promise<ReplayRow | undefined> {
  const [row] = await db.select().from(replays).where(eq(replays.id, toStorableText(id)));
  return row;
}

/** Replays of an owner (all for undefined), newest first. */
export async function listReplays(db: GantryDb, owner: string | undefined, limit: number): Promise<ReplayRow[]> {
  return db
    .select()
    .from(replays)
    .where(owner === undefined ? undefined : eq(replays.owner, owner))
    .orderBy(desc(replays.createdAt), desc(replays.id))
    .limit(limit);
}

/** Ends a running replay; false when it had already ended (cancelled, say). */
export async function endReplay(db: GantryDb, id: string, status: Exclude<ReplayStatus, 'running'>, at: Date, error?: string): Promise<boolean> {
  const ended = await db
    .update(replays)
    .set({ status, endedAt: at, error: error ?? null })
    .where(and(eq(replays.id, id), eq(replays.status, 'running')))
    .returning({ id: replays.id });
  return ended.length > 0;
}

/** Renews the heartbeat of replays this instance runs; returns those still running (not cancelled). */
export async function heartbeatReplays(db: GantryDb, ids: readonly string[], at: Date): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .update(replays)
    .set({ heartbeatAt: at })
    .where(and(inArray(replays.id, [...ids]), eq(replays.status, 'running')))
    .returning({ id: replays.id });
  return rows.map((row) => row.id);
}

/**
 * Claims running replays whose instance stopped renewing their heartbeat (it crashed): the
 * heartbeat is taken over in the same statement, so of N instances exactly one claims each.
 */
export async function claimStaleReplays(db: GantryDb, staleBefore: Date, at: Date, limit: number): Promise<ReplayRow[]> {
  const result = await db.execute<{ id: string }>(sql`
    update replays set heartbeat_at = ${at}
    where id in (
      select id from replays where status = 'running' and heartbeat_at < ${staleBefore}
      order by heartbeat_at limit ${limit} for update skip locked
    ) returning id`);
  const ids = result.rows.map((row) => row.id);
  if (ids.length === 0) return [];
  return db.select().from(replays).where(inArray(replays.id, ids));
}

/**
 * Records a replayed step. A step already scored keeps its first row (a resumed replay racing);
 * one whose call had failed is replaced by the retry.
 */
export async function insertReplayStep(db: GantryDb, row: NewReplayStepRow): Promise<void> {
  await db.execute(sql`
    insert into replay_steps (replay_id, position, candidate, step, source_span_id, span_id, run_id, score, result, error, cost_micros, latency_ms, ttft_ms)
    values (${row.replayId}, ${row.position}, ${row.candidate}, ${row.step}, ${toStorableText(row.sourceSpanId)}, ${row.spanId ?? null}, ${toStorableText(row.runId)},
      ${row.score === undefined || row.score === null ? null : storableJson(row.score, 'jsonb')}, ${row.result === undefined || row.result === null ? null : storableJson(row.result, 'json')},
      ${row.error === undefined || row.error === null ? null : storableJson(row.error, 'jsonb')}, ${row.costMicros ?? 0}, ${row.latencyMs ?? 0}, ${row.ttftMs ?? null})
    on conflict (replay_id, position, candidate, step) do update set span_id = excluded.span_id, run_id = excluded.run_id, score = excluded.score, result = excluded.result,
      error = excluded.error, cost_micros = excluded.cost_micros, latency_ms = excluded.latency_ms, ttft_ms = excluded.ttft_ms, ended_at = now()
    where replay_steps.score is null`);
}

/** Records how a replayed item ended (replacing an earlier ending of the same item). */
export async function upsertReplayItem(db: GantryDb, row: Omit<ReplayItemRow, 'endedAt'>): Promise<void> {
  await db.execute(sql`
    insert into replay_items (replay_id, position, candidate, status, run_id, summary)
    values (${row.replayId}, ${row.position}, ${row.candidate}, ${row.status}, ${toStorableText(row.runId)}, ${storableJson(row.summary, 'jsonb')})
    on conflict (replay_id, position, candidate) do update set status = excluded.status, run_id = excluded.run_id, summary = excluded.summary, ended_at = now()`);
}

export async function listReplayItems(db: GantryDb, replayId: string): Promise<ReplayItemRow[]> {
  const rows = await db.select().from(replayItems).where(eq(replayItems.replayId, replayId)).orderBy(asc(replayItems.position), asc(replayItems.candidate));
  return fromStorable(rows);
}

/** Steps of a replay without the candidates' answers (scores, errors, cost, latency): what its progress and failures are read from. */
export async function listReplayStepOutcomes(db: GantryDb, replayId: string): Promise<Omit<ReplayStepRow, 'result'>[]> {
  const { result: _result, ...columns } = getTableColumns(replaySteps);
  const rows = await db.select(columns).from(replaySteps).where(eq(replaySteps.replayId, replayId)).orderBy(asc(replaySteps.position), asc(replaySteps.candidate), asc(replaySteps.step));
  return fromStorable(rows);
}

/** Steps of a replay, of one item when `position` is given, in order. */
export async function listReplaySteps(db: GantryDb, replayId: string, position?: number): Promise<ReplayStepRow[]> {
  const where = position === undefined ? eq(replaySteps.replayId, replayId) : and(eq(replaySteps.replayId, replayId), eq(replaySteps.position, position));
  const rows = await db.select().from(replaySteps).where(where).orderBy(asc(replaySteps.position), asc(replaySteps.candidate), asc(replaySteps.step));
  return fromStorable(rows);
}
