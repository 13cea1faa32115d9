import type { ChatRequest, EmbeddingRequest } from '@gantry/spec';
import { TextTokenCounter, type CountProgress, type TextCount } from './count-text-tokens.ts';

/** Per-message framing tokens (role, separators), as in OpenAI's own counting recipe. */
const TOKENS_PER_MESSAGE = 4;
/** Images, audio and files are priced by the provider in ways text cannot predict: a generous flat guess. */
const TOKENS_PER_MEDIA_PART = 1_500;

/** What an entry costs the cache, in characters: its text, and the map's own overhead. */
const weight = (text: string) => text.length + 64;

/**
 * Counts a text: a number, or a `TextCount` when it could count only part of it exactly. It is
 * handed back where an earlier count stopped (`resumeFrom`), to go on from there.
 */
export type CountText = (text: string, resumeFrom?: CountProgress) => number | TextCount;

/**
 * Token counts of texts, remembered. An agent sends its whole context again on every turn,
 * and counting a 100 KB prompt with the BPE takes tens of milliseconds; looking it up takes
 * microseconds (a Map hashes a long string by its length and compares it on a hit); a short
 * system prompt or tool list is sent again just as often. The oldest texts go first once the
 * cache holds `maxChars` characters (each entry weighs 64 more): a text still in use is counted
 * again once, which costs less than reordering on every hit. Texts under `minChars` are counted.
 * A text counted only in part (a call's counting time ran out) is remembered with where it
 * stopped, and counted on from there the next time it is sent, until its count is exact.
 */
export class TokenCountCache {
  private readonly entries = new Map<string, number | CountProgress>();
  private chars = 0;

  constructor(private readonly options: { maxChars: number; minChars: number; count: CountText }) {}

  /** Tokens of `text`, remembered or counted with `count` (by default the cache's own). */
  count(text: string, count: CountText = this.options.count): number {
    if (text.length < this.options.minChars) return tokensOf(count(text));
    const known = this.entries.get(text);
    if (typeof known === 'number') return known;
    const counted = count(text, known);
    if (typeof counted === 'number') this.remember(text, counted);
    else if (counted.progress.end === text.length) this.remember(text, counted.tokens);
    else if (counted.progress.end > (known?.end ?? 0)) this.remember(text, counted.progress);
    return tokensOf(counted);
  }

  get size(): number {
    return this.entries.size;
  }

  private remember(text: string, entry: number | CountProgress): void {
    if (weight(text) > this.options.maxChars) return;
    // Counted on from an earlier stop: the entry is replaced, and weighs as before.
    if (this.entries.delete(text)) this.chars -= weight(text);
    this.entries.set(text, entry);
    this.chars += weight(text);
    for (const oldest of this.entries.keys()) {
      if (this.chars <= this.options.maxChars) break;
      this.entries.delete(oldest);
      this.chars -= weight(oldest);
    }
  }
}

function tokensOf(counted: number | TextCount): number {
  return typeof counted === 'number' ? counted : counted.tokens;
}

/**
 * Even a sentence takes the BPE microseconds, a lookup nanoseconds; up to 16 M characters are
 * remembered. Without a call's counter (`count` on its own), a text is counted with a fresh one.
 */
const textTokens = new TokenCountCache({
  minChars: 8,
  maxChars: 16 * 1024 * 1024,
  count: (text, resumeFrom) => new TextTokenCounter().count(text, resumeFrom),
});

/**
 * Tokens of one text, within `counter`'s time slice: exact where counted (or remembered), its
 * UTF-8 bytes (an upper bound) beyond. See count-text-tokens.ts.
 */
export function countTextTokens(text: string, counter: TextTokenCounter): number {
  return textTokens.count(text, (uncounted, resumeFrom) => counter.count(uncounted, resumeFrom));
}

/**
 * Prompt tokens of a chat request, counted with the o200k BPE (GPT-4o and later). Other model
 * families tokenize differently (typically within ±20% for English); reservations only have to
 * bound a call's cost, and settlement uses the provider's own count. A prompt too long to count
 * within one call's slice (a few ms) is counted exactly as far as it got and by its UTF-8 bytes
 * beyond: never less than its tokens, so the reservation stays a worst case. Pass `counter` to
 * share one slice with other counting for the same call.
 */
export function countPromptTokens(request: ChatRequest, counter = new TextTokenCounter()): number {
  let tokens = 3;
  for (const message of request.messages) {
    tokens += TOKENS_PER_MESSAGE;
    for (const part of message.content) {
      if (part.type === 'tool-call') tokens += countTextTokens(part.name, counter) + countTextTokens(part.arguments, counter) + 8;
      else if ('text' in part && typeof part.text === 'string') tokens += countTextTokens(part.text, counter);
      else tokens += TOKENS_PER_MEDIA_PART;
    }
  }
  if (request.tools !== undefined && request.tools.length > 0) tokens += countTextTokens(JSON.stringify(request.tools), counter);
  if (request.responseFormat !== undefined) tokens += countTextTokens(JSON.stringify(request.responseFormat), counter);
  return tokens;
}

/** Input tokens of an embedding request (token arrays are counted as given), bounded as prompts are. */
export function countEmbeddingTokens(request: EmbeddingRequest): number {
  const counter = new TextTokenCounter();
  const inputs: unknown[] = Array.isArray(request.input) ? request.input : [request.input];
  let tokens = 0;
  for (const input of inputs) {
    if (typeof input === 'string') tokens += countTextTokens(input, counter);
    else if (typeof input === 'number') tokens += 1;
    else if (Array.isArray(input)) tokens += input.length;
  }
  return tokens;
}
