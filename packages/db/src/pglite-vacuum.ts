/*
 * PGlite runs Postgres in single-user mode, which has no autovacuum. Without the gateway's own
 * vacuums, nothing in the embedded database was ever vacuumed:
 * - rows updated or deleted (run totals, ledger settlements, leases, cache expiry) left their old
 *   versions, and index entries pointing at them, for good;
 * - nothing froze old rows. Every transaction ID is 32 bits: once 2³¹ transactions have run since
 *   a row was written, the row reads as written in the future, that is, it vanishes. Under a
 *   postmaster Postgres refuses new transactions before that; in single-user mode it only warns
 *   (varsup.c). A call into a named run takes two transactions: at 1,000 such calls a second the
 *   horizon was about 12 days away.
 *
 * Single-user mode does not flush the statistics autovacuum reads (`n_dead_tup` stays 0), and one
 * `VACUUM` holds PGlite's one session for as long as it scans. So the gateway vacuums each table in
 * small steps, by what it can read cheaply from `pg_class`:
 * - once the table and its TOAST table have grown by `growBytes` since their last vacuum (their
 *   size against `relpages`, which a vacuum sets): each step then scans about that much;
 * - once `xidAge` transactions have run since its last vacuum (`age(relfrozenxid)`): this bounds
 *   the index entries that updates in place leave behind, and freezes tables nobody writes.
 * Every vacuum freezes what it scans (`FREEZE`), so a page is scanned again only once it changes:
 * without it, the vacuum Postgres forces past `vacuum_freeze_table_age` would scan the whole table
 * at once.
 *
 * The template databases (`template0`, `template1`) are frozen by initdb and never written, but
 * their age counts towards the cluster's horizon, and a session can vacuum only its own database.
 * Once they are `templateFreezeAge` transactions old, the gateway leaves a mark in the data folder
 * and freezes them at its next start, before its database opens (create-database.ts).
 */

import { startTicks, type RunStatement } from './background-ticks.ts';

/** When the gateway vacuums the embedded database (see {@link startPgliteVacuum}). */
export interface PgliteVacuumOptions {
  /** Vacuum a table once it and its TOAST table have grown by this many bytes since their last vacuum. Default 8 MiB. */
  growBytes?: number;
  /** Vacuum a table once this many transactions have run since its last vacuum. Default 250,000. */
  xidAge?: number;
  /** Freeze the template databases at the next start once they are this many transactions old. Default 1,000,000,000 (the horizon is 2³¹). */
  templateFreezeAge?: number;
  /** How often the tables are looked at. Default 10 s. */
  checkMs?: number;
}

/** The file whose presence in a data folder asks the next start to freeze the template databases. */
export const FREEZE_TEMPLATES_MARK = 'gantry-freeze-templates';

/** How a failed vacuum is reported unless the caller says otherwise. */
export const reportVacuumFailure = (error: unknown): void => console.error('gantry: vacuuming the embedded database failed', error);

/** SQLSTATE undefined_table. */
const UNDEFINED_TABLE = '42P01';

interface TableState {
  name: string;
  age: number;
  unvacuumed: number;
}

/**
 * Every permanent table and materialized view, with the transactions since its last vacuum and
 * the bytes its heap and TOAST table have grown by since. Catalogs are not sized: the sizes cost
 * about 0.1 ms a table here (a file lookup each), the catalogs are many and hardly grow, and age
 * alone keeps them frozen.
 */
const TABLES = `
  select c.oid::regclass::text as name, age(c.relfrozenxid)::float8 as age,
    case when c.relnamespace in ('pg_catalog'::regnamespace, 'information_schema'::regnamespace) then 0
      else (pg_relation_size(c.oid) + coalesce(pg_relation_size(t.oid), 0) - (c.relpages::int8 + coalesce(t.relpages, 0)) * 8192)::float8
    end as unvacuumed
  from pg_class c left join pg_class t on t.oid = nullif(c.reltoastrelid, 0)
  where c.relkind in ('r', 'm') and c.relpersistence = 'p'`;

/** The embedded database's vacuums: {@link PgliteVacuum.pass} once at start, then on a timer. */
export interface PgliteVacuum {
  /** Looks at every table and vacuums those due, one statement each (the pass under way, if one is). Rejects if a statement fails. */
  pass(): Promise<void>;
  /** No pass starts once called; resolves once none is under way. */
  stop(): Promise<void>;
}

/**
 * Vacuums, every `checkMs`, the tables that are due (see the top of this file), one `VACUUM` per
 * table so that the request lane's statements go between them. `markTemplates` is called, once,
 * when the template databases should be frozen at the next start. A failed pass is reported to
 * `onError` and tried again at the next tick.
 */
export function startPgliteVacuum(
  run: RunStatement,
  options: PgliteVacuumOptions & { markTemplates?: () => Promise<void>; onError?: (error: unknown) => void } = {},
): PgliteVacuum {
  const growBytes = options.growBytes ?? 8 * 1024 * 1024;
  const xidAge = options.xidAge ?? 250_000;
  const templateFreezeAge = options.templateFreezeAge ?? 1_000_000_000;
  let templatesMarked = false;
  let stopped = false;
  const vacuumDue = async (): Promise<void> => {
    const { rows } = await run(TABLES);
    const due = (rows as unknown as TableState[]).filter((table) => table.unvacuumed >= growBytes || table.age >= xidAge);
    for (const table of due) {
      if (stopped) return;
      // Each table's vacuum would rescan pg_class to advance the database's horizon: once, after them all.
      await run(`vacuum (freeze, skip_database_stats) ${table.name}`).catch((error: unknown) => {
        // Dropped since it was listed: nothing to vacuum.
        if ((error as { code?: unknown }).code !== UNDEFINED_TABLE) throw error;
      });
    }
    if (due.length > 0) await run('vacuum (only_database_stats)');
    if (templatesMarked || options.markTemplates === undefined) return;
    const templates = await run(`select max(age(datfrozenxid))::float8 as age from pg_database where datname <> current_database()`);
    if (((templates.rows[0]?.age as number | null) ?? 0) < templateFreezeAge) return;
    await options.markTemplates();
    templatesMarked = true;
  };
  // One pass at a time, whoever asks: the first, awaited at start, can outlast a tick on an old folder.
  let running: Promise<void> | undefined;
  const pass = (): Promise<void> => (running ??= vacuumDue().finally(() => (running = undefined)));
  const onError = options.onError ?? reportVacuumFailure;
  const stopTicks = startTicks(pass, options.checkMs ?? 10_000, (error) => {
    // A pass under way when the database closes fails with it: that is no news.
    if (!stopped) onError(error);
  });
  return {
    pass,
    stop: () => {
      stopped = true;
      return stopTicks();
    },
  };
}
