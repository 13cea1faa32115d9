import { and, desc, eq, gte, inArray, lt, or, sql, type SQL } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';
import { runs } from '../schema/runs.ts';
import { spans } from '../schema/spans.ts';
import { fromStorable, toStorableText } from '../storable-text.ts';

/**
 * What `x-gantry-cache: off` leaves on a call's span (`cache_bypass`, response-cache.ts): such a
 * call never reads or writes the cache (the cache's own judge calls are among them).
 */
const OPTED_OUT_OF_CACHE = 'the request said not to cache';

/** Span names Gantry gives the calls `gantry cache calibrate` makes itself (its replays and judge): never traffic. */
export const CALIBRATION_SPAN_PREFIX = 'cache-calibration';

/** A recorded chat call that may stand for cache traffic, as stored. */
export interface TrafficSpanRow {
  id: string;
  runId: string;
  startedAt: Date;
  apiKeyId: string | null;
  /** What the client asked for (alias or provider/model). */
  model: string | null;
  /** The provider that answered (config key). */
  provider: string | null;
  /** The model the provider reported. */
  upstreamModel: string | null;
  /** The stored canonical request. */
  request: unknown;
  /** The stored canonical result. */
  result: unknown;
}

/** Whose traffic a caller may read: a key's own runs and its team's; undefined for the master key (all). */
export interface TrafficVisibility {
  apiKeyId: string | null;
  teamId: string | null;
}

/** One page of traffic, newest first. */
export interface TrafficPageQuery {
  /** Start of the window, inclusive. */
  since: Date;
  /** End of the window, exclusive. */
  until: Date;
  /** The last span of the page before (its start and id), when paging on. */
  after?: { startedAt: Date; id: string };
  /** Rows to read, at most. */
  limit: number;
}

/**
 * What makes a span traffic: a chat call (`llm`, a request with messages) that succeeded, was
 * answered by a provider (not the cache), did not opt out of the cache, is not one of the
 * calibration's own calls, and is a first turn (no assistant or tool message: no tool results).
 * The last user message and the rest of the semantic key are checked by the caller.
 */
function trafficConditions(visibleTo: TrafficVisibility | undefined): SQL[] {
  const conditions: SQL[] = [
    eq(spans.kind, 'llm'),
    eq(spans.status, 'ok'),
    sql`${spans.result} is not null`,
    sql`${spans.attributes} ->> 'answered_by' is null`,
    sql`coalesce(${spans.attributes} ->> 'cache_bypass', '') <> ${OPTED_OUT_OF_CACHE}`,
    sql`coalesce(${spans.name}, '') not like ${`${CALIBRATION_SPAN_PREFIX}%`}`,
    sql`json_typeof(${spans.request} -> 'messages') = 'array'`,
    // CASE keeps the element scan from ever meeting a request whose messages are not an array.
    sql`case when json_typeof(${spans.request} -> 'messages') = 'array' then not exists (
      select 1 from json_array_elements(${spans.request} -> 'messages') as message where message ->> 'role' in ('assistant', 'tool')
    ) else false end`,
  ];
  if (visibleTo !== undefined) {
    // A one-call run has no row (run_rows): its owner is on its llm span.
    const own = visibleTo.apiKeyId === null ? undefined : sql`coalesce(${runs.apiKeyId}, ${spans.apiKeyId}) = ${visibleTo.apiKeyId}`;
    const team = visibleTo.teamId === null ? undefined : sql`coalesce(${runs.teamId}, ${spans.teamId}) = ${visibleTo.teamId}`;
    conditions.push(own === undefined && team === undefined ? sql`false` : or(own, team)!);
  }
  return conditions;
}

const trafficColumns = {
  id: spans.id,
  runId: spans.runId,
  startedAt: spans.startedAt,
  apiKeyId: spans.apiKeyId,
  model: spans.model,
  provider: spans.provider,
  upstreamModel: spans.upstreamModel,
  request: spans.request,
  result: spans.result,
};

/**
 * Recorded traffic in a window, newest first, `limit` rows at most, as the caller may see it (its
 * key's and its team's runs; everything for the master key). Page on with the last row's start
 * and id as `after`. Text comes back as it was written.
 */
export async function listTrafficSpans(db: GantryDb, query: TrafficPageQuery, visibleTo: TrafficVisibility | undefined): Promise<TrafficSpanRow[]> {
  const conditions = [...trafficConditions(visibleTo), gte(spans.startedAt, query.since), lt(spans.startedAt, query.until)];
  if (query.after !== undefined) {
    conditions.push(sql`(${spans.startedAt}, ${spans.id}) < (${query.after.startedAt.toISOString()}::timestamptz, ${toStorableText(query.after.id)})`);
  }
  const rows = await db
    .select(trafficColumns)
    .from(spans)
    .leftJoin(runs, eq(runs.id, spans.runId))
    .where(and(...conditions))
    .orderBy(desc(spans.startedAt), desc(spans.id))
    .limit(query.limit);
  return fromStorable(rows);
}

/**
 * The traffic spans among `ids` the caller may see, oldest first; ids of other spans (another
 * team's, a failed call, a cache hit, none at all) are simply absent.
 */
export async function getTrafficSpans(db: GantryDb, ids: readonly string[], visibleTo: TrafficVisibility | undefined): Promise<TrafficSpanRow[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select(trafficColumns)
    .from(spans)
    .leftJoin(runs, eq(runs.id, spans.runId))
    .where(and(inArray(spans.id, ids.map(toStorableText)), ...trafficConditions(visibleTo)))
    .orderBy(spans.startedAt, spans.id);
  return fromStorable(rows);
}
