import { z } from 'zod';
import type { ItemSummary, StepScore } from '@gantry/evals/gate';
import { CliError } from './admin-client.ts';

/**
 * The replay API's answers (apps/gateway/src/routes/replays-routes.ts) as the CLI reads them:
 * parsed once here, so the gate never scores a shape it did not expect. Unknown fields are kept
 * out of the types (dropped, not refused), so a newer gateway still works with this CLI.
 */

const itemSummary = z.object({
  pass: z.boolean(),
  steps: z.number(),
  passedSteps: z.number(),
  failedCalls: z.number(),
  toolChoice: z.number(),
  toolArguments: z.number(),
  answer: z.number().nullable(),
  costMicros: z.number(),
  recordedCostMicros: z.number(),
  latenciesMs: z.array(z.number()),
  recordedLatenciesMs: z.array(z.number()),
  ttftsMs: z.array(z.number()).default([]),
  recordedTtftsMs: z.array(z.number()).default([]),
  divergence: z.object({ step: z.number(), runId: z.string(), differences: z.array(z.string()) }).nullable(),
}) satisfies z.ZodType<ItemSummary>;

const replayStatus = z.enum(['running', 'succeeded', 'failed', 'cancelled']);

/** A replay as `POST /v1/replays` and `GET /v1/replays` list it. */
const replaySummarySchema = z.object({
  id: z.string(),
  dataset: z.object({ id: z.string(), name: z.string().nullable() }),
  mode: z.string(),
  candidates: z.array(z.string()),
  status: replayStatus,
  error: z.string().nullable(),
  created_at: z.string(),
  ended_at: z.string().nullable(),
});

/** A replay as `GET /v1/replays/:id` shows it: progress, per-candidate totals, items, failing steps. */
const replayViewSchema = replaySummarySchema.extend({
  progress: z.object({
    items_total: z.number(),
    items_done: z.number(),
    steps_done: z.number(),
    steps_total: z.number(),
    failed_calls: z.number(),
    spend_micros: z.number(),
  }),
  totals: z.array(
    z.object({
      candidate: z.string(),
      items: z.number(),
      passed: z.number(),
      pass_rate: z.number().nullable(),
      incomplete: z.number(),
      diverged: z.number(),
      cost_micros: z.number(),
      recorded_cost_micros: z.number(),
    }),
  ),
  items: z.array(
    z.object({
      position: z.number(),
      source_run_id: z.string().nullable(),
      candidate: z.number(),
      status: z.enum(['scored', 'diverged', 'incomplete']),
      run_id: z.string(),
      summary: itemSummary,
    }),
  ),
  failed_steps: z.array(
    z.object({
      position: z.number(),
      candidate: z.number(),
      source_run_id: z.string().nullable(),
      step: z.number(),
      run_id: z.string(),
      differences: z.array(z.string()),
    }),
  ),
});

const stepScore = z.object({
  toolChoice: z.number(),
  toolArguments: z.number(),
  answer: z.number().nullable(),
  answerMethod: z.enum(['exact', 'numeric', 'json', 'embedding', 'judge', 'different']).nullable(),
  pass: z.boolean(),
  differences: z.array(z.string()),
}) satisfies z.ZodType<StepScore>;

const actionView = z.object({ finish: z.string(), tool_calls: z.array(z.object({ name: z.string(), arguments: z.string() })), text: z.string() }).nullable();

/** One item of a replay, recorded against replayed, as `GET /v1/replays/:id/diff/:item` shows it. */
const replayDiffSchema = z.object({
  replay_id: z.string(),
  position: z.number(),
  candidate: z.string().nullable().optional(),
  source_run_id: z.string().nullable(),
  steps: z.array(
    z.object({
      step: z.number(),
      source_run_id: z.string(),
      recorded: z.object({ model: z.string(), action: actionView, cost_micros: z.number(), latency_ms: z.number() }),
      replayed: z
        .looseObject({
          run_id: z.string(),
          action: actionView,
          error: z.object({ code: z.string(), message: z.string() }).nullable(),
          cost_micros: z.number(),
          latency_ms: z.number(),
          score: stepScore.nullable(),
        })
        .nullable(),
    }),
  ),
});

export type ReplaySummary = z.infer<typeof replaySummarySchema>;
export type ReplayView = z.infer<typeof replayViewSchema>;
export type ReplayDiff = z.infer<typeof replayDiffSchema>;
/** What a replayed step did, as the diff shows it. */
export type ActionView = z.infer<typeof actionView>;

function parseWith<T>(schema: z.ZodType<T>, what: string, json: unknown): T {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  throw new CliError(`the gateway's ${what} is not what this CLI expects (${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}); is the CLI from the same version as the gateway?`);
}

/** A replay as created or listed. */
export const parseReplaySummary = (json: unknown): ReplaySummary => parseWith(replaySummarySchema, 'replay', json);
/** A replay's full view. */
export const parseReplayView = (json: unknown): ReplayView => parseWith(replayViewSchema, 'replay view', json);
/** A replay item's diff. */
export const parseReplayDiff = (json: unknown): ReplayDiff => parseWith(replayDiffSchema, 'replay diff', json);
