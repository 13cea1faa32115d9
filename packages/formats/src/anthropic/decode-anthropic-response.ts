import { ProviderUnreachableError, type AssistantPart, type ChatResult } from '@gantry/spec';
import { decodeToolArguments } from '../tool-arguments.ts';
import { decodeAnthropicUsage } from './anthropic-usage.ts';
import {
  anthropicCountTokensResponseSchema,
  anthropicRedactedThinkingBlockSchema,
  anthropicResponseSchema,
  anthropicTextBlockSchema,
  anthropicThinkingBlockSchema,
  anthropicToolUseBlockSchema,
} from './anthropic-wire-schemas.ts';
import { mapAnthropicStopReason } from './map-anthropic-stop-reason.ts';

/**
 * One Anthropic content block → a canonical part, or null for block types with no canonical form
 * (server tool blocks such as `server_tool_use`, `web_search_tool_result`), which Gantry never asks for.
 * @see https://docs.anthropic.com/en/api/messages#response-content
 */
export function decodeAnthropicBlock(block: { type: string }): AssistantPart | null {
  switch (block.type) {
    case 'text': {
      const text = anthropicTextBlockSchema.safeParse(block);
      return text.success ? { type: 'text', text: text.data.text } : null;
    }
    case 'tool_use': {
      const call = anthropicToolUseBlockSchema.safeParse(block);
      return call.success ? { type: 'tool-call', id: call.data.id, name: call.data.name, arguments: decodeToolArguments(call.data.input) } : null;
    }
    case 'thinking': {
      const thinking = anthropicThinkingBlockSchema.safeParse(block);
      if (!thinking.success) return null;
      const part: AssistantPart = { type: 'reasoning', text: thinking.data.thinking };
      if (thinking.data.signature != null && thinking.data.signature !== '') part.signature = thinking.data.signature;
      return part;
    }
    case 'redacted_thinking': {
      const redacted = anthropicRedactedThinkingBlockSchema.safeParse(block);
      return redacted.success ? { type: 'reasoning', text: '', redactedData: redacted.data.data } : null;
    }
    default:
      return null;
  }
}

/** Decodes a provider's non-streaming Messages response. Throws when the body is not one. */
export function decodeAnthropicResponse(body: unknown, provider: string): ChatResult {
  const parsed = anthropicResponseSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ProviderUnreachableError(provider, `provider ${provider} returned a malformed Messages response: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'unknown shape'}`);
  }
  const wire = parsed.data;
  const content: AssistantPart[] = [];
  for (const block of wire.content) {
    const part = decodeAnthropicBlock(block);
    if (part !== null) content.push(part);
  }
  const choice: ChatResult['choices'][number] = { index: 0, content, finishReason: mapAnthropicStopReason(wire.stop_reason) };
  if (wire.stop_reason != null) choice.rawFinishReason = wire.stop_reason;
  const result: ChatResult = {
    id: wire.id ?? '',
    model: wire.model ?? '',
    // Anthropic responses carry no timestamp.
    created: Math.floor(Date.now() / 1000),
    choices: [choice],
  };
  if (wire.usage != null) result.usage = decodeAnthropicUsage(wire.usage);
  return result;
}

/** Decodes a `count_tokens` response to its input token count. */
export function decodeAnthropicCountTokensResponse(body: unknown, provider: string): number {
  const parsed = anthropicCountTokensResponseSchema.safeParse(body);
  if (!parsed.success) throw new ProviderUnreachableError(provider, `provider ${provider} returned a malformed count_tokens response`);
  return parsed.data.input_tokens;
}
