import { getTableColumns, getTableName, is, sql, SQL } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { GantryDb } from '../gantry-db.ts';
import { toStorableJson } from '../storable-text.ts';

interface JsonColumn {
  /** The drizzle property (camelCase) a row holds the value under. */
  property: string;
  /** The column name: the JSON key `json_populate_recordset` matches. */
  name: string;
  /** The value written when a row has none (null when the column has no default). */
  fallback: () => unknown;
  /** A default the same for every row (not a function, not SQL), or undefined. */
  constant: unknown;
}

interface JsonTable {
  columns: JsonColumn[];
  /** The row of constant defaults as JSON (`jsonRecordset`'s base row). */
  defaults: string;
}

const tables = new WeakMap<PgTable, JsonTable>();

function describe(table: PgTable): JsonTable {
  const known = tables.get(table);
  if (known !== undefined) return known;
  const columns: JsonColumn[] = Object.entries(getTableColumns(table)).map(([property, column]) => {
    let fallback: () => unknown = () => null;
    let constant: unknown;
    if (column.default !== undefined && !is(column.default, SQL)) {
      const value = column.default;
      fallback = () => value;
      constant = value;
    } else if (column.defaultFn !== undefined) {
      fallback = column.defaultFn as () => unknown;
    } else if (column.hasDefault && column.columnType === 'PgTimestamp') {
      // defaultNow(): the same instant the database would have used, give or take the batch delay.
      fallback = () => new Date();
    }
    return { property, name: column.name, fallback, constant };
  });
  const defaults: Record<string, unknown> = {};
  for (const column of columns) if (column.constant !== undefined) defaults[column.name] = column.constant;
  const described = { columns, defaults: JSON.stringify(defaults) };
  tables.set(table, described);
  return described;
}

let isoSecond = Number.NaN;
let isoPrefix = '';

/**
 * `date.toISOString()`, from the ISO text of its second, remembered: a batch's times fall in a few
 * seconds, and `JSON.stringify` spent more on a row's two or three dates than on the rest of it.
 */
export function isoTime(date: Date): string | null {
  const time = date.getTime();
  // An invalid date is written as JSON.stringify writes it.
  if (Number.isNaN(time)) return null;
  const second = Math.floor(time / 1000);
  // Years before 0 or after 9999 have a longer prefix than the 20 characters kept here.
  if (second !== isoSecond) {
    const iso = date.toISOString();
    if (iso.length !== 24) return iso;
    isoSecond = second;
    isoPrefix = iso.slice(0, 20);
  }
  const millis = time - second * 1000;
  return `${isoPrefix}${millis < 10 ? '00' : millis < 100 ? '0' : ''}${millis}Z`;
}

/** A primitive default (`0`, `'running'`) a value may equal; objects are always written. */
function isConstant(value: unknown, constant: unknown): boolean {
  return value === constant && (value === null || typeof value !== 'object');
}

/**
 * `json_populate_recordset(<defaults row>, <rows>)` for an `INSERT … SELECT *`: a batch as one JSON
 * array keyed by column name. This is the hot write path: one parameter serialized by the native
 * JSON.stringify instead of drizzle building and binding every value of every row (which showed
 * up as the gateway's largest CPU cost under load), and no bind-parameter limit to split around.
 * Each row carries only the columns that differ from the table's constant defaults — nulls, zero
 * counters and `{}` are left out, and Postgres fills them from the base row
 * (`json_populate_record(null::table, <defaults>)`), which a missing key falls back to.
 * Postgres parses every byte of the batch at least twice (the `json` parameter, then each row
 * and column), so leaving out what it can infer is the cheapest bytes to save. Per-row defaults
 * (`defaultNow()`, `$defaultFn`) are still written with each row. Text Postgres cannot hold (NUL, lone
 * surrogates) is escaped reversibly (storable-text.ts), so no client's text can fail a batch.
 */
export function jsonRecordset(table: PgTable, rows: readonly Record<string, unknown>[]): SQL {
  return jsonRecordsetOfTexts(table, rows.map((row) => jsonRowText(table, row)));
}

/**
 * One row's JSON as {@link jsonRecordset} writes it (made storable), for {@link jsonRecordsetOfTexts}:
 * a writer that buffers rows can make each row's text when it is buffered, so that writing a batch
 * only joins them.
 */
export function jsonRowText(table: PgTable, row: Record<string, unknown>): string {
  return toStorableJson(JSON.stringify(rowObject(describe(table).columns, row)));
}

/**
 * {@link jsonRecordset} of rows already made into text by {@link jsonRowText}. The array is built as
 * UTF-8 bytes and bound as such (a Buffer goes to the server in binary format, which for json is its
 * text), never as one string: V8 puts a string over 128 KiB in large-object space, on fresh pages
 * each time, and joining a 240 KiB batch as a string cost 1.9 ms where writing its bytes costs 0.1–0.2 ms.
 */
export function jsonRecordsetOfTexts(table: PgTable, texts: readonly (string | Uint8Array)[]): SQL {
  let length = 2 + Math.max(texts.length - 1, 0);
  for (const text of texts) length += typeof text === 'string' ? Buffer.byteLength(text) : text.length;
  const bytes = Buffer.allocUnsafe(length);
  let at = 0;
  bytes[at++] = OPEN_BRACKET;
  texts.forEach((text, index) => {
    if (index > 0) bytes[at++] = COMMA;
    if (typeof text === 'string') at += bytes.write(text, at);
    else {
      bytes.set(text, at);
      at += text.length;
    }
  });
  bytes[at] = CLOSE_BRACKET;
  const type = sql.identifier(getTableName(table));
  return sql`json_populate_recordset(json_populate_record(null::${type}, ${describe(table).defaults}::json), ${bytes}::json)`;
}

const [OPEN_BRACKET, COMMA, CLOSE_BRACKET] = [0x5b, 0x2c, 0x5d];

/** The object of a row's columns that differ from the table's constant defaults, keyed by column name. */
function rowObject(columns: readonly JsonColumn[], row: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const column of columns) {
    const value = row[column.property];
    if (value === undefined || value === null) {
      if (column.constant === undefined) {
        const fallback = column.fallback();
        if (fallback !== null) out[column.name] = fallback;
      }
    } else if (!isConstant(value, column.constant)) {
      out[column.name] = value instanceof Date ? isoTime(value) : value;
    }
  }
  return out;
}

/** A row the database refused, and its error for that row alone. */
export interface RefusedRow<Row> {
  row: Row;
  error: unknown;
}

/** SQLSTATE classes of errors about the data written: 22 data exception, 23 integrity constraint, 54 program limit (e.g. an index row too large). */
const DATA_ERROR_CLASSES = new Set(['22', '23', '54']);

/**
 * Whether a write failed for what it wrote, so that writing the same rows again fails again: the
 * database refused the data (SQLSTATE classes 22, 23, 54), or the statement could not even be built
 * (a RangeError: a string past V8's largest). Anything else — a lost connection, a server shutting
 * down, a missing table — may pass on a retry.
 */
export function isDataError(error: unknown): boolean {
  if (error instanceof RangeError || (error as { cause?: unknown } | null)?.cause instanceof RangeError) return true;
  const candidate = error as { code?: unknown; cause?: { code?: unknown } } | null;
  const code = candidate?.code ?? candidate?.cause?.code;
  return typeof code === 'string' && DATA_ERROR_CLASSES.has(code.slice(0, 2));
}

/**
 * Writes `rows` with `write`, finding the rows the database refuses by halving: the others are
 * written, the refused ones returned, in O(refused × log rows) statements — never the same failing
 * batch again. `error` is the data error `write` already failed with on all of `rows`, or
 * undefined to try them whole first. Each try runs in a transaction of its own, a savepoint when
 * `db` is a transaction, so a refused try leaves an enclosing transaction usable. Any other error
 * is thrown: the caller retries the whole batch later, so `write` must be idempotent (`on conflict
 * do nothing`) or the caller must know what was written.
 */
export async function isolateRefusedRows<Row>(
  db: GantryDb,
  rows: readonly Row[],
  error: unknown,
  write: (db: GantryDb, rows: readonly Row[]) => Promise<unknown>,
): Promise<RefusedRow<Row>[]> {
  const refused: RefusedRow<Row>[] = [];
  if (rows.length === 0) return refused;
  // A stack of halves still to write, first half on top; `failed` when already known to fail.
  const pending: Array<{ rows: readonly Row[]; failed?: unknown }> = [{ rows, failed: error }];
  for (let chunk = pending.pop(); chunk !== undefined; chunk = pending.pop()) {
    let failure = chunk.failed;
    if (failure === undefined) {
      const tried = chunk.rows;
      try {
        await db.transaction(async (tx) => {
          await write(tx, tried);
        });
        continue;
      } catch (caught) {
        if (!isDataError(caught)) throw caught;
        failure = caught;
      }
    }
    if (chunk.rows.length === 1) {
      refused.push({ row: chunk.rows[0]!, error: failure });
      continue;
    }
    const middle = Math.ceil(chunk.rows.length / 2);
    pending.push({ rows: chunk.rows.slice(middle) }, { rows: chunk.rows.slice(0, middle) });
  }
  return refused;
}

/**
 * `update <table> set <set> from <rows> where <table>.id = v.id`, `rows` being a from-item aliased
 * `v` (`json_to_recordset(…) as v(id text, …)`), with the rows to update locked in id order first.
 * Without that, an update locks its rows in whatever order its plan meets them (the JSON's order
 * in a nested loop), and two instances updating the same rows in one statement each — run totals
 * of runs served by both, hits on a shared cache entry — deadlock, one statement failing (100 rows
 * in opposite orders: about 4 races in 10 on Postgres, once the table is large enough for the
 * plan to look rows up one by one). `where`, if given, is ANDed to the rows locked and updated.
 */
export function updateInIdOrder(table: PgTable, rows: SQL, set: SQL, where?: SQL): SQL {
  const name = sql.identifier(getTableName(table));
  const also = where === undefined ? sql`` : sql` and ${where}`;
  return sql`with v as materialized (select * from ${rows}),
    locked as materialized (select id from ${name} where id in (select id from v)${also} order by id for update)
    update ${name} set ${set} from v where ${name}.id = v.id and ${name}.id in (select id from locked)`;
}
