import type { RunDelta, StartedRunCounter } from '@gantry/db';
import type { BudgetGuard } from '@gantry/policy';
import type { PriceBook } from '@gantry/providers';
import type { Router } from '@gantry/router';
import type { RunCaller, RunRegistry, SpanRecorder } from '@gantry/runs';
import type { CallMiddleware, ChatRequest, EmbeddingRequest, GatewayError, Usage } from '@gantry/spec';

/** The long-lived parts a call needs. A gateway instance has one set; replay uses the same. */
export interface CallServices {
  router: Router;
  prices: PriceBook;
  recorder: SpanRecorder;
  runs: RunRegistry;
  /** Budgets, run limits and rate limits: reserve before a call, settle after. */
  budgets: BudgetGuard;
  /** Around every chat call, in this order (see `CallMiddleware` for what the order decides). */
  middleware: readonly CallMiddleware[];
  calls: CallSettings;
}

export interface CallSettings {
  /** Keep the provider exchange (URL, bodies) on spans. */
  storeRaw: boolean;
  /** Output tokens reserved for a call that sets no `max_tokens`, per choice. */
  defaultMaxOutputTokens: number;
  /** Recording a call failed (a bug, never the database: writes are batched later). */
  onRecordError?: (error: unknown, spanId: string) => void;
}

/** Request headers as Node gives them; a call reads only Gantry's (and its peers') own from them. */
export type CallHeaders = Readonly<Record<string, string | string[] | undefined>>;

/**
 * One call as a caller hands it over, after its wire format was decoded. `headers` carry the run
 * context (`x-gantry-run-id`, parents, names, traceparent, peers' session headers), the customer
 * and the run-limit overrides; replay sets the ones it needs.
 */
export interface CallInput<R> {
  request: R;
  caller: RunCaller;
  headers: CallHeaders;
  /** Attributes the call's `llm` span starts with (replay: the recorded span it replays). */
  attributes?: Record<string, unknown>;
  /** Told what the call was settled at once it is recorded (replay scores cost and latency with it). */
  onRecorded?: (recorded: RecordedCall) => void;
  /**
   * The run the headers name was started by the caller for this call (the Responses API's first
   * turn): its limits are checked in memory, and the caller writes the run's row and counter from
   * `RecordedCall.startedRun` before the run can be built on.
   */
  startsRun?: boolean;
}

/** What a chat call was recorded and settled at. */
export interface RecordedCall {
  spanId: string;
  /** Micro-dollars; undefined when the model has no known price or no usage is known. */
  costMicros: number | undefined;
  usage: Usage | undefined;
  /** Unix milliseconds. */
  startedAt: number;
  endedAt: number;
  firstTokenAt: number | undefined;
  error: GatewayError | undefined;
  /**
   * With `CallInput.startsRun`, what the caller writes with the run's row: the run's totals after
   * this call (the recorder leaves them to it), and the run's ledger counter as this call leaves
   * it — undefined when the call reserved through the counter itself.
   */
  startedRun?: { totals: RunDelta | undefined; counter: StartedRunCounter | undefined };
}

export type ChatCallInput = CallInput<ChatRequest>;
export type EmbeddingCallInput = CallInput<EmbeddingRequest>;

/** Where a call went: what a client is told about it (Gantry's response headers). */
export interface CallTrace {
  runId: string;
  spanId: string;
  /** `provider/model` of the target that answered. */
  target?: string;
  /** Upstream tries made (0 when a middleware answered). */
  attempts: number;
  /** The middleware that answered the call instead of a provider (a cache hit). */
  answeredBy?: string;
  /** Headers middleware added to the answer (`x-gantry-cache`). */
  headers?: Record<string, string>;
}

const traces = new WeakMap<GatewayError, CallTrace>();

/** Remembers where a failed call had got to, for `traceOf`. */
export function withTrace(error: GatewayError, trace: CallTrace): GatewayError {
  traces.set(error, trace);
  return error;
}

/**
 * Where a failed call had got to (its run, span and tries), when it failed after its budget was
 * reserved; undefined for errors before that (a bad header, an unknown model, a budget refusal).
 */
export function traceOf(error: unknown): CallTrace | undefined {
  return typeof error === 'object' && error !== null ? traces.get(error as GatewayError) : undefined;
}
