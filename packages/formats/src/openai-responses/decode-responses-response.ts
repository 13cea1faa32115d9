import type { AssistantPart, ChatChoice, ChatResult } from '@gantry/spec';
import {
  decodeResponsesUsage,
  functionCallItemSchema,
  mapResponsesFinish,
  messageItemSchema,
  parseUpstream,
  reasoningItemSchema,
  reasoningTextOf,
  responseSchema,
  responsesFailureError,
  type ResponsesWireResponse,
} from './responses-upstream-wire.ts';

/** Appends text to the last part when it is of the same kind, as `ChatResultBuilder` does for a stream. */
function appendText(parts: AssistantPart[], type: 'text' | 'refusal', text: string): void {
  const last = parts.at(-1);
  if (last !== undefined && last.type === type) last.text += text;
  else parts.push({ type, text });
}

/**
 * The output items as canonical parts, in order: reasoning items with a summary or an
 * `encrypted_content` (kept as the signature, to be sent back), message text and refusals,
 * function calls. Items of built-in tools (`web_search_call`, …) have no canonical form and are
 * left out.
 */
function decodeOutput(output: ResponsesWireResponse['output'], provider: string): { parts: AssistantPart[]; calledFunctions: boolean } {
  const parts: AssistantPart[] = [];
  let calledFunctions = false;
  for (const [index, item] of (output ?? []).entries()) {
    const what = `Responses output[${index}] ${item.type} item`;
    if (item.type === 'reasoning') {
      const reasoning = parseUpstream(reasoningItemSchema, item, provider, what);
      const text = reasoningTextOf(reasoning);
      const signature = reasoning.encrypted_content ?? undefined;
      if (text === '' && signature === undefined) continue;
      parts.push(signature === undefined ? { type: 'reasoning', text } : { type: 'reasoning', text, signature });
    } else if (item.type === 'message') {
      for (const part of parseUpstream(messageItemSchema, item, provider, what).content) {
        if (part.type === 'output_text' && part.text !== undefined) appendText(parts, 'text', part.text);
        else if (part.type === 'refusal' && part.refusal !== undefined) appendText(parts, 'refusal', part.refusal);
      }
    } else if (item.type === 'function_call') {
      const call = parseUpstream(functionCallItemSchema, item, provider, what);
      calledFunctions = true;
      parts.push({ type: 'tool-call', id: call.call_id, name: call.name, arguments: call.arguments });
    }
  }
  return { parts, calledFunctions };
}

/**
 * Decodes an upstream's non-streaming Response into a ChatResult with one choice. A response
 * with `status: "failed"` throws the ProviderHttpError its error code stands for; `incomplete`
 * with `max_output_tokens` is `length`, with `content_filter` is `content-filter`.
 * @see https://platform.openai.com/docs/api-reference/responses/object
 */
export function decodeResponsesResponse(body: unknown, provider = 'openai'): ChatResult {
  const wire = parseUpstream(responseSchema, body, provider, 'Responses body');
  if (wire.status === 'failed') throw responsesFailureError(provider, wire.error?.code, wire.error?.message, body);
  const { parts, calledFunctions } = decodeOutput(wire.output, provider);
  const finish = mapResponsesFinish(wire, calledFunctions);
  const choice: ChatChoice = { index: 0, content: parts, finishReason: finish.finishReason, rawFinishReason: finish.rawFinishReason };
  const result: ChatResult = {
    id: wire.id,
    model: wire.model ?? '',
    created: wire.created_at ?? Math.floor(Date.now() / 1000),
    choices: [choice],
  };
  if (wire.usage != null) result.usage = decodeResponsesUsage(wire.usage);
  if (wire.service_tier != null) result.serviceTier = wire.service_tier;
  return result;
}
