import { insertReplay, newId, type DatasetRow, type GantryDb, type ReplayRow } from '@gantry/db';
import type { ReplayMode, ScoreOptions } from '../eval-types.ts';
import { ownerOf, type DatasetOwner } from '../datasets/create-dataset.ts';
import { seededSample } from '../datasets/seeded-sample.ts';
import { formatReplayMode } from './replay-mode.ts';
import type { ReplayOptions } from './replay-work.ts';

export interface NewReplay {
  dataset: DatasetRow;
  /** Models or aliases; each item is replayed against each. */
  candidates: string[];
  mode: ReplayMode;
  /** Replay this many items, chosen by `seed`; all when absent. */
  sample?: number;
  seed?: number;
  workers: number;
  score: ScoreOptions;
}

/** Writes a replay's row (status `running`); the caller starts it on a `ReplayRunner`. */
export async function createReplay(db: GantryDb, caller: DatasetOwner, input: NewReplay): Promise<ReplayRow> {
  const all = Array.from({ length: input.dataset.itemCount }, (_, index) => index);
  const positions = input.sample === undefined ? all : seededSample(all, input.sample, input.seed ?? 0);
  const options: ReplayOptions = { workers: input.workers, score: input.score };
  return insertReplay(db, {
    id: `rp_${newId()}`,
    owner: ownerOf(caller),
    teamId: caller.teamId,
    apiKeyId: caller.apiKeyId,
    datasetId: input.dataset.id,
    mode: formatReplayMode(input.mode),
    candidates: input.candidates,
    positions,
    options: options as unknown as Record<string, unknown>,
  });
}
