import { and, asc, desc, eq, gt, lt, sql, type SQL } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';
import { fromStorable, toStorableText } from '../storable-text.ts';
import { responseItems, responses, type ResponseRow } from '../schema/responses.ts';
import { runs, type NewRun } from '../schema/runs.ts';
import { jsonRecordset } from './json-rows.ts';

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
  /** A run this response starts: its row is written in the same statement (ignored when it exists). */
  newRun?: NewRun;
}

function itemIdOf(item: Record<string, unknown>): string {
  return typeof item.id === 'string' ? item.id : '';
}

/**
 * Writes a response, its items and (for the first response of a chain) its run in one statement:
 * one round trip, and nothing half-written. With `stored: false`, only the response row (id,
 * owner, run) is written.
 */
export async function insertResponse(db: GantryDb, input: StoredResponseInput): Promise<void> {
  const row = {
    id: input.id,
    apiKeyId: input.owner.apiKeyId,
    teamId: input.owner.teamId,
    runId: input.runId,
    previousResponseId: input.previousResponseId,
    stored: input.stored,
    response: input.stored ? input.response : null,
    createdAt: input.createdAt,
  };
  const items = input.stored
    ? [...input.inputItems.map((item) => ({ item, output: false })), ...input.outputItems.map((item) => ({ item, output: true }))].map(({ item, output }, position) => ({
        responseId: input.id,
        position,
        itemId: itemIdOf(item),
        output,
        teamId: input.owner.teamId,
        apiKeyId: input.owner.apiKeyId,
        item,
      }))
    : [];
  const newRuns = input.newRun === undefined ? [] : [input.newRun];
  await db.execute(sql`
    with new_run as (insert into runs select * from ${jsonRecordset(runs, newRuns)} on conflict (id) do nothing),
         new_response as (insert into responses select * from ${jsonRecordset(responses, [row])})
    insert into response_items select * from ${jsonRecordset(responseItems, items)}`);
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
