import { bigint, index, integer, json, jsonb, pgTable, primaryKey, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns.ts';

/**
 * Datasets: named sets of recorded agent runs, each item a snapshot (see `ItemSnapshot` in
 * @gantry/evals), so span retention cannot break a dataset. Owned like runs: by a team, or by a
 * key without a team, or by the master key (`owner` says which: `team:<id>`, `key:<id>`,
 * `master`); a name is unique per owner.
 */
export const datasets = pgTable(
  'datasets',
  {
    id: text('id').primaryKey(),
    name: text('name').notNull(),
    owner: text('owner').notNull(),
    teamId: text('team_id'),
    apiKeyId: text('api_key_id'),
    description: text('description'),
    /** How the items were chosen (the create request's selection), or `{ imported: true }`. */
    selection: jsonb('selection').$type<Record<string, unknown>>().notNull().default({}),
    itemCount: integer('item_count').notNull().default(0),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
  },
  (table) => [uniqueIndex('datasets_owner_name_idx').on(table.owner, table.name)],
);

export type DatasetRow = typeof datasets.$inferSelect;
export type NewDatasetRow = typeof datasets.$inferInsert;

export const datasetItems = pgTable(
  'dataset_items',
  {
    datasetId: text('dataset_id').notNull(),
    /** 0, 1, 2 … in the order the items were selected. */
    position: integer('position').notNull(),
    sourceRunId: text('source_run_id').notNull(),
    /** The snapshot (stored as `json`: written once, read whole). */
    snapshot: json('snapshot').notNull(),
  },
  (table) => [primaryKey({ columns: [table.datasetId, table.position] })],
);

export type DatasetItemRow = typeof datasetItems.$inferSelect;

/** Lifecycle of a replay. */
export const replayStatuses = ['running', 'succeeded', 'failed', 'cancelled'] as const;
export type ReplayStatus = (typeof replayStatuses)[number];

/**
 * Replays of a dataset against one or more candidate models. The instance running one renews
 * `heartbeat_at`; a replay whose heartbeat is stale is claimed and resumed by any instance, and
 * skips the steps already scored (replay_steps).
 */
export const replays = pgTable(
  'replays',
  {
    id: text('id').primaryKey(),
    owner: text('owner').notNull(),
    teamId: text('team_id'),
    /** The replaying key: replayed calls are budgeted, rate-limited and recorded as its calls. */
    apiKeyId: text('api_key_id'),
    datasetId: text('dataset_id').notNull(),
    /** `step`, `trajectory` or `fork:K`. */
    mode: text('mode').notNull(),
    /** Models or aliases, in the order given. */
    candidates: jsonb('candidates').$type<string[]>().notNull(),
    /** The item positions replayed, in order. */
    positions: jsonb('positions').$type<number[]>().notNull(),
    /** Scoring options and the worker count. */
    options: jsonb('options').$type<Record<string, unknown>>().notNull().default({}),
    status: text('status').$type<ReplayStatus>().notNull().default('running'),
    error: text('error'),
    createdAt: timestamptz('created_at').notNull().defaultNow(),
    endedAt: timestamptz('ended_at'),
    heartbeatAt: timestamptz('heartbeat_at').notNull().defaultNow(),
  },
  (table) => [index('replays_status_heartbeat_at_idx').on(table.status, table.heartbeatAt), index('replays_owner_created_at_idx').on(table.owner, table.createdAt)],
);

export type ReplayRow = typeof replays.$inferSelect;
export type NewReplayRow = typeof replays.$inferInsert;

/** One replayed item per candidate: its run, and how it ended once every step was replayed. */
export const replayItems = pgTable(
  'replay_items',
  {
    replayId: text('replay_id').notNull(),
    position: integer('position').notNull(),
    candidate: integer('candidate').notNull(),
    /** `scored` (every step replayed), `diverged` (trajectory stopped at a divergence) or `incomplete` (errors, budget). */
    status: text('status').notNull(),
    runId: text('run_id').notNull(),
    /** The item's roll-up: pass, mean scores, cost, latency, the divergence. */
    summary: jsonb('summary').$type<Record<string, unknown>>().notNull(),
    endedAt: timestamptz('ended_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.replayId, table.position, table.candidate] })],
);

export type ReplayItemRow = typeof replayItems.$inferSelect;

/** One replayed step: the candidate's answer and its scores against the recorded one. */
export const replaySteps = pgTable(
  'replay_steps',
  {
    replayId: text('replay_id').notNull(),
    position: integer('position').notNull(),
    candidate: integer('candidate').notNull(),
    step: integer('step').notNull(),
    /** The recorded span replayed, and the span of the replayed call. */
    sourceSpanId: text('source_span_id').notNull(),
    spanId: text('span_id'),
    runId: text('run_id').notNull(),
    /** `StepScore`, or null when the call failed. */
    score: jsonb('score').$type<Record<string, unknown>>(),
    /** The candidate's canonical answer. */
    result: json('result'),
    error: jsonb('error').$type<{ code: string; message: string; status?: number }>(),
    costMicros: bigint('cost_micros', { mode: 'number' }).notNull().default(0),
    latencyMs: integer('latency_ms').notNull().default(0),
    ttftMs: integer('ttft_ms'),
    endedAt: timestamptz('ended_at').notNull().defaultNow(),
  },
  (table) => [primaryKey({ columns: [table.replayId, table.position, table.candidate, table.step] })],
);

export type ReplayStepRow = typeof replaySteps.$inferSelect;
export type NewReplayStepRow = typeof replaySteps.$inferInsert;
