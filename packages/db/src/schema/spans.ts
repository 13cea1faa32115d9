import { relations, sql } from 'drizzle-orm';
import { bigint, boolean, index, integer, json, jsonb, pgTable, text } from 'drizzle-orm/pg-core';
import { apiKeys } from './api-keys.ts';
import { timestamptz } from './columns.ts';
import { runs } from './runs.ts';

export const spanKinds = ['llm', 'attempt', 'tool', 'cache', 'agent'] as const;
export type SpanKind = (typeof spanKinds)[number];

export const spanStatuses = ['ok', 'error'] as const;
export type SpanStatus = (typeof spanStatuses)[number];

/** The error recorded on a failed span. */
export interface SpanError {
  /** Gateway error code, e.g. `provider_timeout`. */
  code: string;
  message: string;
  /** HTTP status the error maps to, when it has one. */
  status?: number;
}

/**
 * One timed unit inside a run: an LLM call, one upstream attempt of it, a tool call, a cache lookup.
 *
 * Deliberately no foreign keys (to runs, api_keys or the parent span): spans are the hot-path write,
 * flushed in batches that may land before their run row, or for a run whose row was never written
 * (e.g. the insert-ignore lost to a crash). A foreign key would turn those edge cases into lost
 * batches. Integrity is the recorder's job; the relations below are query-time only.
 */
export const spans = pgTable(
  'spans',
  {
    /**
     * A UUIDv7 from `newId()`, or derived for tool and agent spans (`toolSpanId`, `agentSpanId`).
     * No default: the recorder needs the id before the insert (children, ledger entry, headers).
     */
    id: text('id').primaryKey(),
    runId: text('run_id').notNull(),
    parentSpanId: text('parent_span_id'),
    kind: text('kind').$type<SpanKind>().notNull(),
    name: text('name'),
    status: text('status').$type<SpanStatus>().notNull(),
    startedAt: timestamptz('started_at').notNull(),
    endedAt: timestamptz('ended_at'),
    /** When the first streamed token arrived (streaming LLM spans only). */
    firstTokenAt: timestamptz('first_token_at'),
    apiKeyId: text('api_key_id'),
    provider: text('provider'),
    /** The model the client asked for. */
    model: text('model'),
    /** The model the provider reported having used. */
    upstreamModel: text('upstream_model'),
    toolCallId: text('tool_call_id'),
    inputTokens: integer('input_tokens').notNull().default(0),
    outputTokens: integer('output_tokens').notNull().default(0),
    /** Input tokens served from the provider's prompt cache (a subset of `inputTokens`). */
    cachedInputTokens: integer('cached_input_tokens').notNull().default(0),
    /** Reasoning tokens (a subset of `outputTokens`). */
    reasoningTokens: integer('reasoning_tokens').notNull().default(0),
    /** Cost in micro-dollars (1 USD = 1 000 000). */
    costMicros: bigint('cost_micros', { mode: 'number' }).notNull().default(0),
    /** HTTP status returned by the upstream, when there was one. */
    httpStatus: integer('http_status'),
    error: jsonb('error').$type<SpanError>(),
    /** The canonical request. */
    request: json('request'),
    /** The canonical result. */
    result: json('result'),
    /** The raw provider exchange, when capture is on. */
    raw: json('raw'),
    attributes: jsonb('attributes').$type<Record<string, unknown>>().notNull().default({}),
    /**
     * True on the `llm` span of a call that named no run: that run has no `runs` row and is read
     * from this span (`run_rows`). Null otherwise.
     */
    oneCallRun: boolean('one_call_run'),
    /** The caller's team, on a one-call run's `llm` span only (its run's `team_id`); null otherwise. */
    teamId: text('team_id'),
  },
  (table) => [
    index('spans_run_id_started_at_idx').on(table.runId, table.startedAt),
    index('spans_started_at_idx').on(table.startedAt),
    // The one-call runs' side of `runs_started_at_idx` and `runs_api_key_id_started_at_idx`: listing runs newest first.
    index('spans_one_call_run_started_at_idx').on(table.startedAt).where(sql`${table.oneCallRun}`),
    index('spans_one_call_run_api_key_id_started_at_idx').on(table.apiKeyId, table.startedAt).where(sql`${table.oneCallRun}`),
  ],
);

export const spansRelations = relations(spans, ({ one, many }) => ({
  run: one(runs, { fields: [spans.runId], references: [runs.id] }),
  parentSpan: one(spans, {
    fields: [spans.parentSpanId],
    references: [spans.id],
    relationName: 'span_children',
  }),
  childSpans: many(spans, { relationName: 'span_children' }),
  apiKey: one(apiKeys, { fields: [spans.apiKeyId], references: [apiKeys.id] }),
}));

export type Span = typeof spans.$inferSelect;
export type NewSpan = typeof spans.$inferInsert;
