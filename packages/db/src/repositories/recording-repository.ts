import { asc, eq, sql } from 'drizzle-orm';
import { toJsonRows } from './json-rows.ts';
import type { GantryDb } from '../gantry-db.ts';
import { runs, type NewRun } from '../schema/runs.ts';
import { spans, type NewSpan, type Span } from '../schema/spans.ts';

/**
 * Inserts the runs not yet stored (`ON CONFLICT (id) DO NOTHING`) and returns the ids actually
 * inserted. Existing rows are left untouched.
 */
export async function insertRunsIgnoreExisting(db: GantryDb, rows: readonly NewRun[]): Promise<string[]> {
  if (rows.length === 0) return [];
  const result = await db.execute<{ id: string }>(
    sql`insert into runs select * from json_populate_recordset(null::runs, ${toJsonRows(runs, rows)}::json) on conflict (id) do nothing returning id`,
  );
  return result.rows.map((row) => row.id);
}

/**
 * Inserts spans in one statement whatever the batch size. A span whose id exists already fails the
 * statement: span ids are UUIDv7s minted once.
 */
export async function insertSpans(db: GantryDb, rows: readonly NewSpan[]): Promise<void> {
  if (rows.length === 0) return;
  await db.execute(sql`insert into spans select * from json_populate_recordset(null::spans, ${toJsonRows(spans, rows)}::json)`);
}

export async function getSpan(db: GantryDb, id: string): Promise<Span | undefined> {
  const [span] = await db.select().from(spans).where(eq(spans.id, id)).limit(1);
  return span;
}

/** A run's spans in start order (ties broken by id, which is time-sortable). */
export async function listSpansByRun(db: GantryDb, runId: string): Promise<Span[]> {
  return db
    .select()
    .from(spans)
    .where(eq(spans.runId, runId))
    .orderBy(asc(spans.startedAt), asc(spans.id));
}
