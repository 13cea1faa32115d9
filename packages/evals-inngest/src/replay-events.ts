import { z } from 'zod';

/** Sent by `start`: plan the replay's pending pairs and fan them out. */
export const REPLAY_REQUESTED = 'gantry/replay.requested';
/** One per (item, candidate) pair still to replay; its `provider` keys the concurrency limit. */
export const REPLAY_PAIR = 'gantry/replay.pair';
/** Sent by `stop`: Inngest cancels the replay's runs that are waiting or between steps. */
export const REPLAY_CANCELLED = 'gantry/replay.cancelled';

const replayId = z.string().min(1).max(200);

/** `data` of `gantry/replay.requested` and `gantry/replay.cancelled`. */
export const replayEventData = z.object({ replay_id: replayId });

/** `data` of `gantry/replay.pair`: positions and indexes only, the rest is read from the database. */
export const pairEventData = z.object({
  replay_id: replayId,
  position: z.number().int().min(0),
  candidate: z.number().int().min(0),
  /** The provider the candidate's calls go to. */
  provider: z.string().min(1),
});

export type ReplayEventData = z.infer<typeof replayEventData>;
export type PairEventData = z.infer<typeof pairEventData>;

/** The event of one pair; its id makes a re-sent fan-out (a retried step) start no second run of the pair. */
export function pairEvent(data: PairEventData): { id: string; name: typeof REPLAY_PAIR; data: PairEventData } {
  return { id: `${data.replay_id}.${data.position}.${data.candidate}`, name: REPLAY_PAIR, data };
}
