import { ProviderUnreachableError, type AssistantPart, type ChatChoice, type ChatResult } from '@gantry/spec';
import { decodeGeminiPart } from './decode-gemini-part.ts';
import { geminiResponseSchema } from './gemini-wire-schemas.ts';
import { decodeGeminiUsage, mapGeminiFinishReason } from './map-gemini-finish-reason.ts';

/**
 * Decodes a `generateContent` response into a ChatResult: one choice per candidate; function calls
 * get generated ids (Gemini sends none); a prompt blocked before any candidate becomes one empty
 * choice finished by `content-filter` with the block reason as its raw finish reason.
 * @see https://ai.google.dev/api/generate-content#v1beta.GenerateContentResponse
 */
export function decodeGeminiResponse(body: unknown, provider: string): ChatResult {
  const parsed = geminiResponseSchema.safeParse(body);
  if (!parsed.success) {
    throw new ProviderUnreachableError(provider, `provider ${provider} returned a malformed generateContent response: ${parsed.error.issues[0]?.message ?? 'unknown shape'}`);
  }
  const wire = parsed.data;
  const choices = (wire.candidates ?? []).map((candidate, position): ChatChoice => {
    const content: AssistantPart[] = (candidate.content?.parts ?? []).flatMap(decodeGeminiPart);
    const hasFunctionCalls = content.some((part) => part.type === 'tool-call');
    const choice: ChatChoice = {
      index: candidate.index ?? position,
      content,
      finishReason: mapGeminiFinishReason(candidate.finishReason, hasFunctionCalls),
    };
    if (candidate.finishReason !== undefined) choice.rawFinishReason = candidate.finishReason;
    return choice;
  });
  const blockReason = wire.promptFeedback?.blockReason;
  if (choices.length === 0 && blockReason !== undefined) {
    choices.push({ index: 0, content: [], finishReason: 'content-filter', rawFinishReason: blockReason });
  }
  const result: ChatResult = {
    id: wire.responseId ?? '',
    model: wire.modelVersion ?? '',
    created: Math.floor(Date.now() / 1000),
    choices,
  };
  if (wire.usageMetadata !== undefined) result.usage = decodeGeminiUsage(wire.usageMetadata);
  return result;
}
