import { and, asc, desc, eq, gt, lt, sql, type SQL } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';
import { fromStorable, toStorableJson, toStorableText } from '../storable-text.ts';
import { responseItems, responses, type ResponseRow } from '../schema/responses.ts';
import type { NewRun } from '../schema/runs.ts';
import type { RunDelta } from './runs-repository.ts';
import { upsertStartedRunCounters, type StartedRunCounter } from './ledger-repository.ts';

/** Who may read a stored response: its team, or its key when the key has no team. Null: the master key (everything). */
export interface ResponseOwner {
  apiKeyId: string | null;
  teamId: string | null;
}

export interface StoredResponseInput {
  id: string;
  owner: ResponseOwner;
  runId: string;
  previousResponseId: string | null;
  /** False: keep the id, owner and run only (`store: false`). */
  stored: boolean;
  response: Record<string, unknown> | null;
  inputItems: readonly Record<string, unknown>[];
  outputItems: readonly Record<string, unknown>[];
  createdAt: Date;
  /** A run this response starts, written in the same statement. */
  newRun?: StartedRun;
}

/**
 * A run started by its first call's caller (the Responses API's first turn) and written once that
 * call is over: its row with the call's totals (the recorder leaves them to this write), and its
 * ledger counter when the call was checked against the run's limits in memory.
 */
export interface StartedRun {
  row: NewRun;
  totals: RunDelta | undefined;
  counter: StartedRunCounter | undefined;
}

function itemIdOf(item: Record<string, unknown>): string {
  return typeof item.id === 'string' ? item.id : '';
}

/** A jsonb parameter, its text made storable (storable-text.ts). */
function jsonb(value: unknown): SQL {
  return sql`${toStorableJson(JSON.stringify(value))}::jsonb`;
}

function storableText(value: string | null | undefined): string | null {
  return value === null || value === undefined ? null : toStorableText(value);
}

/** A started run's row, as `insertRuns` takes it. */
function runValues({ row, totals }: StartedRun, at: Date): SQL {
  const lastActivityAt = totals?.lastActivityAt ?? row.lastActivityAt ?? at;
  return sql`(${storableText(row.id)}, ${storableText(row.scope)}, ${storableText(row.clientRunId)}, ${storableText(row.rootRunId)}, ${storableText(row.apiKeyId)}, ${storableText(row.teamId)}, ${storableText(row.name)}, ${row.status ?? 'running'},
    ${(row.startedAt ?? at).toISOString()}::timestamptz, ${lastActivityAt.toISOString()}::timestamptz, ${totals?.costMicros ?? 0}::bigint, ${totals?.inputTokens ?? 0}::bigint, ${totals?.outputTokens ?? 0}::bigint,
    ${totals?.llmCalls ?? 0}::integer, ${totals?.toolCalls ?? 0}::integer)`;
}

/**
 * Inserts started runs with their first call's totals. A run that exists already (a call naming it
 * arrived while its first call was in flight) gains them, as `applyRunDeltas` would have added them.
 */
function insertRuns(rows: SQL[]): SQL {
  // In id order, as applyRunDeltas locks them, so that the two cannot deadlock.
  return sql`insert into runs (id, scope, client_run_id, root_run_id, api_key_id, team_id, name, status, started_at, last_activity_at, cost_micros, input_tokens, output_tokens, llm_calls, tool_calls)
    select * from (values ${sql.join(rows, sql`, `)}) as v order by 1
    on conflict (id) do update set cost_micros = runs.cost_micros + excluded.cost_micros, input_tokens = runs.input_tokens + excluded.input_tokens,
      output_tokens = runs.output_tokens + excluded.output_tokens, llm_calls = runs.llm_calls + excluded.llm_calls, tool_calls = runs.tool_calls + excluded.tool_calls,
      last_activity_at = greatest(runs.last_activity_at, excluded.last_activity_at)
    where runs.scope = excluded.scope`;
}

/**
 * The run a response was to start, written without the response (its call failed, or its client
 * left): its row and totals, and the counter its first call left, if any.
 */
export async function insertStartedRun(db: GantryDb, run: StartedRun): Promise<void> {
  const insert = insertRuns([runValues(run, new Date())]);
  await db.execute(run.counter === undefined ? insert : sql`with new_counters as (${upsertStartedRunCounters([run.counter])}) ${insert}`);
}

/**
 * Writes responses, their items and the runs they start (rows and counters) in one statement: one
 * round trip, and nothing half-written. A response with `stored: false` writes only its own row (id, owner, run).
 * Plain VALUES rather than the recorder's `jsonRecordset`: these rows are written on calls' own
 * path, a few at a time, and a single-row json_populate_recordset cost the embedded database 2.5×
 * the time of a parameterized insert.
 */
export async function insertResponses(db: GantryDb, inputs: readonly StoredResponseInput[]): Promise<void> {
  if (inputs.length === 0) return;
  const runRows: SQL[] = [];
  const counters: StartedRunCounter[] = [];
  const itemRows: SQL[] = [];
  const responseRows: SQL[] = [];
  for (const input of inputs) {
    const owner = input.owner;
    const id = toStorableText(input.id);
    const run = input.newRun;
    if (run !== undefined) {
      runRows.push(runValues(run, input.createdAt));
      if (run.counter !== undefined) counters.push(run.counter);
    }
    if (input.stored) {
      const items = [...input.inputItems.map((item) => ({ item, output: false })), ...input.outputItems.map((item) => ({ item, output: true }))];
      items.forEach(({ item, output }, position) => {
        itemRows.push(sql`(${id}, ${position}, ${storableText(itemIdOf(item))}, ${output}, ${storableText(owner.teamId)}, ${storableText(owner.apiKeyId)}, ${jsonb(item)})`);
      });
    }
    responseRows.push(sql`(${id}, ${storableText(owner.apiKeyId)}, ${storableText(owner.teamId)}, ${storableText(input.runId)}, ${storableText(input.previousResponseId)}, ${input.stored},
      ${input.stored && input.response !== null ? jsonb(input.response) : sql`null`}, ${input.createdAt.toISOString()}::timestamptz)`);
  }
  const statements: SQL[] = [];
  if (runRows.length > 0) {
    statements.push(sql`new_runs as (${insertRuns(runRows)})`);
  }
  if (counters.length > 0) statements.push(sql`new_counters as (${upsertStartedRunCounters(counters)})`);
  if (itemRows.length > 0) {
    statements.push(sql`new_items as (insert into response_items (response_id, position, item_id, output, team_id, api_key_id, item) values ${sql.join(itemRows, sql`, `)})`);
  }
  const insert = sql`insert into responses (id, api_key_id, team_id, run_id, previous_response_id, stored, response, created_at) values ${sql.join(responseRows, sql`, `)}`;
  await db.execute(statements.length === 0 ? insert : sql`with ${sql.join(statements, sql`, `)} ${insert}`);
}

/** The response row with this id, whoever owns it (callers check `canReadResponse`). */
export async function getResponseRow(db: GantryDb, id: string): Promise<ResponseRow | undefined> {
  const [row] = await db.select().from(responses).where(eq(responses.id, toStorableText(id))).limit(1);
  return row === undefined ? undefined : fromStorable(row);
}

/** Whether `caller` (null: the master key) may see a response or item owned by `owner`. */
export function canReadResponse(owner: ResponseOwner, caller: ResponseOwner | null): boolean {
  if (caller === null) return true;
  if (caller.teamId !== null) return owner.teamId === caller.teamId;
  return owner.teamId === null && caller.apiKeyId !== null && owner.apiKeyId === caller.apiKeyId;
}

/** A response of a `previous_response_id` chain, oldest first, with its items in order. */
export interface ChainLink {
  id: string;
  previousResponseId: string | null;
  stored: boolean;
  owner: ResponseOwner;
  runId: string;
  items: Record<string, unknown>[];
}

/** Longest chain of `previous_response_id` followed. */
export const MAX_RESPONSE_CHAIN = 10_000;

/**
 * The chain ending at response `id`, oldest first, each link with its input then output items:
 * one recursive query. Empty when `id` does not exist; the first link's `previousResponseId` is
 * not null when a response earlier in the chain was deleted.
 */
export async function listResponseChain(db: GantryDb, id: string): Promise<ChainLink[]> {
  const result = await db.execute<{
    id: string;
    previous_response_id: string | null;
    stored: boolean;
    team_id: string | null;
    api_key_id: string | null;
    run_id: string;
    items: Record<string, unknown>[] | string;
  }>(sql`
    with recursive chain as (
      select id, previous_response_id, stored, team_id, api_key_id, run_id, 0 as depth from responses where id = ${toStorableText(id)}
      union all
      select r.id, r.previous_response_id, r.stored, r.team_id, r.api_key_id, r.run_id, c.depth + 1
        from responses r join chain c on r.id = c.previous_response_id
        where c.depth < ${MAX_RESPONSE_CHAIN}
    )
    select c.id, c.previous_response_id, c.stored, c.team_id, c.api_key_id, c.run_id,
      (select coalesce(jsonb_agg(i.item order by i.position), '[]'::jsonb) from response_items i where i.response_id = c.id) as items
    from chain c order by c.depth desc`);
  return result.rows.map((row) =>
    fromStorable({
      id: row.id,
      previousResponseId: row.previous_response_id,
      stored: row.stored,
      owner: { apiKeyId: row.api_key_id, teamId: row.team_id },
      runId: row.run_id,
      items: typeof row.items === 'string' ? (JSON.parse(row.items) as Record<string, unknown>[]) : row.items,
    }),
  );
}

function ownedBy(caller: ResponseOwner | null): SQL | undefined {
  if (caller === null) return undefined;
  if (caller.teamId !== null) return eq(responseItems.teamId, caller.teamId);
  return caller.apiKeyId === null ? sql`false` : and(sql`${responseItems.teamId} is null`, eq(responseItems.apiKeyId, caller.apiKeyId));
}

/** A stored item, with the run of the response it belongs to. */
export interface FoundResponseItem {
  item: Record<string, unknown>;
  runId: string;
  createdAt: Date;
}

/**
 * Stored items by id that `caller` may read (the latest of each id), with the run of the response
 * holding them; ids not found are absent from the map. One query.
 */
export async function findResponseItems(db: GantryDb, ids: readonly string[], caller: ResponseOwner | null): Promise<Map<string, FoundResponseItem>> {
  if (ids.length === 0) return new Map();
  const rows = await db
    .selectDistinctOn([responseItems.itemId], { itemId: responseItems.itemId, item: responseItems.item, runId: responses.runId, createdAt: responses.createdAt })
    .from(responseItems)
    .innerJoin(responses, eq(responses.id, responseItems.responseId))
    .where(and(sql`${responseItems.itemId} = any(${sql.param(ids.map(toStorableText))}::text[])`, ownedBy(caller)))
    .orderBy(responseItems.itemId, desc(responses.createdAt), desc(responseItems.position));
  return new Map(rows.map((row) => [fromStorable(row.itemId), { item: fromStorable(row.item), runId: fromStorable(row.runId), createdAt: row.createdAt }]));
}

/** One page of a stored response's input items (`GET /v1/responses/:id/input_items`). */
export async function listResponseInputItems(
  db: GantryDb,
  id: string,
  page: { limit: number; order: 'asc' | 'desc'; after?: string },
): Promise<{ items: Record<string, unknown>[]; hasMore: boolean }> {
  const storedId = toStorableText(id);
  let afterPosition: number | undefined;
  if (page.after !== undefined) {
    const [cursor] = await db
      .select({ position: responseItems.position })
      .from(responseItems)
      .where(and(eq(responseItems.responseId, storedId), eq(responseItems.output, false), eq(responseItems.itemId, toStorableText(page.after))))
      .limit(1);
    if (cursor === undefined) return { items: [], hasMore: false };
    afterPosition = cursor.position;
  }
  const rows = await db
    .select({ item: responseItems.item })
    .from(responseItems)
    .where(
      and(
        eq(responseItems.responseId, storedId),
        eq(responseItems.output, false),
        afterPosition === undefined ? undefined : page.order === 'asc' ? gt(responseItems.position, afterPosition) : lt(responseItems.position, afterPosition),
      ),
    )
    .orderBy(page.order === 'asc' ? asc(responseItems.position) : desc(responseItems.position))
    .limit(page.limit + 1);
  return { items: rows.slice(0, page.limit).map((row) => fromStorable(row.item)), hasMore: rows.length > page.limit };
}

/** Deletes a response and its items; true when it existed. */
export async function deleteResponse(db: GantryDb, id: string): Promise<boolean> {
  const storedId = toStorableText(id);
  const result = await db.execute<{ id: string }>(sql`
    with gone_items as (delete from response_items where response_id = ${storedId})
    delete from responses where id = ${storedId} returning id`);
  return result.rows.length > 0;
}
