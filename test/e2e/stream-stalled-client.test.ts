import { connect, type Socket } from 'node:net';
import { getSpan } from '@gantry/db';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

/** A stream large enough to fill the socket buffers of a client that does not read. */
const LONG_TEXT = 'stream me '.repeat(400_000);

/** Sends a streaming chat request over a raw socket and never reads the answer. */
function stalledClient(url: string, model: string): Promise<{ socket: Socket; spanId: () => string | undefined }> {
  const { hostname, port } = new URL(url);
  const body = JSON.stringify({ model, messages: [{ role: 'user', content: 'stream a lot' }], stream: true });
  return new Promise((resolve, reject) => {
    const socket = connect({ host: hostname, port: Number(port) }, () => {
      socket.write(
        `POST /v1/chat/completions HTTP/1.1\r\nhost: ${hostname}\r\nauthorization: Bearer ${MASTER_KEY}\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      let head = '';
      const onData = (chunk: Buffer) => {
        head += chunk.toString('latin1');
        if (!head.includes('\r\n\r\n')) return;
        // Headers are in: stop reading, so the server's writes back up.
        socket.off('data', onData);
        socket.pause();
        resolve({ socket, spanId: () => /x-gantry-span-id: (\S+)/i.exec(head)?.[1] });
      };
      socket.on('data', onData);
    });
    socket.on('error', reject);
  });
}

describe('a stream client that stops reading, then goes away', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
    // Still streaming when the client leaves: about 1000 chunks, 5 ms apart.
    stack.mock.script('long-stream', [{ text: LONG_TEXT, chunkSize: 4096, chunkDelayMs: 5 }]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  for (const goodbye of ['destroy', 'end'] as const) {
    it(`cancels the upstream call, records the span and settles when the client's socket ${goodbye === 'destroy' ? 'is destroyed' : 'is half-closed'}`, async () => {
      stack.mock.requests.length = 0;
      const client = await stalledClient(stack.url, 'local/long-stream');
      // Let the server fill the buffers and wait for them to drain.
      await new Promise((resolve) => setTimeout(resolve, 500));
      const spanId = client.spanId();
      expect(spanId).toEqual(expect.any(String));
      if (goodbye === 'destroy') client.socket.destroy();
      else client.socket.end();

      await vi.waitFor(() => expect(stack.mock.requests.find((request) => request.model === 'long-stream')).toMatchObject({ aborted: true }), { timeout: 10_000, interval: 50 });
      const span = await vi.waitFor(
        async () => {
          await stack.flush();
          const stored = await getSpan(stack.database.db, spanId!);
          expect(stored).toBeDefined();
          return stored!;
        },
        { timeout: 10_000, interval: 100 },
      );
      expect(span).toMatchObject({ status: 'error', error: { code: 'client_closed' } });
      client.socket.destroy();
    });
  }
});
