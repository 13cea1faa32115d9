import { once } from 'node:events';
import type { ServerResponse } from 'node:http';

function uncork(response: ServerResponse): void {
  response.uncork();
}

/**
 * Writes SSE text; returns a promise only when the client reads slower than we produce, to be
 * awaited until the socket drained (the common case costs no promise per event).
 * Writes are corked until the event loop's check phase, so the several events one upstream packet
 * carries — and, when it carries the last of them, the stream's end — leave in one syscall instead
 * of one each, without delaying anything past the current turn of the loop. `flush` sends at once
 * (a stream's first token: the client's time to first token).
 */
export function writeSse(response: ServerResponse, text: string, signal: AbortSignal, flush = false): Promise<unknown> | undefined {
  if (text === '' || response.destroyed) return undefined;
  if (!response.writableCorked) {
    response.cork();
    setImmediate(uncork, response);
  }
  const written = response.write(text);
  // Sent now, with whatever was corked before it; the scheduled uncork then finds nothing to do.
  if (flush) response.uncork();
  return written ? undefined : once(response, 'drain', { signal });
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  // Reverse proxies (nginx) must not buffer a stream.
  'x-accel-buffering': 'no',
} as const;
