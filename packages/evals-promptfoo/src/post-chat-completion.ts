import { decodeOpenAIChatResponse } from '@gantry/formats';
import type { ChatResult } from '@gantry/spec';
import type { TokenUsage } from 'promptfoo';
import { callGantry, jsonOf, type GantryConnection } from './gantry-connection.ts';

/** A chat completion Gantry answered, decoded, with where Gantry recorded it. */
export interface PostedChat {
  result: ChatResult;
  latencyMs: number;
  /** `x-gantry-run-id`, `x-gantry-span-id` and `x-gantry-target` of the answer. */
  gantry: { runId: string | null; spanId: string | null; target: string | null };
}

/** Sends an OpenAI chat completions body to Gantry (not streamed) and decodes the answer. */
export async function postChatCompletion(connection: GantryConnection, body: Record<string, unknown>, headers: Record<string, string>, signal: AbortSignal): Promise<PostedChat> {
  const startedAt = performance.now();
  const response = await callGantry(connection, '/v1/chat/completions', { body, headers, signal });
  const latencyMs = Math.round(performance.now() - startedAt);
  return {
    result: decodeOpenAIChatResponse(jsonOf(response, 'a chat completion'), 'gantry'),
    latencyMs,
    gantry: { runId: response.headers.get('x-gantry-run-id'), spanId: response.headers.get('x-gantry-span-id'), target: response.headers.get('x-gantry-target') },
  };
}

/** promptfoo's token usage of a result; undefined when the answer reported none. */
export function tokenUsageOf(result: ChatResult): TokenUsage | undefined {
  const usage = result.usage;
  if (usage === undefined) return undefined;
  return { prompt: usage.inputTokens, completion: usage.outputTokens, cached: usage.cachedInputTokens ?? 0, total: usage.inputTokens + usage.outputTokens, numRequests: 1 };
}

/** A signal that aborts on `abort` (when given) or after `timeoutMs`. */
export function deadline(timeoutMs: number, abort: AbortSignal | undefined): AbortSignal {
  const timeout = AbortSignal.timeout(timeoutMs);
  return abort === undefined ? timeout : AbortSignal.any([abort, timeout]);
}

/**
 * A provider response for a failed call. promptfoo retries, with growing waits, any error whose
 * text holds `429` or `rate limit` — which ids in a message can hold by chance — unless the
 * response says what kind it is: Gantry's 429 (its own rate limits, or the upstream's) is
 * `rate_limit` and retried; anything else is marked `quota`, promptfoo's only "do not retry".
 */
export function failedResponse(message: string, status: number | undefined): { error: string; metadata: Record<string, unknown> } {
  return {
    error: message,
    metadata: {
      ...(status === undefined ? {} : { http: { status, statusText: '' } }),
      rateLimitKind: status === 429 ? 'rate_limit' : 'quota',
    },
  };
}
