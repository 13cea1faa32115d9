import { ProviderUnreachableError, type AssistantPart, type ChatChoice, type ChatResult } from '@gantry/spec';
import { decodeOpenAIUsage } from './decode-openai-usage.ts';
import { mapOpenAIFinishReason } from './map-openai-finish-reason.ts';
import { openaiChatResponseSchema } from './openai-wire-schemas.ts';

/** Decodes a provider's non-streaming chat completion. Throws when the body is not one. */
export function decodeOpenAIChatResponse(body: unknown, provider: string): ChatResult {
  const parsed = openaiChatResponseSchema.safeParse(body);
  if (!parsed.success) {
    throw new ProviderUnreachableError(provider, `provider ${provider} returned a malformed chat completion: ${parsed.error.issues[0]?.message ?? 'unknown shape'}`);
  }
  const wire = parsed.data;
  const choices = wire.choices.map((choice, position): ChatChoice => {
    const content: AssistantPart[] = [];
    const reasoning = choice.message.reasoning_content ?? choice.message.reasoning;
    if (reasoning != null && reasoning !== '') content.push({ type: 'reasoning', text: reasoning });
    if (choice.message.content != null) content.push({ type: 'text', text: choice.message.content });
    if (choice.message.refusal != null) content.push({ type: 'refusal', text: choice.message.refusal });
    for (const call of choice.message.tool_calls ?? []) {
      content.push({ type: 'tool-call', id: call.id, name: call.function.name, arguments: call.function.arguments });
    }
    const decoded: ChatChoice = {
      index: choice.index ?? position,
      content,
      finishReason: mapOpenAIFinishReason(choice.finish_reason),
    };
    if (choice.finish_reason != null) decoded.rawFinishReason = choice.finish_reason;
    if (choice.logprobs != null) decoded.logprobs = choice.logprobs;
    return decoded;
  });
  const result: ChatResult = {
    id: wire.id ?? '',
    model: wire.model ?? '',
    created: wire.created ?? Math.floor(Date.now() / 1000),
    choices,
  };
  if (wire.usage != null) result.usage = decodeOpenAIUsage(wire.usage);
  if (wire.system_fingerprint != null) result.systemFingerprint = wire.system_fingerprint;
  if (wire.service_tier != null) result.serviceTier = wire.service_tier;
  return result;
}
