import { readdirSync, readFileSync } from 'node:fs';
import { createDatabase } from '@gantry/db';
import { sql } from 'drizzle-orm';

/**
 * The CPU a Postgres server has used so far, in ms: its postmaster and every process under it,
 * the exited ones included (their time is added to the postmaster's once it reaps them). In
 * Postgres mode this is part of what a call costs (issue 23): the server runs on the same cores as
 * the gateway. Linux /proc only; the server must be local (the bench's always is).
 */
export async function postgresCpu(databaseUrl: string): Promise<() => number> {
  const database = await createDatabase({ url: databaseUrl });
  let dataDirectory: string;
  try {
    dataDirectory = (await database.db.execute<{ setting: string }>(sql`select setting from pg_settings where name = 'data_directory'`)).rows[0]!.setting;
  } finally {
    await database.close();
  }
  const postmaster = Number(readFileSync(`${dataDirectory}/postmaster.pid`, 'utf8').split('\n')[0]);
  if (!Number.isInteger(postmaster) || postmaster <= 0) throw new Error(`no postmaster pid in ${dataDirectory}/postmaster.pid`);
  return () => {
    // The postmaster's own time and its reaped children's (cutime, cstime), then the live children's.
    let ticks = processTicks(postmaster, true);
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      const fields = statFields(Number(entry));
      if (fields !== undefined && Number(fields[1]) === postmaster) ticks += processTicks(Number(entry), false);
    }
    return ticks * 10;
  };
}

/** `/proc/<pid>/stat` after the command name: state, ppid, … (undefined when the process is gone). */
function statFields(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  } catch {
    return undefined;
  }
}

/** utime + stime (and, with `reaped`, cutime + cstime), in clock ticks of 10 ms. */
function processTicks(pid: number, reaped: boolean): number {
  const fields = statFields(pid);
  if (fields === undefined) return 0;
  const own = Number(fields[11]) + Number(fields[12]);
  return reaped ? own + Number(fields[13]) + Number(fields[14]) : own;
}
