import type { AssistantPart, ChatResult } from '@gantry/spec';
import { encodeToolArguments } from '../tool-arguments.ts';
import { encodeAnthropicUsage } from './anthropic-usage.ts';
import { toAnthropicStopReason } from './map-anthropic-stop-reason.ts';

export interface EncodeAnthropicResponseOptions {
  /** The model name the client sees; defaults to the model the upstream reported. */
  model?: string;
}

/**
 * Canonical parts → Anthropic response content blocks. Refusals become text (Anthropic signals a
 * refusal by `stop_reason`, not a block); tool-call arguments that are not a JSON object are kept
 * as `{"_raw_arguments": "<text>"}`.
 * @see https://docs.anthropic.com/en/api/messages#response-content
 */
export function toAnthropicContentBlocks(parts: AssistantPart[]): Record<string, unknown>[] {
  const blocks: Record<string, unknown>[] = [];
  for (const part of parts) {
    switch (part.type) {
      case 'reasoning':
        if (part.text !== '' || part.signature !== undefined) blocks.push({ type: 'thinking', thinking: part.text, signature: part.signature ?? '' });
        if (part.redactedData !== undefined) blocks.push({ type: 'redacted_thinking', data: part.redactedData });
        break;
      case 'text':
      case 'refusal':
        blocks.push({ type: 'text', text: part.text });
        break;
      case 'tool-call':
        blocks.push({ type: 'tool_use', id: part.id, name: part.name, input: encodeToolArguments(part.arguments) });
        break;
    }
  }
  return blocks;
}

/** Encodes a canonical result as an Anthropic `message` object (choice 0; Anthropic has no `n`). */
export function encodeAnthropicResponse(result: ChatResult, options: EncodeAnthropicResponseOptions = {}): Record<string, unknown> {
  const choice = result.choices.find((candidate) => candidate.index === 0) ?? result.choices[0];
  return {
    id: result.id,
    type: 'message',
    role: 'assistant',
    model: options.model ?? result.model,
    content: toAnthropicContentBlocks(choice?.content ?? []),
    stop_reason: choice === undefined ? 'end_turn' : toAnthropicStopReason(choice.finishReason, choice.rawFinishReason),
    stop_sequence: null,
    usage: encodeAnthropicUsage(result.usage ?? { inputTokens: 0, outputTokens: 0 }),
  };
}
