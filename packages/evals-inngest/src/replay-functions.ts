import type { Inngest } from 'inngest';
import type { Retries } from './inngest-client.ts';
import { pairEvent, pairEventData, REPLAY_CANCELLED, REPLAY_PAIR, REPLAY_REQUESTED, replayEventData } from './replay-events.ts';
import { errorText, type ReplaySteps } from './replay-steps.ts';

/** Pair events per `step.sendEvent`: a few hundred bytes each, well under Inngest's request size limit. */
export const FAN_OUT_CHUNK = 500;

export interface ReplayFunctionOptions {
  /** Pair steps in flight per provider (the concurrency key), across replays and instances. */
  providerConcurrency: number;
  /** Tries of a failing pair step after the first; Inngest's default 3 when absent. */
  retries?: Retries;
}

/** Both functions stop for a replay whose cancellation event names it. */
const cancelOn = [{ event: REPLAY_CANCELLED, if: 'async.data.replay_id == event.data.replay_id' }];

/**
 * `gantry-replay`: on `gantry/replay.requested`, step `plan` lists the pending pairs (positions,
 * candidate indexes, providers), and `fan-out-<n>` sends one `gantry/replay.pair` event per pair; a
 * replay with nothing left to do is ended by step `end`.
 *
 * The fan-out is what lets concurrency be keyed by provider: Inngest evaluates a concurrency key
 * once per run, from the event that started it, so the pairs of one run would share one key
 * whatever their candidates' providers. One run per pair also keeps a large replay under
 * Inngest's cap on steps per run, and spreads its pairs over every instance Inngest calls.
 */
export function createPlanFunction(client: Inngest, steps: ReplaySteps) {
  return client.createFunction({ id: 'gantry-replay', name: 'Gantry replay: plan and fan out', triggers: [{ event: REPLAY_REQUESTED }], cancelOn }, async ({ event, step }) => {
    const { replay_id: replayId } = replayEventData.parse(event.data);
    const pairs = await step.run('plan', () => steps.plan(replayId));
    if (pairs.length === 0) return { pairs: 0, ended: await step.run('end', () => steps.endIfDone(replayId)) };
    for (let start = 0; start < pairs.length; start += FAN_OUT_CHUNK) {
      const chunk = pairs.slice(start, start + FAN_OUT_CHUNK).map((pair) => pairEvent({ replay_id: replayId, ...pair }));
      await step.sendEvent(`fan-out-${start / FAN_OUT_CHUNK}`, chunk);
    }
    return { pairs: pairs.length };
  });
}

/**
 * `gantry-replay-pair`: on `gantry/replay.pair`, step `item-<position>-<candidate>` replays the pair
 * (Inngest memoizes it once done, so a retried run does not replay it again; inside the step,
 * `replayPair` skips the calls already scored), then step `end` ends the replay when this was its
 * last pair. A pair whose step failed for good (its retries spent) ends the replay as failed,
 * naming the item, in step `fail`. At most `providerConcurrency` pair steps per provider run at once.
 */
export function createPairFunction(client: Inngest, steps: ReplaySteps, options: ReplayFunctionOptions) {
  return client.createFunction(
    {
      id: 'gantry-replay-pair',
      name: 'Gantry replay: one item against one candidate',
      triggers: [{ event: REPLAY_PAIR }],
      cancelOn,
      concurrency: [{ key: 'event.data.provider', limit: options.providerConcurrency }],
      ...(options.retries === undefined ? {} : { retries: options.retries }),
    },
    async ({ event, step }) => {
      const pair = pairEventData.parse(event.data);
      let outcome;
      try {
        outcome = await step.run(`item-${pair.position}-${pair.candidate}`, () => steps.replay(pair));
      } catch (error) {
        // A step's error reaches the handler only once its retries are spent.
        const message = errorText(error);
        return { status: 'failed' as const, error: message, ended: await step.run('fail', () => steps.fail(pair, message)) };
      }
      return { ...outcome, ended: await step.run('end', () => steps.endIfDone(pair.replay_id)) };
    },
  );
}
