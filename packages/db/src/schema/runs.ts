import { relations, sql } from 'drizzle-orm';
import { bigint, check, index, integer, jsonb, pgTable, pgView, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { apiKeys } from './api-keys.ts';
import { timestamptz } from './columns.ts';
import { spans } from './spans.ts';

/** Lifecycle of an agent run. */
export const runStatuses = ['running', 'succeeded', 'failed', 'paused', 'timed_out'] as const;
export type RunStatus = (typeof runStatuses)[number];

/** Longest run id a client may choose. */
export const maxRunIdLength = 128;

/**
 * The columns of a run, as the `runs` table stores them and as the `run_rows` view reads them
 * (a function: drizzle's column builders belong to one table or view each).
 */
function runColumns() {
  return {
    /**
     * The run's id everywhere in Gantry: the client's `x-gantry-run-id` when no other owner had
     * used it first, else a `newId()`; for a request that names no run, a `newId()`. No default: a
     * root run's `rootRunId` must repeat it, so the caller picks it first.
     */
    id: text('id').primaryKey(),
    /**
     * Whose namespace of run ids the run is in: `team:<id>`, `key:<id>` for a key without a team,
     * or `master`. Run ids are per owner (see `runScope`): two teams naming the same id get two runs.
     */
    scope: text('scope').notNull(),
    /** The id the client named (`x-gantry-run-id`), unique within `scope`; equal to `id` unless taken. */
    clientRunId: text('client_run_id').notNull(),
    /** The run that spawned this one; null for a root run. */
    parentRunId: text('parent_run_id'),
    /** The root of this run's tree (its own id for a root run). */
    rootRunId: text('root_run_id').notNull(),
    /** The API key that first reported the run. */
    apiKeyId: text('api_key_id'),
    /** The team of that key: keys of the same team share the run; other teams cannot see it. */
    teamId: text('team_id'),
    /** 0 for a root run, parent's depth + 1 for a sub-agent. */
    depth: integer('depth').notNull().default(0),
    name: text('name'),
    status: text('status').$type<RunStatus>().notNull().default('running'),
    metadata: jsonb('metadata').$type<Record<string, unknown>>().notNull().default({}),
    /** `provider/model` the run (and its sub-runs) is pinned to after falling back, per alias: `{ "<alias>": { "target": "...", "at": "<iso>" } }`. */
    pinnedTargets: jsonb('pinned_targets').$type<Record<string, { target: string; at: string }>>().notNull().default({}),
    startedAt: timestamptz('started_at').notNull().defaultNow(),
    endedAt: timestamptz('ended_at'),
    lastActivityAt: timestamptz('last_activity_at').notNull().defaultNow(),
    /** Total spend in micro-dollars (1 USD = 1 000 000). */
    costMicros: bigint('cost_micros', { mode: 'number' }).notNull().default(0),
    inputTokens: bigint('input_tokens', { mode: 'number' }).notNull().default(0),
    outputTokens: bigint('output_tokens', { mode: 'number' }).notNull().default(0),
    /** Number of client-visible LLM calls (not upstream attempts). */
    llmCalls: integer('llm_calls').notNull().default(0),
    toolCalls: integer('tool_calls').notNull().default(0),
  };
}

/**
 * Agent runs: the gateway's unit of work. Rows are created on first sight of a run id (insert-ignore)
 * and their totals are maintained by the recorder. A call that names no run has no row: see
 * `runRows`. No foreign keys: see spans.ts.
 */
export const runs = pgTable(
  'runs',
  runColumns(),
  (table) => [
    index('runs_root_run_id_idx').on(table.rootRunId),
    // Partial: most runs are roots (every call that names no run is one), and an index entry
    // costs each insert; lookups by parent (`parent_run_id = x`) imply not null and still use it.
    index('runs_parent_run_id_idx').on(table.parentRunId).where(sql`${table.parentRunId} is not null`),
    index('runs_api_key_id_started_at_idx').on(table.apiKeyId, table.startedAt),
    index('runs_started_at_idx').on(table.startedAt),
    // Only running runs are looked up by idleness (the sweeper); finished ones need no entry.
    index('runs_status_last_activity_at_idx').on(table.status, table.lastActivityAt).where(sql`${table.status} = 'running'`),
    uniqueIndex('runs_scope_client_run_id_idx').on(table.scope, table.clientRunId),
    check('runs_id_length_check', sql`char_length(${table.id}) <= ${sql.raw(String(maxRunIdLength))}`),
  ],
);

/**
 * Every run, to read: the `runs` table's rows and the one-call runs. A request that names no run is
 * a run of its own that starts and ends with its call; it has no row in `runs` (one tuple fewer per
 * call, docs/decisions/0013) and this view reads it from its `llm` span (`one_call_run`): status
 * from the span's, totals from the span's usage, one LLM call, its tool spans counted. Created by
 * migration 0011 (drizzle-kit does not manage it). Write to `runs`; read runs from here.
 */
export const runRows = pgView('run_rows', runColumns()).existing();

export const runsRelations = relations(runs, ({ one, many }) => ({
  parentRun: one(runs, {
    fields: [runs.parentRunId],
    references: [runs.id],
    relationName: 'run_children',
  }),
  childRuns: many(runs, { relationName: 'run_children' }),
  apiKey: one(apiKeys, { fields: [runs.apiKeyId], references: [apiKeys.id] }),
  spans: many(spans),
}));

/**
 * The namespace a caller's run ids live in: its team's, its own key's when it has no team, or the
 * master key's. Keys of one team share run ids (and runs); different teams never collide.
 */
export function runScope(owner: { apiKeyId: string | null; teamId: string | null }): string {
  if (owner.teamId !== null) return `team:${owner.teamId}`;
  return owner.apiKeyId === null ? 'master' : `key:${owner.apiKeyId}`;
}

export type Run = typeof runs.$inferSelect;
export type NewRun = typeof runs.$inferInsert;
