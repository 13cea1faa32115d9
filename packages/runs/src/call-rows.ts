import type { NewRun, NewSpan } from '@gantry/db';
import type { GatewayError, Usage } from '@gantry/spec';
import { newSpanId } from './span-id.ts';

/** One upstream try of a call. */
export interface CallAttempt {
  /** Provider name (config key). */
  provider: string;
  /** The model name sent to the provider. */
  model: string;
  startedAt: number;
  endedAt: number;
  error?: GatewayError;
}

/** Everything known about one client request once it is over, successful or not. */
export interface CallRecord {
  spanId: string;
  runId: string;
  apiKeyId: string | null;
  /** `chat` or `embeddings`. */
  operation: string;
  /** What the client asked for (alias or provider/model). */
  requestedModel: string;
  provider?: string;
  /** The model the provider reported. */
  upstreamModel?: string;
  /** Canonical request and result. */
  request: unknown;
  result?: unknown;
  usage?: Usage;
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
}

function errorOf(error: GatewayError): NonNullable<NewSpan['error']> {
  return { code: error.code, message: error.message, status: error.status };
}

/**
 * The rows a call leaves: its single-call run, one `llm` span, and one `attempt` span per upstream
 * try (so retries and fallbacks show). Runs named by clients come with agent runs; until then each
 * request is a run of its own.
 */
export function buildCallRows(record: CallRecord): { run: NewRun; spans: NewSpan[] } {
  const usage = record.usage;
  const startedAt = new Date(record.startedAt);
  const endedAt = new Date(record.endedAt);
  const failed = record.error !== undefined;
  const llm: NewSpan = {
    id: record.spanId,
    runId: record.runId,
    kind: 'llm',
    name: record.operation,
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
      stream: record.stream,
      attempts: record.attempts.length,
      ...(usage === undefined ? { usage_reported: false } : {}),
      ...(record.costMicros === undefined && usage !== undefined ? { priced: false } : {}),
      ...(usage?.cacheWriteInputTokens ? { cache_write_input_tokens: usage.cacheWriteInputTokens } : {}),
    },
  };
  const spans: NewSpan[] = [llm];
  for (const attempt of record.attempts) {
    spans.push({
      id: newSpanId(),
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
    });
  }
  const run: NewRun = {
    id: record.runId,
    rootRunId: record.runId,
    apiKeyId: record.apiKeyId,
    status: failed ? 'failed' : 'succeeded',
    startedAt,
    endedAt,
    lastActivityAt: endedAt,
    costMicros: record.costMicros ?? 0,
    inputTokens: usage?.inputTokens ?? 0,
    outputTokens: usage?.outputTokens ?? 0,
    llmCalls: 1,
  };
  return { run, spans };
}
