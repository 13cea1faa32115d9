import { findRunInScope, getRun, runScope, type GantryDb, type Run } from '@gantry/db';

/** Who is calling, as far as runs care. The master key sees and writes every run. */
export interface RunCaller {
  apiKeyId: string | null;
  teamId: string | null;
  master: boolean;
}

/** Whether the caller may read (and write into) a run: its own key's, its team's, or any for the master key. */
export function canAccessRun(run: { apiKeyId: string | null; teamId: string | null }, caller: RunCaller): boolean {
  return caller.master || (caller.apiKeyId !== null && run.apiKeyId === caller.apiKeyId) || (run.teamId !== null && run.teamId === caller.teamId);
}

/**
 * The run `id` names for this caller, as `claimRun` resolves a named run: first the run the caller
 * itself named so (run ids are per team), then the run whose Gantry id it is, if the caller may see
 * it. Undefined for runs that do not exist and for other teams' runs alike, so a lookup never tells
 * one team that another used an id.
 */
export async function findVisibleRun(db: GantryDb, id: string, caller: RunCaller): Promise<Run | undefined> {
  const own = await findRunInScope(db, runScope(caller), id);
  if (own !== undefined) return own;
  const byId = await getRun(db, id);
  return byId !== undefined && canAccessRun(byId, caller) ? byId : undefined;
}
