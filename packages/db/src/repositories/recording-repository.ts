import { asc, eq, getTableColumns, is, SQL, sql } from 'drizzle-orm';
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

/**
 * A batch as one JSON array keyed by column name, defaults filled in, expanded by Postgres'
 * `json_populate_recordset`. This is the hot write path: one parameter serialized by the native
 * JSON.stringify instead of drizzle building and binding every value of every row (which showed
 * up as the gateway's largest CPU cost under load), and no bind-parameter limit to split around.
 */
function toJsonRows(table: typeof spans | typeof runs, rows: readonly Record<string, unknown>[]): string {
  const columns = Object.entries(getTableColumns(table)).map(([property, column]) => {
    let fallback: () => unknown = () => null;
    if (column.default !== undefined && !is(column.default, SQL)) {
      const value = column.default;
      fallback = () => value;
    } else if (column.hasDefault && column.columnType === 'PgTimestamp') {
      // defaultNow(): the same instant the database would have used, give or take the batch delay.
      fallback = () => new Date();
    }
    return { property, name: column.name, fallback };
  });
  const json = JSON.stringify(
    rows.map((row) => {
      const out: Record<string, unknown> = {};
      for (const column of columns) out[column.name] = row[column.property] ?? column.fallback();
      return out;
    }),
  );
  // Postgres text, json and jsonb cannot hold U+0000; one NUL in a model's output would fail the
  // whole batch. Stored as U+FFFD instead (an escaped backslash before `u0000` is left alone).
  return json.includes('\\u0000') ? json.replace(/(?<!\\)((?:\\\\)*)\\u0000/g, '$1\\ufffd') : json;
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
