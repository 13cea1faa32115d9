import { getTableColumns, is, SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';

/**
 * A batch as one JSON array keyed by column name, defaults filled in, expanded by Postgres'
 * `json_populate_recordset`. This is the hot write path: one parameter serialized by the native
 * JSON.stringify instead of drizzle building and binding every value of every row (which showed
 * up as the gateway's largest CPU cost under load), and no bind-parameter limit to split around.
 */
export function toJsonRows(table: PgTable, rows: readonly Record<string, unknown>[]): string {
  const columns = Object.entries(getTableColumns(table)).map(([property, column]) => {
    let fallback: () => unknown = () => null;
    if (column.default !== undefined && !is(column.default, SQL)) {
      const value = column.default;
      fallback = () => value;
    } else if (column.defaultFn !== undefined) {
      fallback = column.defaultFn as () => unknown;
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
