import { newId, toolSpanId, type NewSpan, type RunDelta } from '@gantry/db';
import type { GatewayError, Usage } from '@gantry/spec';

/** One upstream try of a call. */
export interface CallAttempt {
  /** Provider name (config key). */
  provider: string;
  /** The model name sent to the provider. */
  model: string;
  startedAt: number;
  endedAt: number;
  error?: GatewayError;
  /** The exchange of a failed try (bounded in size), when raw exchanges are kept. */
  raw?: unknown;
}

/** A tool call the model made in this call's response. */
export interface CalledTool {
  id: string;
  name: string;
  arguments: string;
}

/** Everything known about one client request once it is over, successful or not. */
export interface CallRecord {
  spanId: string;
  runId: string;
  /**
   * Set when the request named no run: the call is a run of its own, with no `runs` row — its llm
   * span says so (`oneCallRun`) and carries the caller's team, and `run_rows` reads the run from it.
   */
  implicitRun?: { apiKeyId: string | null; teamId: string | null };
  apiKeyId: string | null;
  /** `chat` or `embeddings`, or the client's `x-gantry-span-name`. */
  name: string;
  /** What the client asked for (alias or provider/model). */
  requestedModel: string;
  provider?: string;
  /** The model the provider reported. */
  upstreamModel?: string;
  /** Canonical request and result. */
  request: unknown;
  result?: unknown;
  usage?: Usage;
  /** `usage` was counted by Gantry: the answer came without the provider's. */
  usageEstimated?: boolean;
  /** Micro-dollars; undefined when the model has no known price. */
  costMicros: number | undefined;
  error?: GatewayError;
  /** Unix milliseconds. */
  startedAt: number;
  endedAt: number;
  firstTokenAt?: number;
  raw?: unknown;
  attempts: readonly CallAttempt[];
  stream: boolean;
  /**
   * The middleware that answered the call without a provider (a cache hit): the call's `llm` span
   * gets a `cache` span named for it where attempts would be, and no usage of its own.
   */
  answeredBy?: string;
  /** Tool calls in the response: each opens a `tool` span until a later request carries its result. */
  toolCalls?: readonly CalledTool[];
  attributes?: Record<string, unknown>;
}

function errorOf(error: GatewayError): NonNullable<NewSpan['error']> {
  return { code: error.code, message: error.message, status: error.status };
}

/**
 * The rows a call leaves: one `llm` span, one `attempt` span per upstream try (so retries and
 * fallbacks show) or one `cache` span when a middleware answered, one open `tool` span per tool call in the response, and the additions
 * to its run's totals — none when the request named no run: that run is read from the llm span.
 */
export function buildCallRows(record: CallRecord): { spans: NewSpan[]; delta?: RunDelta } {
  const usage = record.usage;
  const startedAt = new Date(record.startedAt);
  const endedAt = new Date(record.endedAt);
  const failed = record.error !== undefined;
  const llm: NewSpan = {
    id: record.spanId,
    runId: record.runId,
    kind: 'llm',
    name: record.name,
    status: failed ? 'error' : 'ok',
    startedAt,
    endedAt,
    firstTokenAt: record.firstTokenAt === undefined ? null : new Date(record.firstTokenAt),
    apiKeyId: record.apiKeyId,
    provider: record.provider ?? null,
    model: record.requestedModel,
    upstreamModel: record.upstreamModel ?? null,
    inputTokens: usage?.inputTokens ?? 0,
    outputTokens: usage?.outputTokens ?? 0,
    cachedInputTokens: usage?.cachedInputTokens ?? 0,
    reasoningTokens: usage?.reasoningTokens ?? 0,
    costMicros: record.costMicros ?? 0,
    httpStatus: record.error?.status ?? 200,
    error: record.error === undefined ? null : errorOf(record.error),
    request: record.request,
    result: record.result ?? null,
    raw: record.raw ?? null,
    attributes: {
      ...record.attributes,
      stream: record.stream,
      attempts: record.attempts.length,
      ...(record.answeredBy !== undefined ? { answered_by: record.answeredBy } : usage === undefined ? { usage_reported: false } : {}),
      ...(record.usageEstimated === true ? { usage_estimated: true } : {}),
      ...(record.costMicros === undefined && usage !== undefined ? { priced: false } : {}),
      ...(usage?.cacheWriteInputTokens ? { cache_write_input_tokens: usage.cacheWriteInputTokens } : {}),
    },
  };
  if (record.implicitRun !== undefined) {
    llm.oneCallRun = true;
    llm.teamId = record.implicitRun.teamId;
  }
  const spans: NewSpan[] = [llm];
  for (const attempt of record.attempts) {
    spans.push({
      id: newId(),
      runId: record.runId,
      parentSpanId: record.spanId,
      kind: 'attempt',
      name: `${attempt.provider}/${attempt.model}`,
      status: attempt.error === undefined ? 'ok' : 'error',
      startedAt: new Date(attempt.startedAt),
      endedAt: new Date(attempt.endedAt),
      apiKeyId: record.apiKeyId,
      provider: attempt.provider,
      model: attempt.model,
      httpStatus: attempt.error?.status ?? null,
      error: attempt.error === undefined ? null : errorOf(attempt.error),
      raw: attempt.raw ?? null,
    });
  }
  if (record.answeredBy !== undefined) {
    spans.push({
      id: newId(),
      runId: record.runId,
      parentSpanId: record.spanId,
      kind: 'cache',
      name: record.answeredBy,
      status: failed ? 'error' : 'ok',
      startedAt,
      endedAt,
      apiKeyId: record.apiKeyId,
      model: record.upstreamModel ?? null,
    });
  }
  for (const tool of record.toolCalls ?? []) {
    spans.push({
      id: toolSpanId(record.runId, tool.id),
      runId: record.runId,
      kind: 'tool',
      name: tool.name,
      status: 'ok',
      startedAt: endedAt,
      toolCallId: tool.id,
      apiKeyId: record.apiKeyId,
      request: { name: tool.name, arguments: tool.arguments },
      attributes: { llm_span_id: record.spanId },
    });
  }
  if (record.implicitRun !== undefined) return { spans };
  const delta: RunDelta = {
    id: record.runId,
    costMicros: record.costMicros ?? 0,
    inputTokens: usage?.inputTokens ?? 0,
    outputTokens: usage?.outputTokens ?? 0,
    llmCalls: 1,
    toolCalls: record.toolCalls?.length ?? 0,
    lastActivityAt: endedAt,
  };
  return { spans, delta };
}
