import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import type { ChatRequest, EmbeddingRequest } from '@gantry/spec';

/** Per-message framing tokens (role, separators), as in OpenAI's own counting recipe. */
const TOKENS_PER_MESSAGE = 4;
/** Images, audio and files are priced by the provider in ways text cannot predict: a generous flat guess. */
const TOKENS_PER_MEDIA_PART = 1_500;

/** What an entry costs the cache, in characters: its text, and the map's own overhead. */
const weight = (text: string) => text.length + 64;

/**
 * Token counts of texts, remembered. An agent sends its whole context again on every turn,
 * and counting a 100 KB prompt with the BPE takes milliseconds; looking it up takes microseconds
 * (a Map hashes a long string by its length and compares it on a hit); a short system prompt
 * or tool list is sent again just as often. The oldest texts go first once the cache holds
 * `maxChars` characters (each entry weighs 64 more): a text still in use is counted again once,
 * which costs less than reordering on every hit. Texts under `minChars` are counted.
 */
export class TokenCountCache {
  private readonly counts = new Map<string, number>();
  private chars = 0;

  constructor(
    private readonly options: { maxChars: number; minChars: number; count: (text: string) => number },
  ) {}

  count(text: string): number {
    if (text.length < this.options.minChars) return this.options.count(text);
    const known = this.counts.get(text);
    if (known !== undefined) return known;
    const counted = this.options.count(text);
    if (weight(text) > this.options.maxChars) return counted;
    this.counts.set(text, counted);
    this.chars += weight(text);
    for (const oldest of this.counts.keys()) {
      if (this.chars <= this.options.maxChars) break;
      this.counts.delete(oldest);
      this.chars -= weight(oldest);
    }
    return counted;
  }

  get size(): number {
    return this.counts.size;
  }
}

/** Even a sentence takes the BPE microseconds, a lookup nanoseconds; up to 16 M characters are remembered. */
const textTokens = new TokenCountCache({ minChars: 8, maxChars: 16 * 1024 * 1024, count: countTokens });

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
      if (part.type === 'tool-call') tokens += countTokens(part.name) + textTokens.count(part.arguments) + 8;
      else if ('text' in part && typeof part.text === 'string') tokens += textTokens.count(part.text);
      else tokens += TOKENS_PER_MEDIA_PART;
    }
  }
  if (request.tools !== undefined && request.tools.length > 0) tokens += textTokens.count(JSON.stringify(request.tools));
  if (request.responseFormat !== undefined) tokens += textTokens.count(JSON.stringify(request.responseFormat));
  return tokens;
}

/** Input tokens of an embedding request (token arrays are counted as given). */
export function countEmbeddingTokens(request: EmbeddingRequest): number {
  const inputs: unknown[] = Array.isArray(request.input) ? request.input : [request.input];
  let tokens = 0;
  for (const input of inputs) {
    if (typeof input === 'string') tokens += textTokens.count(input);
    else if (typeof input === 'number') tokens += 1;
    else if (Array.isArray(input)) tokens += input.length;
  }
  return tokens;
}
