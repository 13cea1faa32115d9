import { createParser } from 'eventsource-parser';
import type { Dispatcher } from 'undici';
import { ProviderUnreachableError, type StreamEvent } from '@gantry/spec';
import type { ProviderStream, RawExchange } from '../provider.ts';
import type { SecretScrubber } from './scrub-secrets.ts';
import { toTransportError } from './upstream-http.ts';

/** Streams are stored on spans up to this many characters of SSE text. */
export const RAW_STREAM_CAP = 256 * 1024;

/** A 2xx SSE response, as `UpstreamClient.postStream` returns it. */
export interface SseResponse {
  /** The provider's configured name, for errors. */
  provider: string;
  /** The body: read to its end, or destroyed when reading stops early. */
  body: Dispatcher.ResponseData['body'];
  /** Gets `responseBody` (the SSE text, capped at RAW_STREAM_CAP characters) and `truncated` when reading stops. */
  raw: RawExchange;
  /** Our own abort signal: an abort is rethrown as it is, not classified as a provider failure. */
  signal: AbortSignal | undefined;
  /** The client's secrets: scrubbed from the errors thrown while reading and from `raw.responseBody`. */
  scrub: SecretScrubber;
}

/** What one provider's stream means: how frames decode and when the stream is complete. */
export interface SseDecoding {
  /** Decodes one frame: its `data` and its `event:` name. May throw; events of earlier frames are yielded first. */
  decode(data: string, eventName: string | undefined): StreamEvent[];
  /** Each line outside SSE framing (Gemini sends an in-stream failure as bare JSON). Ignored when absent. May throw. */
  onStrayLine?(line: string): StreamEvent[];
  /** Called once the body has ended, after its last frame and line. May throw. */
  onBodyEnd?(): StreamEvent[];
  /** Whether the stream reached its end (a terminator, a finish); asked once the body has ended. */
  isComplete(): boolean;
  /** The ProviderUnreachableError message when `isComplete()` is false. */
  incompleteMessage: string;
  /** Events held back until a complete stream has ended (Gemini's finish and usage). */
  trailing?(): StreamEvent[];
}

/** A ProviderStream over `response`; each iteration reads it with a fresh `createDecoding()`. */
export function toProviderStream(response: SseResponse, createDecoding: () => SseDecoding): ProviderStream {
  return { raw: response.raw, [Symbol.asyncIterator]: () => readSseStream(response, createDecoding()) };
}

/**
 * Reads an SSE response body into canonical events, for every adapter. The body is read to its end
 * even after a terminator such as `[DONE]`, so its connection goes back to the pool; a consumer that
 * stops early, or a failure, destroys it instead. Transport failures become GatewayErrors through
 * `toTransportError`; a body that ends before `isComplete()` is a ProviderUnreachableError. Errors
 * (an in-stream error event quoting the API key) and the SSE text kept are scrubbed of secrets;
 * the events are not.
 */
export async function* readSseStream(response: SseResponse, decoding: SseDecoding): AsyncGenerator<StreamEvent> {
  const { provider, body, raw, signal, scrub } = response;
  const { onStrayLine } = decoding;
  // Frames are decoded as they are yielded, not when their packet arrives: the first of a packet
  // reaches the client before the rest are decoded. A frame that fails to decode fails the stream
  // after the events of the frames before it.
  const frames: (() => StreamEvent[])[] = [];
  const parser = createParser({
    onEvent: (event) => frames.push(() => decoding.decode(event.data, event.event)),
    onError(error) {
      const line = error.line;
      if (onStrayLine === undefined || error.type !== 'unknown-field' || line === undefined) return;
      frames.push(() => onStrayLine(line));
    },
  });
  const utf8 = new TextDecoder();
  let text = '';
  try {
    for await (const chunk of body) {
      const piece = utf8.decode(chunk as Buffer, { stream: true });
      if (text.length < RAW_STREAM_CAP) text += piece;
      parser.feed(piece);
      while (frames.length > 0) for (const event of frames.shift()!()) yield event;
    }
    // A last frame or line without its terminating blank line still counts. (`parser.reset({ consume:
    // true })` would parse the last line but drop a frame that was not yet dispatched.)
    parser.feed('\n\n');
    if (decoding.onBodyEnd !== undefined) frames.push(() => decoding.onBodyEnd!());
    while (frames.length > 0) for (const event of frames.shift()!()) yield event;
  } catch (error) {
    throw scrub.error(toTransportError(provider, error, signal));
  } finally {
    // Scrubbed after the cut: a secret the cap cut in half is caught by its start.
    raw.responseBody = scrub.text(text.length > RAW_STREAM_CAP ? text.slice(0, RAW_STREAM_CAP) : text);
    if (text.length >= RAW_STREAM_CAP) raw.truncated = true;
    if (!body.destroyed) body.destroy();
  }
  if (!decoding.isComplete()) throw new ProviderUnreachableError(provider, decoding.incompleteMessage);
  if (decoding.trailing !== undefined) yield* decoding.trailing();
}
