import type { FinishReason, Usage } from '@gantry/spec';
import type { GeminiUsage } from './gemini-wire-schemas.ts';

/** Finish reasons (and prompt block reasons) that mean a safety or policy filter stopped the answer. */
const FILTERED = new Set(['SAFETY', 'RECITATION', 'BLOCKLIST', 'PROHIBITED_CONTENT', 'SPII', 'IMAGE_SAFETY', 'IMAGE_PROHIBITED_CONTENT', 'IMAGE_RECITATION']);

/**
 * Gemini `finishReason` → canonical. Gemini reports function calls with `STOP`, so the caller says
 * whether the candidate called functions.
 * @see https://ai.google.dev/api/generate-content#FinishReason
 */
export function mapGeminiFinishReason(reason: string | undefined, hasFunctionCalls: boolean): FinishReason {
  if (reason === 'STOP') return hasFunctionCalls ? 'tool-calls' : 'stop';
  if (reason === 'MAX_TOKENS') return 'length';
  if (reason !== undefined && FILTERED.has(reason)) return 'content-filter';
  return 'other';
}

/**
 * Gemini usage → canonical. `promptTokenCount` already includes cached content; tool-use prompt
 * tokens (results of built-in tools such as search) are input billed at the input rate, so they
 * count as input too. `candidatesTokenCount` excludes thoughts, canonical output includes them.
 * @see https://ai.google.dev/api/generate-content#UsageMetadata
 */
export function decodeGeminiUsage(usage: GeminiUsage): Usage {
  const thoughts = usage.thoughtsTokenCount ?? 0;
  const result: Usage = {
    inputTokens: (usage.promptTokenCount ?? 0) + (usage.toolUsePromptTokenCount ?? 0),
    outputTokens: (usage.candidatesTokenCount ?? 0) + thoughts,
  };
  if (usage.cachedContentTokenCount !== undefined) result.cachedInputTokens = usage.cachedContentTokenCount;
  if (usage.thoughtsTokenCount !== undefined) result.reasoningTokens = usage.thoughtsTokenCount;
  return result;
}
