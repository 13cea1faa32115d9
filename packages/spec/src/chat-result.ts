import type { AssistantPart } from './chat-request.ts';

/** Why generation stopped, in canonical form. `other` keeps the provider's own word in `rawFinishReason`. */
export type FinishReason = 'stop' | 'length' | 'tool-calls' | 'content-filter' | 'error' | 'other';

/** Token counts. `inputTokens` includes cached and cache-written input tokens. */
export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens served from the provider's prompt cache (billed at the cached rate). */
  cachedInputTokens?: number;
  /** Input tokens written to the provider's prompt cache (Anthropic cache creation). */
  cacheWriteInputTokens?: number;
  /** Output tokens spent on reasoning (included in `outputTokens`). */
  reasoningTokens?: number;
}

export interface ChatChoice {
  index: number;
  content: AssistantPart[];
  finishReason: FinishReason;
  /** The provider's own finish reason string, before mapping. */
  rawFinishReason?: string;
  /** Provider log-probabilities, passed through untouched to clients of the same wire family. */
  logprobs?: unknown;
}

export interface ChatResult {
  /** Response id from the provider (e.g. `chatcmpl-…`, `msg_…`). */
  id: string;
  /** The model that answered, as the provider reported it. */
  model: string;
  /** Unix seconds. */
  created: number;
  choices: ChatChoice[];
  usage?: Usage;
  systemFingerprint?: string;
  serviceTier?: string;
}
