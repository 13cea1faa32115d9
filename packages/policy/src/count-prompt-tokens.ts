import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatRequest, EmbeddingRequest } from '@gantry/spec';

/** Per-message framing tokens (role, separators), as in OpenAI's own counting recipe. */
const TOKENS_PER_MESSAGE = 4;
/** Images, audio and files are priced by the provider in ways text cannot predict: a generous flat guess. */
const TOKENS_PER_MEDIA_PART = 1_500;

/**
 * Prompt tokens of a chat request, counted with the o200k BPE (GPT-4o and later). Other model
 * families tokenize differently (typically within ±20% for English); reservations only have to
 * bound a call's cost, and settlement uses the provider's own count.
 */
export function countPromptTokens(request: ChatRequest): number {
  let tokens = 3;
  for (const message of request.messages) {
    tokens += TOKENS_PER_MESSAGE;
    for (const part of message.content) {
      if (part.type === 'tool-call') tokens += countTokens(part.name) + countTokens(part.arguments) + 8;
      else if ('text' in part && typeof part.text === 'string') tokens += countTokens(part.text);
      else tokens += TOKENS_PER_MEDIA_PART;
    }
  }
  if (request.tools !== undefined && request.tools.length > 0) tokens += countTokens(JSON.stringify(request.tools));
  if (request.responseFormat !== undefined) tokens += countTokens(JSON.stringify(request.responseFormat));
  return tokens;
}

/** Input tokens of an embedding request (token arrays are counted as given). */
export function countEmbeddingTokens(request: EmbeddingRequest): number {
  const inputs: unknown[] = Array.isArray(request.input) ? request.input : [request.input];
  let tokens = 0;
  for (const input of inputs) {
    if (typeof input === 'string') tokens += countTokens(input);
    else if (typeof input === 'number') tokens += 1;
    else if (Array.isArray(input)) tokens += input.length;
  }
  return tokens;
}
