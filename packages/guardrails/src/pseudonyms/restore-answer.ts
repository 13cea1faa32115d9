import type { AssistantPart, ChatResult, StreamEvent } from '@gantry/spec';
import type { Restorer, StreamRestorer } from './restore.ts';

function restorePart(part: AssistantPart, restorer: Restorer): AssistantPart {
  switch (part.type) {
    case 'tool-call':
      return { ...part, arguments: restorer.json(part.arguments) };
    case 'text':
    case 'reasoning':
    case 'refusal':
      return { ...part, text: restorer.text(part.text) };
  }
}

/** A whole answer with every placeholder replaced by its value: text, reasoning, refusals, tool-call arguments. */
export function restoreResult(result: ChatResult, restorer: Restorer): ChatResult {
  return { ...result, choices: result.choices.map((choice) => ({ ...choice, content: choice.content.map((part) => restorePart(part, restorer)) })) };
}

type Channel = 'text' | 'refusal' | 'reasoning' | `tool:${number}`;

/**
 * A stream with every placeholder replaced by its value, even one split across chunks. Each
 * channel (a choice's text, refusal, reasoning, each tool call's arguments) holds back only a tail
 * that may still become a placeholder, and lets it go when the channel ends: at the tool call's
 * end, the choice's finish, another channel's first delta, or the end of the stream.
 */
export async function* restoreStream(stream: AsyncIterable<StreamEvent>, restorer: Restorer): AsyncIterable<StreamEvent> {
  const open = new Map<string, { choiceIndex: number | undefined; channel: Channel; restorer: StreamRestorer }>();
  const channelOf = (choiceIndex: number | undefined, channel: Channel) => {
    const key = `${choiceIndex ?? 0}:${channel}`;
    let entry = open.get(key);
    if (entry === undefined) {
      open.set(key, (entry = { choiceIndex, channel, restorer: restorer.stream(channel.startsWith('tool:') ? 'json' : 'text') }));
    }
    return { key, entry };
  };
  /** A channel's held tail, as the delta that carries it (none when nothing is held). */
  function* release(key: string): Generator<StreamEvent> {
    const entry = open.get(key);
    if (entry === undefined) return;
    open.delete(key);
    const rest = entry.restorer.flush();
    if (rest.length === 0) return;
    const at = entry.choiceIndex === undefined ? {} : { choiceIndex: entry.choiceIndex };
    if (entry.channel.startsWith('tool:')) yield { type: 'tool-call-delta', ...at, index: Number(entry.channel.slice(5)), argumentsDelta: rest };
    else yield { type: `${entry.channel as 'text' | 'refusal' | 'reasoning'}-delta`, ...at, delta: rest };
  }
  /** The held tails of a choice's channels (all but `keep`). */
  function* flush(choiceIndex: number | undefined, keep?: string): Generator<StreamEvent> {
    for (const [key, entry] of [...open]) if (key !== keep && (entry.choiceIndex ?? 0) === (choiceIndex ?? 0)) yield* release(key);
  }

  for await (const event of stream) {
    switch (event.type) {
      case 'text-delta':
      case 'refusal-delta':
      case 'reasoning-delta': {
        const { key, entry } = channelOf(event.choiceIndex, event.type.slice(0, -6) as Channel);
        yield* flush(event.choiceIndex, key);
        const delta = entry.restorer.push(event.delta);
        const ends = event.type === 'reasoning-delta' && (event.signature !== undefined || event.redactedData !== undefined);
        // A signature closes the reasoning block: what was held goes out with it.
        const text = ends ? delta + entry.restorer.flush() : delta;
        if (text.length > 0 || ends || (event.type === 'text-delta' && event.logprobs !== undefined)) yield { ...event, delta: text };
        break;
      }
      case 'tool-call-delta': {
        const { key, entry } = channelOf(event.choiceIndex, `tool:${event.index}`);
        yield* flush(event.choiceIndex, key);
        const delta = entry.restorer.push(event.argumentsDelta);
        if (delta.length > 0) yield { ...event, argumentsDelta: delta };
        break;
      }
      case 'tool-call-end':
        yield* release(`${event.choiceIndex ?? 0}:tool:${event.index}`);
        yield event;
        break;
      case 'tool-call-start':
      case 'finish':
        yield* flush(event.choiceIndex);
        yield event;
        break;
      default:
        yield event;
    }
  }
  for (const key of [...open.keys()]) yield* release(key);
}
