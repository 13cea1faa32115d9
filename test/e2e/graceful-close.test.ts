import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

/** Resolves to 'closed', or to 'hung' if the close has not finished after `ms` (a hang detector, not a timing claim). */
function closedWithin(stack: Stack, ms: number): Promise<'closed' | 'hung'> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    stack.gateway.close().then(() => 'closed' as const),
    new Promise<'hung'>((resolve) => {
      timer = setTimeout(() => resolve('hung'), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

describe('closing the gateway (SIGTERM)', () => {
  let stack: Stack | undefined;
  afterEach(async () => {
    await stack?.close();
    stack = undefined;
  });

  it('does not wait for a connection that never sent a request', async () => {
    stack = await startStack();
    const { port } = new URL(stack.url);
    const socket = connect(Number(port), '127.0.0.1');
    await new Promise((resolve) => socket.once('connect', resolve));
    const socketClosed = new Promise((resolve) => socket.once('close', resolve));
    expect(await closedWithin(stack, 10_000)).toBe('closed');
    await socketClosed;
  });

  it('lets a stream in flight finish before it closes', async () => {
    stack = await startStack();
    stack.mock.script('slow-close', [{ text: 'abcdefghijklmnop', chunkSize: 4, chunkDelayMs: 100 }]);
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'local/slow-close', messages: [{ role: 'user', content: 'hi' }], stream: true }),
    });
    const reader = response.body!.getReader();
    let body = new TextDecoder().decode((await reader.read()).value);
    const closing = closedWithin(stack, 10_000);
    for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) body += new TextDecoder().decode(chunk.value);
    expect(body).toContain('data: [DONE]');
    const text = body
      .split('\n')
      .filter((line) => line.startsWith('data: {'))
      .map((line) => (JSON.parse(line.slice(6)) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? '')
      .join('');
    expect(text).toBe('abcdefghijklmnop');
    expect(await closing).toBe('closed');
  });
});
