/*
 * PGlite runs Postgres in single-user mode, which has no checkpointer process: it checkpoints
 * when it shuts down and never otherwise (a backend asks for a checkpoint by WAL volume only under
 * a postmaster). So the WAL of every write since the gateway started stayed in `pg_wal`: about
 * 3 KB per call, a gigabyte a minute at c=16, without bound; and a crash replayed all of it before
 * the gateway answered again. The gateway checkpoints the embedded database itself, as Postgres's
 * checkpointer would: after so much WAL, or after so long.
 */

import { startTicks, type RunStatement } from './background-ticks.ts';

/** When to checkpoint the embedded database (see {@link startPgliteCheckpoints}). */
export interface PgliteCheckpointOptions {
  /** Checkpoint once this much WAL was written since the last checkpoint. Default 64 MiB. */
  walBytes?: number;
  /** Checkpoint once the last one is this old and any WAL was written since. Default 5 minutes (Postgres's `checkpoint_timeout`). */
  maxAgeMs?: number;
  /** How often the WAL written since the last checkpoint is read. Default 5 s. */
  checkMs?: number;
}

const MIB = 1024 * 1024;
/** Below this much WAL since the last checkpoint, age alone does not call for one: the checkpoint's own record is WAL too. */
const IDLE_WAL_BYTES = 64 * 1024;

/**
 * Checks, every `checkMs`, how much WAL was written since the last checkpoint (`pg_control_checkpoint()`,
 * so a checkpoint at shutdown or by anyone else counts) and checkpoints when it is due. A failed
 * check or checkpoint is tried again at the next tick. Returns the function that stops it: no check
 * starts once it is called, and it resolves once none is under way.
 */
export function startPgliteCheckpoints(run: RunStatement, options: PgliteCheckpointOptions = {}): () => Promise<void> {
  const walBytes = options.walBytes ?? 64 * MIB;
  const maxAgeMs = options.maxAgeMs ?? 5 * 60_000;
  const check = async (): Promise<void> => {
    const { rows } = await run(
      `select pg_wal_lsn_diff(pg_current_wal_insert_lsn(), redo_lsn)::float8 as since, extract(epoch from now() - checkpoint_time)::float8 * 1000 as age_ms from pg_control_checkpoint()`,
    );
    const { since, age_ms: ageMs } = rows[0] as { since: number; age_ms: number };
    if (since >= walBytes || (ageMs >= maxAgeMs && since >= IDLE_WAL_BYTES)) await run('checkpoint');
  };
  return startTicks(check, options.checkMs ?? 5_000);
}
