import { and, asc, eq, sql } from 'drizzle-orm';
import { foldSingleAttempts, FOLDED_ATTEMPT_KEY, unfoldAttempts, unfoldSpan } from './folded-attempts.ts';
import { jsonRecordset, jsonRecordsetOfTexts, jsonRowText } from './json-rows.ts';
import type { GantryDb } from '../gantry-db.ts';
import { fromStorable, toStorableText } from '../storable-text.ts';
import { runs, type NewRun } from '../schema/runs.ts';
import { spans, type NewSpan, type Span } from '../schema/spans.ts';

/**
 * Inserts the runs not yet stored (`ON CONFLICT DO NOTHING`: on the id, or on the client id in its
 * scope) and returns the ids actually inserted. Existing rows are left untouched.
 */
export async function insertRunsIgnoreExisting(db: GantryDb, rows: readonly NewRun[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const result = await db.execute<{ id: string }>(sql`insert into runs select * from ${jsonRecordset(runs, rows)} on conflict do nothing returning id`);
  return result.rows.map((row) => row.id);
}

/**
 * Inserts spans in one statement whatever the batch size. A span whose id is stored already is left
 * as it is (`on conflict do nothing`): a batch is written again when its statement timed out, and
 * the database may have committed it after the gateway stopped waiting (a frozen connection that
 * thaws) — writing it again must not fail. An llm span's only attempt, when everything about it
 * but its id, start and model is the llm span's, is stored inside the llm span's row (see
 * folded-attempts.ts); the readers below return it as the span it was.
 */
export async function insertSpans(db: GantryDb, rows: readonly NewSpan[]): Promise<void> {
  await insertSpanTexts(db, spanRowTexts(rows));
}

/**
 * The text `insertSpans` writes for each of `rows`, in their order: the row's JSON, or `''` for an
 * attempt stored inside its llm span's row (folded: both must be in `rows`). The span recorder makes
 * these when a call is recorded, so a batch's write joins them instead of serializing hundreds of
 * rows in one go on the event loop.
 */
export function spanRowTexts(rows: readonly NewSpan[]): string[] {
  const stored = foldSingleAttempts(rows);
  let next = 0;
  return rows.map((row) => (stored[next]?.id === row.id ? jsonRowText(spans, stored[next++]!) : ''));
}

/** `insertSpans` of rows made into text by {@link spanRowTexts}, as strings or UTF-8 (empty ones are skipped). */
export async function insertSpanTexts(db: GantryDb, texts: readonly (string | Uint8Array)[]): Promise<void> {
  const rows = texts.filter((text) => text.length > 0);
  if (rows.length === 0) return;
  await db.execute(sql`insert into spans select * from ${jsonRecordsetOfTexts(spans, rows)} on conflict do nothing`);
}

/**
 * One span by id. A folded attempt is found through its llm span; pass the run it belongs to
 * (when known) so that lookup stays on the run's index rather than scanning llm spans. Text
 * stored escaped (NUL, lone surrogates: storable-text.ts) comes back as it was written.
 */
export async function getSpan(db: GantryDb, id: string, runId?: string): Promise<Span | undefined> {
  // Ids come from clients (a tool call's id, a URL): looked up in the form they were stored in.
  const storedId = toStorableText(id);
  const [span] = await db.select().from(spans).where(eq(spans.id, storedId)).limit(1);
  if (span !== undefined) return fromStorable(unfoldSpan(span)[0]);
  const [owner] = await db
    .select()
    .from(spans)
    .where(and(runId === undefined ? undefined : eq(spans.runId, toStorableText(runId)), eq(spans.kind, 'llm'), sql`${spans.attributes} -> ${FOLDED_ATTEMPT_KEY} ->> 'id' = ${storedId}`))
    .limit(1);
  return owner === undefined ? undefined : fromStorable(unfoldSpan(owner)[1]);
}

/** A run's spans in start order (ties broken by id, which is time-sortable), text as it was written. */
export async function listSpansByRun(db: GantryDb, runId: string): Promise<Span[]> {
  const rows = await db
    .select()
    .from(spans)
    .where(eq(spans.runId, toStorableText(runId)))
    .orderBy(asc(spans.startedAt), asc(spans.id));
  return fromStorable(unfoldAttempts(rows));
}
