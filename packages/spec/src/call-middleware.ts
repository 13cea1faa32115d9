import type { ChatRequest } from './chat-request.ts';
import type { ChatResult } from './chat-result.ts';
import type { StreamEvent } from './stream-event.ts';

/** What a call a middleware answers without a provider (a cache hit) is charged, in micro-dollars. */
export interface AnswerCharge {
  /** Charged to the call's budgets and spend (an integer ≥ 0; 0 for a free hit). */
  chargeMicros: number;
  /** What a provider would have cost for the answer (what the hit saved), kept in the ledger for spend reports. */
  savedMicros: number;
}

/** What a middleware knows of the call it takes part in. */
export interface CallMiddlewareContext {
  /** The run the call belongs to (a sub-agent's own run, not its root). */
  readonly runId: string;
  /** The root of the run tree: what is shared by every call of an agent and its sub-agents. */
  readonly rootRunId: string;
  /** The request named no run: the call is a run of its own, and nothing about it outlives it. */
  readonly implicitRun: boolean;
  /** The call's `llm` span id. */
  readonly spanId: string;
  /** The caller's virtual key and team; null for the master key. */
  readonly apiKeyId: string | null;
  readonly teamId: string | null;
  /** Fires when the caller went away: stop any work for the call. */
  readonly signal: AbortSignal;
  /** `provider/model` of each target the call may go to, in the order the router tries them. */
  readonly targets: readonly string[];
  /** The request's headers, lower-cased (a cache's `x-gantry-cache`, `cache-control`). */
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  /** Adds an attribute to the call's `llm` span (e.g. `cache: 'miss'`), recorded with it. */
  setAttribute(key: string, value: unknown): void;
  /** Adds a header to the call's answer (`x-gantry-*` only; e.g. `x-gantry-cache: hit-exact`), success or failure. */
  setResponseHeader(name: `x-gantry-${string}`, value: string): void;
  /**
   * Prices the answer this middleware gives without calling `next` (a cache hit): the call's
   * reservation is settled at `chargeMicros`, with no tokens, instead of released, and its ledger
   * entry records `savedMicros`. Without it such an answer is free: its reservation is released.
   * Ignored when the router answered the call.
   */
  setAnswerCharge(charge: AnswerCharge): void;
}

/** Arguments of a result-side wrapper: the call so far, and `next` to go on inward. */
export interface WrapCallOptions<T> {
  /** The request as every middleware's `transformRequest` left it. */
  request: ChatRequest;
  context: CallMiddlewareContext;
  /** Runs the rest of the call: the middleware after this one, and at the end the router. */
  next: () => Promise<T>;
}

/**
 * One stage around the provider call (a cache, a PII filter, a guardrail), in the shape of
 * vercel/ai's language-model middleware (`transformParams` / `wrapGenerate` / `wrapStream`).
 *
 * The gateway composes an ordered list. Request side: every `transformRequest` runs in list order,
 * then the wrappers run with the first in the list outermost. Result side: in reverse order. A
 * wrapper that returns without calling `next` answers the call itself (a cache hit): the router is
 * not reached, and the call is recorded as answered by this middleware.
 *
 * What is recorded is what was exchanged with whoever answered: the request as the last
 * `transformRequest` left it (what a provider was sent) and the result as the provider, or the
 * answering middleware, gave it — before any middleware changed it on the way out. The client
 * receives what the first middleware in the list returns. Usage and cost come from the recorded
 * result.
 */
export interface CallMiddleware {
  /** Names the middleware in spans (`answered_by`) and errors. */
  readonly name: string;
  /** Rewrites the request before it goes inward (redact, normalise). The `model` cannot change: the route is fixed. */
  transformRequest?(options: { request: ChatRequest; context: CallMiddlewareContext }): ChatRequest | Promise<ChatRequest>;
  /** Wraps a non-streaming call: may answer it, or call `next` and change or observe its result. */
  wrapComplete?(options: WrapCallOptions<ChatResult>): Promise<ChatResult>;
  /** Wraps a streaming call: may answer it with events of its own, or call `next` and transform the stream. */
  wrapStream?(options: WrapCallOptions<AsyncIterable<StreamEvent>>): Promise<AsyncIterable<StreamEvent>>;
}
