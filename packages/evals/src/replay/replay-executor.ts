import type { ReplayRow } from '@gantry/db';

/**
 * What runs replays for a gateway: `ReplayRunner` in this process (the default), or
 * `@gantry/evals-inngest` at scale. The routes only start and stop replays; how and where the
 * pairs are replayed, and how a dead instance's replays are resumed, is the executor's business.
 */
export interface ReplayExecutor {
  /** Starts a replay whose row was just written (status `running`); returns at once, the work goes on in the background. */
  start(row: ReplayRow): void;
  /** The replay was cancelled (its row already says so): stop spending on it, here and wherever it runs. */
  stop(id: string): void;
  /** Stops the work in flight here; replays stay `running` in the database, to be resumed. */
  close(): Promise<void>;
  /** Periodic upkeep (heartbeats, claiming replays whose instance died), for executors that need it; called once at start. */
  tick?(): Promise<void>;
}
