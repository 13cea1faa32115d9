import { z } from 'zod';
import { OPENAI_API_PROVIDER_TYPES, OPENAI_APIS, PROVIDER_TYPES } from '@gantry/providers';
import { FALLBACK_CONDITIONS, STRATEGIES } from '@gantry/router';
import { answerJudgeNames, cacheModes, cacheScopes, MAX_CACHE_TTL_SECONDS } from '@gantry/cache';
import { BUILTIN_DETECTORS, injectionActions, piiActions } from '@gantry/guardrails';

/** `false` (read as null: off at this level), or the section; a union would hide which field was wrong. */
function offOr<T extends z.ZodType>(section: T) {
  return z.preprocess((value) => (value === false ? null : value), section.nullable()).optional();
}

/** One level of guardrail settings: the defaults, a model's, a team's or a key's. A section set at a level replaces the less specific one; `false` turns it off there. */
const guardrailLevelShape = {
  /** Personal data and secrets: which detectors, and what each does to what it finds. */
  pii: offOr(
    z.strictObject({
      /** The built-in detectors to run (default all). */
      detectors: z.array(z.enum(BUILTIN_DETECTORS, { error: `must be one of ${BUILTIN_DETECTORS.join(', ')}` })).optional(),
      /** Per detector (built-in or custom): `pseudonymize` (default), `redact`, `block` or `log`. */
      actions: z.record(z.string().min(1), z.enum(piiActions, { error: `must be one of ${piiActions.join(', ')}` })).optional(),
      /** Detectors of your own: a JavaScript regular expression per name. */
      custom: z.array(z.strictObject({ name: z.string().regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be 1-40 lowercase letters, digits or _, starting with a letter'), pattern: z.string().min(1), flags: z.string().optional() })).optional(),
      /** Region for phone numbers written without a country code (ISO 3166 alpha-2, default US). */
      phone_default_country: z.string().regex(/^[A-Z]{2}$/, 'must be an ISO 3166 alpha-2 code like US or GB').optional(),
    }),
  ),
  /** Prompt injection in user text and tool results. */
  injection: offOr(
    z.strictObject({
      /** At or above `threshold`: `log` (span only), `flag` (default: span and `x-gantry-guardrails` header) or `block` (400). */
      action: z.enum(injectionActions, { error: `must be one of ${injectionActions.join(', ')}` }).optional(),
      /** Score (0–1) from which the action applies. */
      threshold: z.number().gt(0).max(1).optional(),
    }),
  ),
};

/** One level of cache settings: the defaults, a model's or a key's. */
const cacheSettingsShape = {
  /** `off` (default), `exact`, or `semantic` (exact first, then near-identical first turns: needs `cache.semantic`). */
  mode: z.enum(cacheModes, { error: `must be one of ${cacheModes.join(', ')}` }).optional(),
  /** How long an entry is served (default 3600). */
  ttl_seconds: z.number().int().min(1).max(MAX_CACHE_TTL_SECONDS).optional(),
  /** Who is served an entry: `team` (default; the key's own for keys without a team), `key`, `global`. */
  scope: z.enum(cacheScopes, { error: `must be one of ${cacheScopes.join(', ')}` }).optional(),
  /** Also cache requests with an explicit temperature above 0 (default false). */
  cache_sampled: z.boolean().optional(),
  /** The fraction of what a hit saved that it is charged, from 0 (default: hits are free) to 1. */
  hit_charge: z.number().min(0).max(1).optional(),
};

const providerName = z.string().regex(/^[A-Za-z0-9_.-]+$/, 'provider names use letters, digits, _ . - (no slash)');

const provider = z.strictObject({
  type: z.enum(PROVIDER_TYPES, { error: (issue) => `unknown provider type ${JSON.stringify(issue.input)}; accepted: ${PROVIDER_TYPES.join(', ')}` }),
  base_url: z.url({ protocol: /^https?$/, error: 'must be a URL (http:// or https://)' }).optional(),
  api_key: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  max_connections: z.number().int().positive().optional(),
  timeout_ms: z.number().int().positive().optional(),
  /** azure-openai: the `api-version` query parameter. */
  api_version: z.string().min(1).optional(),
  /** openai, openai-compatible, azure-openai: chat calls go to `/chat/completions` (`chat`, the default) or `/responses`. */
  api: z.enum(OPENAI_APIS, { error: (issue) => `unknown api ${JSON.stringify(issue.input)}; accepted: ${OPENAI_APIS.join(', ')}` }).optional(),
}).superRefine((value, context) => {
  if (value.api !== undefined && !OPENAI_API_PROVIDER_TYPES.includes(value.type)) {
    context.addIssue({ code: 'custom', path: ['api'], message: `only ${OPENAI_API_PROVIDER_TYPES.join(', ')} providers have an api to choose; remove api from this ${value.type} provider` });
  }
});

const price = z.strictObject({
  input: z.number().nonnegative(),
  output: z.number().nonnegative(),
  cached_input: z.number().nonnegative().optional(),
  cache_write: z.number().nonnegative().optional(),
});

const milliseconds = z.number().int().positive();
const targetSpec = z.union([
  z.string(),
  z.strictObject({
    target: z.string(),
    weight: z.number({ error: 'must be a positive number' }).positive('must be a positive number').optional(),
    timeout_ms: milliseconds.optional(),
    first_token_timeout_ms: milliseconds.optional(),
  }),
]);

/** An alias: a group of targets and how to route over them (docs/routing.md). */
const modelAlias = z.strictObject({
  targets: z.array(targetSpec).min(1, 'needs at least one provider/model'),
  strategy: z.enum(STRATEGIES, { error: (issue) => `unknown strategy ${JSON.stringify(issue.input)}; accepted: ${STRATEGIES.join(', ')}` }).optional(),
  retry: z.strictObject({ max_attempts: z.number().int().min(1).optional(), base_delay_ms: milliseconds.optional(), max_delay_ms: milliseconds.optional() }).optional(),
  fallback_on: z.array(z.enum(FALLBACK_CONDITIONS, { error: (issue) => `unknown condition ${JSON.stringify(issue.input)}; accepted: ${FALLBACK_CONDITIONS.join(', ')}` })).optional(),
  context_window_fallback: z.string().optional(),
  content_policy_fallback: z.string().optional(),
  sticky: z.enum(['run', 'none'], { error: (issue) => `unknown sticky ${JSON.stringify(issue.input)}; accepted: run, none` }).optional(),
  sticky_ttl_ms: milliseconds.optional(),
});

/** gantry.yaml. Every key is optional; environment variables fill the server and database parts. */
export const configSchema = z.strictObject({
  server: z
    .strictObject({
      host: z.string().optional(),
      port: z.number().int().min(0).max(65535).optional(),
      /** Largest accepted request body in bytes. */
      body_limit: z.number().int().positive().optional(),
      /** A request's headers must all arrive within this many milliseconds of its first byte; 0: no limit. */
      header_timeout_ms: z.number().int().nonnegative().optional(),
      /** A whole request, headers and body, must arrive within this many milliseconds of its first byte; 0: no limit. */
      body_timeout_ms: z.number().int().nonnegative().optional(),
      /** A keep-alive connection with no request for this many milliseconds is closed. */
      idle_timeout_ms: z.number().int().positive().optional(),
      /** Open connections one client address may hold; 0: no cap. */
      max_connections_per_address: z.number().int().nonnegative().optional(),
    })
    .optional(),
  database: z
    .strictObject({
      url: z.string().optional(),
      data_dir: z.string().optional(),
      /** Embedded PGlite: its page cache (`shared_buffers`) in MiB; PGlite's WASM heap is capped at 2 GiB in all. */
      pglite_shared_buffers_mb: z.number().int().min(1).max(1024).optional(),
      /** Postgres: milliseconds to open a connection, or to wait for a free one. */
      connect_timeout_ms: milliseconds.optional(),
      /** Postgres: milliseconds to wait for a statement's answer before failing it (migrations exempt). */
      query_timeout_ms: milliseconds.optional(),
    })
    .optional(),
  providers: z.record(providerName, provider).optional(),
  models: z.record(z.string().regex(/^[^/]+$/, 'alias names cannot contain "/"'), modelAlias).optional(),
  /** Gateway-wide retry budget and circuit breakers. */
  routing: z
    .strictObject({
      retry_budget_ratio: z.number().min(0).optional(),
      retry_budget_window_ms: milliseconds.optional(),
      retry_budget_minimum: z.number().int().min(0).optional(),
      run_retry_budget: z.number().int().min(0).optional(),
      breaker: z
        .strictObject({
          failure_threshold: z.number().int().positive().optional(),
          error_rate: z.number().positive().max(1).optional(),
          window_ms: milliseconds.optional(),
          min_requests: z.number().int().positive().optional(),
          open_ms: milliseconds.optional(),
        })
        .optional(),
    })
    .optional(),
  pricing: z.record(z.string().regex(/^[^/]+\/.+$/, 'pricing keys are provider/model'), price).optional(),
  runs: z
    .strictObject({
      /** A run with no call for this long ends as `timed_out`. */
      idle_timeout_ms: z.number().int().positive().optional(),
    })
    .optional(),
  /** Budget ledger and limits (docs/budgets.md). */
  budgets: z
    .strictObject({
      /** Output tokens a call is assumed to produce when it sets no max_tokens (for its reservation). */
      default_max_output_tokens: z.number().int().positive().optional(),
      /** How often each instance reloads keys, teams, customers and budgets from the database. */
      refresh_ms: z.number().int().positive().optional(),
      /** After this long a reservation no longer counts as in flight (crashed instance). */
      parallel_timeout_ms: z.number().int().positive().optional(),
      /**
       * Budget and rate-limit headroom each instance takes ahead, in calls' worth (decision 0006);
       * 0 takes only what each call needs: one round trip per call.
       */
      lease_ahead_calls: z.number().int().nonnegative().optional(),
      /**
       * A per-call reservation still open this long after it was made (its instance crashed, or
       * settling failed until then) is settled at its span's usage, or released, by the sweeper
       * every instance runs. Keep it well above the longest call, streams included.
       */
      reservation_expiry_ms: z.number().int().positive().optional(),
    })
    .optional(),
  /** Replays of datasets (packages/evals), run in-process by each instance, or on Inngest. */
  replays: z
    .strictObject({
      /** Calls in flight per replay unless the request sets `workers`. */
      default_workers: z.number().int().min(1).max(64).optional(),
      /** How often an instance renews the heartbeat of the replays it runs and looks for stale ones. */
      heartbeat_ms: z.number().int().positive().optional(),
      /** A replay whose heartbeat is older than this (its instance died) is resumed by another instance. */
      stale_after_ms: z.number().int().positive().optional(),
      /** Run replays on Inngest (@gantry/evals-inngest) instead of in-process; `INNGEST_*` variables override these. */
      inngest: z
        .strictObject({
          event_key: z.string().min(1).optional(),
          base_url: z.url({ protocol: /^https?$/, error: 'must be a URL (http:// or https://)' }).optional(),
          signing_key: z.string().min(1).optional(),
          signing_key_fallback: z.string().min(1).optional(),
          /** Inngest dev server: requests are not signed, so only on a loopback `server.host`. */
          dev: z.boolean().optional(),
          /** Pair steps in flight per provider, across replays and instances. */
          provider_concurrency: z.number().int().min(1).max(1000).optional(),
          /** Tries of a failing pair step after the first; then the replay ends as failed. */
          retries: z.number().int().min(0).max(20).optional(),
        })
        .optional(),
    })
    .optional(),
  /** The response cache (@gantry/cache): defaults, then per model (alias or provider/model), then per key id. */
  cache: z
    .strictObject({
      ...cacheSettingsShape,
      models: z.record(z.string().min(1), z.strictObject(cacheSettingsShape)).optional(),
      keys: z.record(z.string().min(1), z.strictObject(cacheSettingsShape)).optional(),
      /** How `semantic` mode finds near-identical prompts and learns which of its answers are right. */
      semantic: z
        .strictObject({
          /**
           * The embeddings model (alias or provider/model) the last user message is embedded with, through
           * Gantry; or `local`: the built-in English model (USE-lite, 512-d) on a worker thread, no network and no provider call.
           */
          embedding_model: z.string().min(1),
          /** How an exploration is labelled: `exact` (default: same tool calls, same normalised text), `embedding`, `llm`. */
          judge: z.enum(answerJudgeNames, { error: `must be one of ${answerJudgeNames.join(', ')}` }).optional(),
          /** `llm` judge: the chat model asked whether the cached answer is as right as the fresh one. */
          judge_model: z.string().min(1).optional(),
          /** `embedding` judge: least similarity of two answers that count as the same (default 0.9). */
          judge_threshold: z.number().min(0).max(1).optional(),
          /** Largest error rate of served answers (default 0.02). */
          delta: z.number().gt(0).lt(0.5).optional(),
          /** Also match turns after the first (default false: only requests with no assistant or tool message). */
          any_turn: z.boolean().optional(),
        })
        .optional(),
    })
    .optional(),
  /** Guardrails (@gantry/guardrails): PII and prompt-injection checks; defaults, then per model, team and key. */
  guardrails: z
    .strictObject({
      ...guardrailLevelShape,
      models: z.record(z.string().min(1), z.strictObject(guardrailLevelShape)).optional(),
      teams: z.record(z.string().min(1), z.strictObject(guardrailLevelShape)).optional(),
      keys: z.record(z.string().min(1), z.strictObject(guardrailLevelShape)).optional(),
      /** Where run trees' pseudonym maps live, and their key. */
      pseudonyms: z
        .strictObject({
          /** `database` (default when `key` is set: shared by every instance, values sealed with `key`) or `memory` (this process, the run's life). */
          store: z.enum(['database', 'memory']).optional(),
          /** 32 bytes, base64 or hex (e.g. `${GANTRY_PSEUDONYM_KEY}`): seals values at rest and keys their hashes and placeholders. */
          key: z.string().min(1).optional(),
          /** How long a run tree's map is kept (default 168 hours); swept after. */
          ttl_hours: z.number().positive().max(24 * 366).optional(),
        })
        .optional(),
    })
    .optional(),
  recording: z
    .strictObject({
      /** Write spans and run totals (default true). Off: metrics and trace export still see every call. */
      enabled: z.boolean().optional(),
      /** Store the raw provider exchange on each span. */
      store_raw: z.boolean().optional(),
      max_buffered_spans: z.number().int().positive().optional(),
      flush_interval_ms: z.number().int().positive().optional(),
    })
    .optional(),
});

export type ConfigFile = z.infer<typeof configSchema>;
