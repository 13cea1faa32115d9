import { ProviderUnreachableError, type GatewayError } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { createUpstreamClient } from '../src/http/upstream-client.ts';
import { closeAfterEach } from './support/close-after-each.ts';
import { startTestServer } from './support/start-test-server.ts';

const track = closeAfterEach();

async function failure(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

/** What a test needs to know of a failure, without the request body it may carry. */
function summary(error: unknown) {
  const failure = error as GatewayError;
  return { unreachable: error instanceof ProviderUnreachableError, code: failure.code, status: failure.status, retryable: failure.retryable, message: failure.message, exchange: failure.exchange !== undefined };
}

/** An object nested `levels` deep, built with a loop: JSON.stringify recurses into it and runs out of stack. */
function nestedObjects(levels: number): unknown {
  let value: unknown = 1;
  for (let level = 0; level < levels; level++) value = { a: value };
  return value;
}

describe('upstream client › failures of the gateway itself', () => {
  it('fails a body it cannot serialize as a non-retryable internal error, sending nothing', async () => {
    const server = track(
      await startTestServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{}');
      }),
    );
    const client = track(createUpstreamClient({ name: 'up', baseUrl: server.url, headers: {} }));
    for (const body of [{ extra: nestedObjects(200_000) }, { big: 1n }]) {
      // Compared as a summary: a failed assertion on the error itself would make vitest serialize the body it holds.
      expect(summary(await failure(client.postJson('/x', body, undefined)))).toEqual({
        unreachable: false,
        code: 'internal_error',
        status: 500,
        retryable: false,
        message: expect.stringMatching(/^internal error: the request for provider up could not be serialized as JSON \(.+\); it never reached the provider/),
        // No exchange: the span would try to serialize the same body again.
        exchange: false,
      });
    }
    expect(server.requests).toHaveLength(0);
  });

  it('fails a request undici refuses to send as an internal error, not as an unreachable provider', async () => {
    const server = track(await startTestServer((_request, response) => response.end('{}')));
    const client = track(createUpstreamClient({ name: 'up', baseUrl: server.url, headers: { 'x-broken': 'line\r\nbreak' } }));
    expect(summary(await failure(client.post('/x', {}, undefined)))).toMatchObject({
      unreachable: false,
      code: 'internal_error',
      status: 500,
      retryable: false,
      message: expect.stringMatching(/^internal error: the request for provider up could not be sent/),
    });
    expect(server.requests).toHaveLength(0);
  });
});
