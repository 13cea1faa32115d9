import type { AssistantPart, ChatChoice, ChatResult, StreamEvent } from '@gantry/spec';

/** Where a choice's events say which choice they belong to: nothing for choice 0, as providers send. */
type ChoiceAt = { choiceIndex?: number };

/**
 * The log-probability entries to stream for a choice, one per `text-delta`. `ChatResultBuilder`
 * collects the entries of a stream into an array, so an array is replayed entry by entry; any other
 * value (the object of a non-streaming OpenAI response) is one entry. `null` means none.
 */
function logprobsEntries(logprobs: unknown): unknown[] {
  if (logprobs === undefined || logprobs === null) return [];
  return Array.isArray(logprobs) ? logprobs : [logprobs];
}

/** `text-delta`s for one text part: the first carries the text, every further log-probability entry an empty delta. */
function textDeltas(at: ChoiceAt, text: string, logprobs: readonly unknown[]): StreamEvent[] {
  if (logprobs.length === 0) return [{ type: 'text-delta', ...at, delta: text }];
  return logprobs.map((entry, position): StreamEvent => ({ type: 'text-delta', ...at, delta: position === 0 ? text : '', logprobs: entry }));
}

function partEvents(part: AssistantPart, at: ChoiceAt, toolIndex: () => number): StreamEvent[] {
  switch (part.type) {
    case 'text':
      return [{ type: 'text-delta', ...at, delta: part.text }];
    case 'refusal':
      return [{ type: 'refusal-delta', ...at, delta: part.text }];
    case 'reasoning':
      return [
        {
          type: 'reasoning-delta',
          ...at,
          delta: part.text,
          ...(part.signature === undefined ? {} : { signature: part.signature }),
          ...(part.redactedData === undefined ? {} : { redactedData: part.redactedData }),
        },
      ];
    case 'tool-call': {
      const index = toolIndex();
      const events: StreamEvent[] = [{ type: 'tool-call-start', ...at, index, id: part.id, name: part.name }];
      // Decoders never emit an empty arguments delta; neither does the replay.
      if (part.arguments !== '') events.push({ type: 'tool-call-delta', ...at, index, argumentsDelta: part.arguments });
      events.push({ type: 'tool-call-end', ...at, index });
      return events;
    }
  }
}

function choiceEvents(choice: ChatChoice): StreamEvent[] {
  const at: ChoiceAt = choice.index === 0 ? {} : { choiceIndex: choice.index };
  let pendingLogprobs = logprobsEntries(choice.logprobs);
  let toolCalls = 0;
  const nextToolIndex = (): number => toolCalls++;
  const events: StreamEvent[] = [];
  for (const part of choice.content) {
    if (part.type === 'text' && pendingLogprobs.length > 0) {
      events.push(...textDeltas(at, part.text, pendingLogprobs));
      pendingLogprobs = [];
    } else events.push(...partEvents(part, at, nextToolIndex));
  }
  // Log-probabilities without any text part to ride on: carried by an empty text part at the end.
  if (pendingLogprobs.length > 0) events.push(...textDeltas(at, '', pendingLogprobs));
  events.push(
    choice.rawFinishReason === undefined
      ? { type: 'finish', ...at, finishReason: choice.finishReason }
      : { type: 'finish', ...at, finishReason: choice.finishReason, rawFinishReason: choice.rawFinishReason },
  );
  return events;
}

/**
 * The canonical events a provider would have streamed for `result`, so that a stored answer (a
 * cache hit) can be served to a streaming client through any stream encoder. The inverse of
 * `ChatResultBuilder`: folding the events gives back a result deep-equal to `result`.
 *
 * Order: `response-start`; then per choice, in the order given, its parts as deltas (one
 * `text-delta`, `refusal-delta` or `reasoning-delta` per part, the reasoning delta carrying
 * `signature` and `redactedData`; per tool call `tool-call-start`, one `tool-call-delta` with the
 * whole arguments, `tool-call-end`, with `index` 0, 1, 2… per choice) and its `finish`; last one
 * `usage` when the result has one. Events of choice 0 carry no `choiceIndex`. Log-probabilities ride
 * on the first text part of their choice, one `text-delta` per entry.
 *
 * A result the builder cannot produce comes back normalised — the form a stream of it folds to:
 * - adjacent parts of one type (two text parts, two refusals, two reasoning parts) merge into one,
 *   reasoning keeping the last signature and redacted data;
 * - choices come back sorted by index (two choices with one index become one);
 * - `providerOptions` on parts, which no stream event carries, are left out;
 * - log-probabilities become an array of entries (an object becomes `[object]`; `null` or `[]`
 *   none), and a choice with log-probabilities but no text part gains an empty text part at its end.
 */
export function unfoldChatResult(result: ChatResult): StreamEvent[] {
  const events: StreamEvent[] = [
    {
      type: 'response-start',
      id: result.id,
      model: result.model,
      created: result.created,
      ...(result.systemFingerprint === undefined ? {} : { systemFingerprint: result.systemFingerprint }),
      ...(result.serviceTier === undefined ? {} : { serviceTier: result.serviceTier }),
    },
  ];
  for (const choice of result.choices) events.push(...choiceEvents(choice));
  // A copy: the builder keeps the usage object it is given, and the stored result must not be shared.
  if (result.usage !== undefined) events.push({ type: 'usage', usage: { ...result.usage } });
  return events;
}
