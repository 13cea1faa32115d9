import { readStoredRequest, readStoredResult, type ChatRequest, type ChatResult } from '@gantry/spec';
import { semanticKey } from '../semantic/semantic-key.ts';

/** A recorded call as the semantic cache would have met it. */
export interface TrafficPrompt {
  /** The last user message: what is embedded and compared. */
  text: string;
  /** Hex hash of everything else in the request and the targets: only prompts of one partition are compared. */
  partition: string;
  /** The request as recorded (canonical), to ask again. */
  request: ChatRequest;
  /** The answer as recorded (canonical). */
  answer: ChatResult;
}

/** An answer a cache would keep: at least one choice, every one finished, none on an error. */
function cacheable(result: ChatResult): boolean {
  return result.choices.length > 0 && result.choices.every((choice) => choice.finishReason !== undefined && choice.finishReason !== 'error');
}

/** The stored value without the `type` and `version` the store adds. */
function canonical<T>(stored: T & { type: string; version: number }): T {
  const { type: _type, version: _version, ...value } = stored;
  return value as T;
}

/**
 * A recorded call (its stored request and result) as a cache lookup would see it, with `targets`
 * the model's targets: the semantic key (first turn, plain-text last user message, partition as
 * `semanticKey` makes it) and a cacheable answer. Undefined for anything the semantic cache never
 * looks up or keeps (later turns, tool results, images, an unfinished answer) and for stored
 * values this Gantry cannot read.
 */
export function trafficPromptOf(stored: { request: unknown; result: unknown }, targets: readonly string[]): TrafficPrompt | undefined {
  let request: ChatRequest;
  let answer: ChatResult;
  try {
    const storedRequest = readStoredRequest(stored.request);
    const storedResult = readStoredResult(stored.result);
    if (storedRequest.type !== 'chat' || storedResult.type !== 'chat') return undefined;
    request = canonical<ChatRequest>(storedRequest);
    answer = canonical<ChatResult>(storedResult);
  } catch {
    return undefined;
  }
  if (!Array.isArray(request.messages) || !Array.isArray(answer.choices) || !cacheable(answer)) return undefined;
  const key = semanticKey(request, targets, { anyTurn: false });
  return key === undefined ? undefined : { text: key.text, partition: key.partitionHash, request, answer };
}

/**
 * The first of each prompt: items in the order they were asked, without later ones repeating an
 * earlier one's text in its partition. A repeat is the exact cache's hit, not a semantic one, and
 * would make itself its own nearest neighbour at similarity 1.
 */
export function firstOfEachPrompt<T extends { text: string; partition: string }>(items: readonly T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = `${item.partition}\n${item.text}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
