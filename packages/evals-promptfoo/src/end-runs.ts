import { callGantry, GantryCallError, type GantryConnection } from './gantry-connection.ts';

/** A run an eval recorded into, and whether a call in it failed. */
export interface EvalRun {
  failed: boolean;
  ended: boolean;
}

/**
 * Ends the runs not ended yet (`failed` when a call in them failed, else `succeeded`), so
 * Gantry shows them finished rather than waiting for them to go idle. Throws when Gantry refused
 * to end some of them, after trying all.
 */
export async function endRuns(connection: GantryConnection, runs: Map<string, EvalRun>): Promise<void> {
  const open = [...runs].filter(([, run]) => !run.ended);
  const outcomes = await Promise.allSettled(
    open.map(async ([runId, run]) => {
      run.ended = true;
      await callGantry(connection, `/v1/runs/${encodeURIComponent(runId)}/end`, { body: { status: run.failed ? 'failed' : 'succeeded' } });
    }),
  );
  const refused = outcomes.flatMap((outcome) => (outcome.status === 'rejected' ? [(outcome.reason as Error).message] : []));
  if (refused.length > 0) throw new GantryCallError(`ending ${refused.length} of ${open.length} eval runs failed: ${refused[0]}`);
}

/** The run of `runs` under `runId`, added when new. */
export function evalRun(runs: Map<string, EvalRun>, runId: string): EvalRun {
  let run = runs.get(runId);
  if (run === undefined) {
    run = { failed: false, ended: false };
    runs.set(runId, run);
  }
  return run;
}
