import type { FinishReason } from '@gantry/spec';

/** @see https://platform.openai.com/docs/api-reference/chat/object#chat/object-choices */
export function mapOpenAIFinishReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool_calls':
    case 'function_call':
      return 'tool-calls';
    case 'content_filter':
      return 'content-filter';
    default:
      return 'other';
  }
}

/** Canonical → OpenAI wire. `raw` is the provider's own word, used when it was OpenAI's to begin with. */
export function toOpenAIFinishReason(reason: FinishReason, raw: string | undefined): string {
  switch (reason) {
    case 'stop':
      return 'stop';
    case 'length':
      return 'length';
    case 'tool-calls':
      return raw === 'function_call' ? 'function_call' : 'tool_calls';
    case 'content-filter':
      return 'content_filter';
    case 'error':
    case 'other':
      return raw ?? 'stop';
  }
}
