import type { ChatResult } from '@gantry/spec';
import { encodeOpenAIUsage } from './decode-openai-usage.ts';
import { toOpenAIFinishReason } from './map-openai-finish-reason.ts';

/**
 * Encodes a canonical result as an OpenAI `chat.completion` object. Reasoning goes in the
 * documented `reasoning_content` field (the de-facto name used by DeepSeek, vLLM and others).
 * @see https://platform.openai.com/docs/api-reference/chat/object
 */
export function encodeOpenAIChatResponse(result: ChatResult): Record<string, unknown> {
  const choices = result.choices.map((choice) => {
    let text: string | null = null;
    let refusal: string | null = null;
    let reasoning: string | undefined;
    let signature: string | undefined;
    const toolCalls: Record<string, unknown>[] = [];
    for (const part of choice.content) {
      if (part.type === 'text') text = (text ?? '') + part.text;
      else if (part.type === 'refusal') refusal = (refusal ?? '') + part.text;
      else if (part.type === 'reasoning') {
        reasoning = (reasoning ?? '') + part.text;
        if (part.signature !== undefined) signature = part.signature;
      } else toolCalls.push({ id: part.id, type: 'function', function: { name: part.name, arguments: part.arguments } });
    }
    const message: Record<string, unknown> = { role: 'assistant', content: text, refusal, annotations: [] };
    if (reasoning !== undefined) message.reasoning_content = reasoning;
    if (signature !== undefined) message.reasoning_signature = signature;
    if (toolCalls.length > 0) message.tool_calls = toolCalls;
    return {
      index: choice.index,
      message,
      logprobs: choice.logprobs ?? null,
      finish_reason: toOpenAIFinishReason(choice.finishReason, choice.rawFinishReason),
    };
  });
  const body: Record<string, unknown> = {
    id: result.id,
    object: 'chat.completion',
    created: result.created,
    model: result.model,
    choices,
  };
  if (result.usage !== undefined) body.usage = encodeOpenAIUsage(result.usage);
  if (result.serviceTier !== undefined) body.service_tier = result.serviceTier;
  // The spec types it as a string, not nullable: omit it when the provider gave none.
  if (result.systemFingerprint !== undefined) body.system_fingerprint = result.systemFingerprint;
  return body;
}
