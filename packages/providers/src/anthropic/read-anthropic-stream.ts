import { createParser } from 'eventsource-parser';
import type { Dispatcher } from 'undici';
import { ProviderUnreachableError, type StreamEvent } from '@gantry/spec';
import type { AnthropicStreamDecoder } from '@gantry/formats';
import { toTransportError } from '../http/upstream-http.ts';
import type { RawExchange } from '../provider.ts';

/** Streams are stored on spans up to this many characters of SSE text. */
const RAW_STREAM_CAP = 256 * 1024;

/**
 * Reads an Anthropic SSE body into canonical events. Frames carry `event:` names; the decoder reads
 * the payload's `type` and uses the name only for an `error` frame. The body is read to its end so
 * the connection returns to the pool; a body that ends before `message_stop` is a failure.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming
 */
export async function* readAnthropicStream(
  provider: string,
  body: Dispatcher.ResponseData['body'],
  decoder: AnthropicStreamDecoder,
  raw: RawExchange,
  signal: AbortSignal | undefined,
): AsyncGenerator<StreamEvent> {
  const queue: StreamEvent[] = [];
  let failure: unknown;
  let text = '';
  const parser = createParser({
    onEvent(event) {
      if (failure !== undefined) return;
      try {
        queue.push(...decoder.decode(event.data, event.event));
      } catch (error) {
        failure = error;
      }
    },
  });
  const utf8 = new TextDecoder();
  try {
    for await (const chunk of body) {
      const piece = utf8.decode(chunk as Buffer, { stream: true });
      if (text.length < RAW_STREAM_CAP) text += piece;
      parser.feed(piece);
      while (queue.length > 0) yield queue.shift()!;
      if (failure !== undefined) throw failure;
    }
    // A last event without its blank line is still an event here: dispatch it.
    parser.reset({ consume: true });
    while (queue.length > 0) yield queue.shift()!;
    if (failure !== undefined) throw failure;
  } catch (error) {
    throw toTransportError(provider, error, signal);
  } finally {
    raw.responseBody = text.length > RAW_STREAM_CAP ? text.slice(0, RAW_STREAM_CAP) : text;
    if (text.length >= RAW_STREAM_CAP) raw.truncated = true;
    if (!body.destroyed) body.destroy();
  }
  if (!decoder.done) throw new ProviderUnreachableError(provider, `provider ${provider} closed the stream before message_stop`);
}
