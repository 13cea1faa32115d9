import { InvalidRequestError, knownJsonText, ProviderHttpError, ProviderUnreachableError } from '@gantry/spec';
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

describe('upstream client', () => {
  it('posts JSON below the base path with its headers and records the exchange', async () => {
    const server = track(
      await startTestServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"ok":true}');
      }),
    );
    const client = track(createUpstreamClient({ name: 'up', baseUrl: `${server.url}/v1//`, headers: { 'x-api-key': 'k', 'x-extra': 'e' } }));
    const { json, raw } = await client.postJson('/things?version=2', { a: 1 }, undefined);
    expect(json).toEqual({ ok: true });
    expect(raw).toEqual({ url: `${server.url}/v1/things?version=2`, requestBody: { a: 1 }, status: 200, responseBody: { ok: true } });
    expect(client.url('/x')).toBe(`${server.url}/v1/x`);
    expect(server.requests[0]).toMatchObject({
      path: '/v1/things?version=2',
      headers: { 'content-type': 'application/json', 'x-api-key': 'k', 'x-extra': 'e' },
      body: { a: 1 },
    });
  });

  it('sends a body of several megabytes in pieces with its exact length, a surrogate pair on a piece boundary intact', async () => {
    const server = track(
      await startTestServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'application/json' });
        response.end('{"ok":true}');
      }),
    );
    const client = track(createUpstreamClient({ name: 'up', baseUrl: server.url, headers: {} }));
    // `{"text":"` is 9 characters: the emoji's high surrogate is the first megabyte's last code unit.
    const text = `${'a'.repeat(1024 * 1024 - 10)}😀${'é'.repeat(2 * 1024 * 1024)}\ud800`;
    const body = { text };
    await client.postJson('/x', body, undefined);
    const sent = JSON.stringify({ text });
    expect(server.requests[0]?.headers['content-length']).toBe(String(Buffer.byteLength(sent)));
    // The bytes sent are kept for the recorder, which sizes and hashes the body from them.
    expect(Buffer.concat((knownJsonText(body) ?? []).map((part) => (typeof part === 'string' ? Buffer.from(part) : part))).toString('utf8')).toBe(sent);
    expect(server.requests[0]?.headers['transfer-encoding']).toBeUndefined();
    expect(server.requests[0]?.body).toEqual({ text });
    // Mostly escapes: a body its estimate put under a megabyte, over one once written.
    const escaped = '\u0001'.repeat(200_000);
    await client.postJson('/x', { escaped }, undefined);
    expect(server.requests[1]?.headers['content-length']).toBe(String(Buffer.byteLength(JSON.stringify({ escaped }))));
    expect(server.requests[1]?.body).toEqual({ escaped });
  });

  it('maps a non-2xx answer through toProviderHttpError, or through readError when given', async () => {
    const server = track(
      await startTestServer((_request, response) => {
        response.writeHead(429, { 'content-type': 'application/json', 'retry-after': '4', 'retry-after-ms': '4000' });
        response.end('{"error":{"message":"slow down"}}');
      }),
    );
    const client = track(createUpstreamClient({ name: 'up', baseUrl: server.url, headers: {} }));
    const error = await failure(client.post('/x', {}, undefined));
    expect(error).toBeInstanceOf(ProviderHttpError);
    expect(error).toMatchObject({ upstreamStatus: 429, retryable: true, headers: { 'retry-after': '4', 'retry-after-ms': '4000' } });
    expect((error as Error).message).toBe('provider up returned HTTP 429: slow down');

    const custom = track(
      createUpstreamClient({
        name: 'custom',
        baseUrl: server.url,
        headers: {},
        readError: async (name, response) => new InvalidRequestError(`${name} said ${response.statusCode}: ${await response.body.text()}`),
      }),
    );
    expect(await failure(custom.postJson('/x', {}, undefined))).toMatchObject({ message: 'custom said 429: {"error":{"message":"slow down"}}' });
  });

  it('rejects a 2xx body that is not JSON, and an unreachable origin, as ProviderUnreachableError', async () => {
    const server = track(
      await startTestServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/html' });
        response.end('<html>proxy</html>');
      }),
    );
    const client = track(createUpstreamClient({ name: 'up', baseUrl: server.url, headers: {} }));
    const notJson = await failure(client.postJson('/x', {}, undefined));
    expect(notJson).toBeInstanceOf(ProviderUnreachableError);
    expect((notJson as Error).message).toBe('provider up returned a body that is not JSON');

    const dead = track(createUpstreamClient({ name: 'dead', baseUrl: 'http://127.0.0.1:1/v1', headers: {} }));
    const unreachable = await failure(dead.post('/x', {}, undefined));
    expect(unreachable).toBeInstanceOf(ProviderUnreachableError);
    expect((unreachable as Error).message).toMatch(/^provider dead is unreachable: /);
  });

  it('hands over a 2xx stream body with an exchange record for the reader to fill', async () => {
    const server = track(
      await startTestServer((_request, response) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.end('data: x\n\n');
      }),
    );
    const client = track(createUpstreamClient({ name: 'up', baseUrl: `${server.url}/v1`, headers: {} }));
    const controller = new AbortController();
    const response = await client.postStream('/stream', { s: true }, controller.signal);
    expect(response).toMatchObject({ provider: 'up', signal: controller.signal });
    expect(response.raw).toEqual({ url: `${server.url}/v1/stream`, requestBody: { s: true }, status: 200, responseBody: '' });
    expect(await response.body.text()).toBe('data: x\n\n');
  });
});
