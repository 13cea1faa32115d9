import { once } from 'node:events';
import type { ServerResponse } from 'node:http';

function uncork(response: ServerResponse): void {
  response.uncork();
}

/**
 * Writes SSE text, waiting for the socket to drain when the client reads slower than we produce.
 * Writes are corked until the next tick, so the several events one upstream packet carries leave
 * in one syscall instead of one each — without delaying anything past the current turn.
 */
export async function writeSse(response: ServerResponse, text: string, signal: AbortSignal): Promise<void> {
  if (text === '' || response.destroyed) return;
  if (!response.writableCorked) {
    response.cork();
    process.nextTick(uncork, response);
  }
  if (response.write(text)) return;
  await once(response, 'drain', { signal });
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  // Reverse proxies (nginx) must not buffer a stream.
  'x-accel-buffering': 'no',
} as const;
