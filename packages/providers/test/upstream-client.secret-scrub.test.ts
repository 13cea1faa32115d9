import { GatewayError, InvalidRequestError, ProviderHttpError, type StreamEvent } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { RAW_STREAM_CAP, readSseStream, type SseDecoding } from '../src/http/read-sse-stream.ts';
import { createUpstreamClient } from '../src/http/upstream-client.ts';
import { closeAfterEach } from './support/close-after-each.ts';
import { startTestServer } from './support/start-test-server.ts';

const track = closeAfterEach();
const KEY = 'sk-live-5ecret0123456789abcdef';
/** The first 8 characters: no longer than this may remain of the key anywhere. */
const KEY_START = KEY.slice(0, 8);

async function failure(promise: Promise<unknown>): Promise<GatewayError> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => {
      expect(error).toBeInstanceOf(GatewayError);
      return error as GatewayError;
    },
  );
}

/** Every place a thrown error carries text: its message and stack, body, headers and exchange. */
function errorText(error: GatewayError): string {
  return JSON.stringify({ message: error.message, stack: error.stack, body: 'body' in error ? error.body : undefined, headers: error.headers, exchange: error.exchange });
}

/** A server answering every request with `status`, `body` and `headers`, and a client that sends KEY as it is configured. */
async function upstream(status: number, body: string, headers: Record<string, string> = {}, clientHeaders: Record<string, string> = { authorization: `Bearer ${KEY}` }) {
  const server = track(
    await startTestServer((_request, response) => {
      response.writeHead(status, { 'content-type': 'application/json', ...headers });
      response.end(body);
    }),
  );
  return track(createUpstreamClient({ name: 'up', baseUrl: server.url, headers: clientHeaders }));
}

describe('upstream client: secrets the provider echoes', () => {
  it('are replaced in a non-2xx error: message, body, exchange and forwarded headers', async () => {
    const body = JSON.stringify({ error: { message: `Incorrect API key provided: ${KEY}`, type: 'invalid_request_error', echoed: { [KEY]: [`Bearer ${KEY}`] } } });
    const client = await upstream(429, body, { 'retry-after': KEY });
    const error = await failure(client.postJson('/chat', { a: 1 }, undefined));
    expect(error).toBeInstanceOf(ProviderHttpError);
    expect(error.message).toBe('provider up returned HTTP 429: Incorrect API key provided: [REDACTED]');
    expect((error as ProviderHttpError).body).toEqual({ error: { message: 'Incorrect API key provided: [REDACTED]', type: 'invalid_request_error', echoed: { '[REDACTED]': ['[REDACTED]'] } } });
    expect(error.exchange).toMatchObject({ status: 429, responseBody: (error as ProviderHttpError).body });
    expect(error.headers).toEqual({ 'retry-after': '[REDACTED]' });
    expect(errorText(error)).not.toContain(KEY_START);
  });

  it('are replaced before a text body is quoted to 300 characters, so no cut-off start of the key remains', async () => {
    for (const at of [292, 296, 299]) {
      const client = await upstream(401, `${'x'.repeat(at)}${KEY} is not a valid key`, {}, { 'x-api-key': KEY });
      const error = await failure(client.post('/chat', {}, undefined));
      expect(error.message.startsWith(`provider up returned HTTP 401: ${'x'.repeat(at)}`)).toBe(true);
      expect(errorText(error)).not.toContain(KEY.slice(0, 4));
    }
  });

  it('are replaced in the error a custom readError builds from the body', async () => {
    const server = track(
      await startTestServer((_request, response) => {
        response.writeHead(400, { 'content-type': 'text/plain' });
        response.end(`bad key ${KEY}`);
      }),
    );
    const client = track(
      createUpstreamClient({
        name: 'custom',
        baseUrl: server.url,
        headers: { 'x-goog-api-key': KEY },
        readError: async (name, response) => new InvalidRequestError(`${name} said: ${await response.body.text()}`),
      }),
    );
    const error = await failure(client.postJson('/x', {}, undefined));
    expect(error.message).toBe('custom said: bad key [REDACTED]');
    expect(errorText(error)).not.toContain(KEY_START);
  });

  it('are replaced for configured extra headers named like credentials, and only for those', async () => {
    const extra = 'portkey-secret-value-42';
    const client = await upstream(400, JSON.stringify({ error: { message: `bad ${extra}; trace x-trace-value-1234` } }), {}, { 'x-portkey-api-key': extra, 'x-trace-id': 'x-trace-value-1234' });
    const error = await failure(client.post('/x', {}, undefined));
    expect(error.message).toBe('provider up returned HTTP 400: bad [REDACTED]; trace x-trace-value-1234');
  });

  it('are replaced in a 2xx JSON answer before it is decoded or recorded, which is otherwise handed over as parsed', async () => {
    const client = await upstream(200, JSON.stringify({ choices: [{ message: { content: `your key is ${KEY}` } }] }));
    const { json, raw } = await client.postJson('/chat', {}, undefined);
    expect(json).toEqual({ choices: [{ message: { content: 'your key is [REDACTED]' } }] });
    expect(raw.responseBody).toBe(json);

    const clean = await upstream(200, JSON.stringify({ choices: [{ message: { content: 'no secret here' } }] }));
    expect((await clean.postJson('/chat', {}, undefined)).json).toEqual({ choices: [{ message: { content: 'no secret here' } }] });
  });
});

/** Serves `sse` as a 2xx event stream, to a client that sends KEY. */
async function streamUpstream(sse: string) {
  const server = track(
    await startTestServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(sse);
    }),
  );
  return track(createUpstreamClient({ name: 'up', baseUrl: server.url, headers: { 'api-key': KEY } }));
}

/** Frames become text deltas; a frame with `error` throws the ProviderHttpError a decoder would. */
function decoding(): SseDecoding {
  let done = false;
  return {
    decode(data) {
      if (data === '[DONE]') done = true;
      const frame = JSON.parse(data === '[DONE]' ? '{}' : data) as { error?: { message: string } };
      if (frame.error !== undefined) throw new ProviderHttpError('up', 500, `provider up failed mid-stream: ${frame.error.message}`, frame.error);
      return [{ type: 'text-delta', delta: data }];
    },
    isComplete: () => done,
    incompleteMessage: 'provider up closed the stream before [DONE]',
  };
}

async function drain(stream: AsyncIterable<StreamEvent>): Promise<unknown> {
  try {
    for await (const _event of stream) {
      // read to the end
    }
    return undefined;
  } catch (error) {
    return error;
  }
}

describe('upstream client: secrets echoed in a stream', () => {
  it('are replaced in an in-stream error (message and body) and in the SSE text kept', async () => {
    const client = await streamUpstream(`data: {"text":"hi"}\n\ndata: {"error":{"message":"key ${KEY} was revoked"}}\n\n`);
    const response = await client.postStream('/s', {}, undefined);
    const error = await drain(readSseStream(response, decoding()));
    expect(error).toBeInstanceOf(ProviderHttpError);
    expect((error as ProviderHttpError).message).toBe('provider up failed mid-stream: key [REDACTED] was revoked');
    expect((error as ProviderHttpError).body).toEqual({ message: 'key [REDACTED] was revoked' });
    expect(errorText(error as ProviderHttpError)).not.toContain(KEY_START);
    expect(response.raw.responseBody).toBe('data: {"text":"hi"}\n\ndata: {"error":{"message":"key [REDACTED] was revoked"}}\n\n');
  });

  it('are replaced in the SSE text kept when the cap cuts the key in half, which is otherwise kept as it came', async () => {
    // The cap falls inside the key, 12 of its characters in.
    const open = 'data: {"text":"';
    const close = '","echo":"';
    const head = `${open}${'a'.repeat(RAW_STREAM_CAP - 12 - open.length - close.length)}${close}`;
    const sse = `${head}${KEY}"}\n\ndata: [DONE]\n\n`;
    const client = await streamUpstream(sse);
    const response = await client.postStream('/s', {}, undefined);
    expect(await drain(readSseStream(response, decoding()))).toBeUndefined();
    expect(response.raw.truncated).toBe(true);
    expect(response.raw.responseBody).toBe(`${head}[REDACTED]`);

    // A stream without a secret is kept exactly as it came.
    const plain = 'data: {"text":"plain"}\n\ndata: [DONE]\n\n';
    const clean = await (await streamUpstream(plain)).postStream('/s', {}, undefined);
    expect(await drain(readSseStream(clean, decoding()))).toBeUndefined();
    expect(clean.raw.responseBody).toBe(plain);
  });
});
