import type { Usage } from '@gantry/spec';
import type { AnthropicUsage } from './anthropic-wire-schemas.ts';

/**
 * Anthropic's `input_tokens` excludes cache reads and cache writes; canonical `inputTokens`
 * includes both, so they are added back here.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching#tracking-cache-performance
 */
export function decodeAnthropicUsage(usage: AnthropicUsage): Usage {
  const read = usage.cache_read_input_tokens;
  const write = usage.cache_creation_input_tokens;
  const result: Usage = {
    inputTokens: (usage.input_tokens ?? 0) + (read ?? 0) + (write ?? 0),
    outputTokens: usage.output_tokens ?? 0,
  };
  if (read != null) result.cachedInputTokens = read;
  if (write != null) result.cacheWriteInputTokens = write;
  const thinking = usage.output_tokens_details?.thinking_tokens;
  if (thinking != null) result.reasoningTokens = thinking;
  return result;
}

/**
 * Stream usage arrives in two parts: `message_start` has the input counts, `message_delta` the
 * output count and (on live streams) the input counts again. The latest non-null value wins.
 */
export function mergeAnthropicUsage(base: AnthropicUsage | undefined, update: AnthropicUsage): AnthropicUsage {
  const merged: Record<string, unknown> = { ...base };
  for (const [key, value] of Object.entries(update)) if (value != null) merged[key] = value;
  return merged as AnthropicUsage;
}

/** Canonical → Anthropic usage, splitting cache reads and writes back out of `input_tokens`. */
export function encodeAnthropicUsage(usage: Usage): Record<string, number> {
  const read = usage.cachedInputTokens ?? 0;
  const write = usage.cacheWriteInputTokens ?? 0;
  return {
    input_tokens: Math.max(0, usage.inputTokens - read - write),
    cache_creation_input_tokens: write,
    cache_read_input_tokens: read,
    output_tokens: usage.outputTokens,
  };
}
