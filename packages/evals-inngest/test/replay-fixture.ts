import { randomUUID } from 'node:crypto';
import { createDatabase, getReplay, listReplayItems, listReplaySteps, migrate, type Database, type ReplayRow } from '@gantry/db';
import { createReplay, saveDataset, type ItemSnapshot, type ReplayCallInput, type ReplayCaller, type ReplayedCall } from '@gantry/evals';
import { delegationSnapshot } from '../../evals/test/snapshot-fixtures.ts';
import type { InngestReplayDeps } from '../src/replay-steps.ts';

/** Each item of the fixture's dataset: a planner delegating to a researcher, 4 recorded calls. */
export const STEPS_PER_ITEM = 4;

/** How the fake candidate behaves on a call (numbered from 1 over the whole fixture). */
export type CallBehaviour = 'answer' | 'fail' | 'hold';

/**
 * A candidate that answers every recorded call as it was recorded (found by the span it replays),
 * or throws, or holds the call until its signal aborts; every call is kept.
 */
export class FakeCandidate {
  readonly calls: ReplayCallInput[] = [];
  private readonly held: (() => void)[] = [];

  constructor(
    private readonly snapshot: ItemSnapshot,
    private readonly behaviour: (callNumber: number) => CallBehaviour = () => 'answer',
  ) {}

  readonly call: ReplayCaller = async (input, signal) => {
    this.calls.push(input);
    const behaviour = this.behaviour(this.calls.length);
    if (behaviour === 'fail') throw new Error('connection reset by the candidate');
    if (behaviour === 'hold') {
      await new Promise<void>((resolve) => {
        this.held.push(resolve);
        signal.addEventListener('abort', () => resolve(), { once: true });
      });
      signal.throwIfAborted();
    }
    const recorded = this.snapshot.steps.find((step) => step.spanId === input.attributes?.replay_of_span);
    if (recorded === undefined) throw new Error(`the fake candidate has no recorded call for ${String(input.attributes?.replay_of_span)}`);
    const answer: ReplayedCall = { spanId: `replayed_${this.calls.length}`, result: recorded.result, error: null, costMicros: 10, latencyMs: 5, ttftMs: null };
    return answer;
  };

  /** Resolves once `count` calls were made. */
  async waitForCalls(count: number, timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (this.calls.length < count) {
      if (Date.now() > deadline) throw new Error(`the fake candidate got ${this.calls.length} of ${count} calls in ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }
}

export interface ReplayFixture {
  database: Database;
  row: ReplayRow;
  candidate: FakeCandidate;
  /** Runs the replay ended, in order, with how. */
  endedRuns: { runId: string; status: string }[];
  errors: unknown[];
  deps: InngestReplayDeps;
  /** The replay's row, items and steps as stored now. */
  stored(): Promise<{ row: ReplayRow | undefined; items: Awaited<ReturnType<typeof listReplayItems>>; steps: Awaited<ReturnType<typeof listReplaySteps>> }>;
}

export interface ReplayFixtureOptions {
  /** Items in the dataset (default 2). */
  items?: number;
  /** Default: one model on each of two providers. */
  candidates?: string[];
  behaviour?: (callNumber: number) => CallBehaviour;
}

/** A migrated in-memory PGlite, for the tests of a file to share (each makes its own dataset and replay). */
export async function openDatabase(): Promise<Database> {
  const database = await createDatabase();
  await migrate(database);
  return database;
}

/** A dataset of recorded agent runs and a running step-mode replay of it, against a fake candidate. */
export async function startReplayFixture(database: Database, options: ReplayFixtureOptions = {}): Promise<ReplayFixture> {
  const snapshot = delegationSnapshot();
  const owner = { apiKeyId: null, teamId: null };
  const items = Array.from({ length: options.items ?? 2 }, (_, index) => ({ sourceRunId: `run_root_${index}`, snapshot }));
  const dataset = await saveDataset(database.db, owner, `inngest-replays-${randomUUID()}`, undefined, {}, items);
  const row = await createReplay(database.db, owner, { dataset, candidates: options.candidates ?? ['alpha/agree', 'beta/agree'], mode: { kind: 'step' }, workers: 2, score: {} });
  const candidate = new FakeCandidate(snapshot, options.behaviour);
  const endedRuns: ReplayFixture['endedRuns'] = [];
  const errors: unknown[] = [];
  return {
    database,
    row,
    candidate,
    endedRuns,
    errors,
    deps: {
      db: database.db,
      call: candidate.call,
      endRun: async (runId, status) => void endedRuns.push({ runId, status }),
      onError: (error) => void errors.push(error),
    },
    async stored() {
      const [stored, replayItems, steps] = await Promise.all([getReplay(database.db, row.id), listReplayItems(database.db, row.id), listReplaySteps(database.db, row.id)]);
      return { row: stored, items: replayItems, steps };
    },
  };
}
