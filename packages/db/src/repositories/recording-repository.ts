import { asc, eq } from 'drizzle-orm';
import type { GantryDb } from '../gantry-db.ts';
import { runs, type NewRun } from '../schema/runs.ts';
import { spans, type NewSpan, type Span } from '../schema/spans.ts';

// Postgres allows 65 535 bind parameters per statement; a span row binds up to 25.
const maxSpansPerStatement = 2_000;
// A run row binds up to 15.
const maxRunsPerStatement = 4_000;

/**
 * Inserts the runs not yet stored (`ON CONFLICT (id) DO NOTHING`) and returns the ids actually
 * inserted. Existing rows are left untouched.
 */
export async function insertRunsIgnoreExisting(
  db: GantryDb,
  rows: readonly NewRun[],
): Promise<string[]> {
  const insertedIds: string[] = [];
  for (const chunk of chunks(rows, maxRunsPerStatement)) {
    const inserted = await db
      .insert(runs)
      .values(chunk)
      .onConflictDoNothing({ target: runs.id })
      .returning({ id: runs.id });
    for (const { id } of inserted) insertedIds.push(id);
  }
  return insertedIds;
}

/**
 * Inserts spans with one multi-row INSERT (split only past Postgres' bind-parameter limit). A span
 * whose id exists already fails the statement: span ids are UUIDv7s minted once.
 */
export async function insertSpans(db: GantryDb, rows: readonly NewSpan[]): Promise<void> {
  for (const chunk of chunks(rows, maxSpansPerStatement)) {
    await db.insert(spans).values(chunk);
  }
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

function* chunks<T>(rows: readonly T[], size: number): Generator<T[]> {
  for (let start = 0; start < rows.length; start += size) {
    yield rows.slice(start, start + size);
  }
}
