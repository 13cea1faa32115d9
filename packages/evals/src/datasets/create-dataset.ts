import { insertDataset, loadRunTree, newId, selectRootRuns, sumRunTotals, type DatasetRow, type GantryDb, type RunSelection } from '@gantry/db';
import { InvalidRequestError } from '@gantry/spec';
import type { ItemSnapshot } from '../eval-types.ts';
import { seededSample } from './seeded-sample.ts';
import { snapshotRunTree } from './snapshot-run.ts';

/** Most items one dataset holds; a larger selection must be sampled. */
export const MAX_DATASET_ITEMS = 5_000;

/** Who creates a dataset: it belongs to their team (or key, or the master key). */
export interface DatasetOwner {
  apiKeyId: string | null;
  teamId: string | null;
}

/** The owner column of datasets and replays: `team:<id>`, `key:<id>` or `master`. */
export function ownerOf(caller: DatasetOwner): string {
  return caller.teamId !== null ? `team:${caller.teamId}` : caller.apiKeyId !== null ? `key:${caller.apiKeyId}` : 'master';
}

export interface DatasetSelection {
  runs: Omit<RunSelection, 'visibleTo' | 'limit'> & { minCostMicros?: number; maxCostMicros?: number };
  /** Keep this many of the matching runs, chosen by `seed` (the same seed picks the same runs). */
  sample?: number;
  seed?: number;
}

export interface NewDataset {
  name: string;
  description?: string;
  selection: DatasetSelection;
  /** As the request gave it, stored for people to see how the items were chosen. */
  selectionWire: Record<string, unknown>;
}

function conflict(name: string): InvalidRequestError {
  return new InvalidRequestError(`a dataset named '${name}' already exists; pick another name or DELETE /v1/datasets/${encodeURIComponent(name)} first`, { param: 'name', status: 409 });
}

/**
 * Snapshots the root runs a selection matches (visible to the caller, their whole trees) into a
 * new dataset. Runs with no LLM call that answered are left out: there is nothing to replay.
 */
export async function createDatasetFromRuns(db: GantryDb, caller: DatasetOwner & { master: boolean }, input: NewDataset): Promise<DatasetRow> {
  const { runs: filter, sample, seed } = input.selection;
  const candidates = await selectRootRuns(db, {
    ...filter,
    ...(caller.master ? {} : { visibleTo: { apiKeyId: caller.apiKeyId!, teamId: caller.teamId } }),
    limit: 50_000,
  });
  let chosen = candidates;
  if (filter.minCostMicros !== undefined || filter.maxCostMicros !== undefined) {
    const totals = await sumRunTotals(db, chosen.map((run) => run.id));
    chosen = chosen.filter((run) => {
      const cost = totals.get(run.id)?.costMicros ?? 0;
      return (filter.minCostMicros === undefined || cost >= filter.minCostMicros) && (filter.maxCostMicros === undefined || cost <= filter.maxCostMicros);
    });
  }
  // Oldest first: a dataset reads in the order its runs happened, and a seed picks from a fixed order.
  chosen = [...chosen].reverse();
  if (sample !== undefined) chosen = seededSample(chosen, sample, seed ?? 0);
  if (chosen.length > MAX_DATASET_ITEMS) {
    throw new InvalidRequestError(`the selection matches ${chosen.length} runs; a dataset holds at most ${MAX_DATASET_ITEMS}: narrow it (from/to, name, status) or pass sample`, { param: 'sample' });
  }
  const items: { sourceRunId: string; snapshot: ItemSnapshot }[] = [];
  for (const run of chosen) {
    const tree = await loadRunTree(db, run.id);
    const snapshot = snapshotRunTree(tree.runs, tree.spans);
    if (snapshot.steps.length > 0) items.push({ sourceRunId: run.id, snapshot });
  }
  if (items.length === 0) throw new InvalidRequestError('no recorded run visible to this key matches the selection (or none has an LLM call that answered); list runs with GET /v1/runs', { param: 'runs' });
  return saveDataset(db, caller, input.name, input.description, input.selectionWire, items);
}

/** Writes a dataset of given snapshots (an import); 409 when the owner has one of that name. */
export async function saveDataset(
  db: GantryDb,
  caller: DatasetOwner,
  name: string,
  description: string | undefined,
  selection: Record<string, unknown>,
  items: readonly { sourceRunId: string; snapshot: ItemSnapshot }[],
): Promise<DatasetRow> {
  const row = await insertDataset(db, { id: `ds_${newId()}`, name, owner: ownerOf(caller), teamId: caller.teamId, apiKeyId: caller.apiKeyId, description: description ?? null, selection }, items);
  if (row === undefined) throw conflict(name);
  return row;
}
