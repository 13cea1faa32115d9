import { once } from 'node:events';
import type { ServerResponse } from 'node:http';

/** Writes SSE text, waiting for the socket to drain when the client reads slower than we produce. */
export async function writeSse(response: ServerResponse, text: string, signal: AbortSignal): Promise<void> {
  if (text === '' || response.destroyed) return;
  if (response.write(text)) return;
  await once(response, 'drain', { signal });
}

export const SSE_HEADERS = {
  'content-type': 'text/event-stream; charset=utf-8',
  'cache-control': 'no-cache',
  // Reverse proxies (nginx) must not buffer a stream.
  'x-accel-buffering': 'no',
} as const;
