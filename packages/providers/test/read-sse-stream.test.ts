import type { ServerResponse } from 'node:http';
import { ProviderUnreachableError, type StreamEvent } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { RAW_STREAM_CAP, readSseStream, type SseDecoding } from '../src/http/read-sse-stream.ts';
import { createUpstreamClient, type UpstreamClient } from '../src/http/upstream-client.ts';
import { closeAfterEach } from './support/close-after-each.ts';
import { startTestServer, type TestServer } from './support/start-test-server.ts';

const track = closeAfterEach();
let server: TestServer;

/** Serves every request with `respond` (after SSE headers) and returns a client for that server. */
async function serve(respond: (response: ServerResponse) => void): Promise<UpstreamClient> {
  server = track(
    await startTestServer((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      respond(response);
    }),
  );
  // One connection at most: a request waits for it to come free, and a new one is opened only when it was closed.
  return track(createUpstreamClient({ name: 'test', baseUrl: server.url, headers: {}, pool: { maxConnections: 1 } }));
}

/** Every frame becomes a text-delta of `eventName:data`; the stream is complete once `[DONE]` was decoded. */
function echoDecoding(extra: Partial<SseDecoding> = {}): SseDecoding & { readonly done: boolean } {
  let done = false;
  return {
    decode(data, eventName) {
      if (data === '[DONE]') done = true;
      return [{ type: 'text-delta', delta: `${eventName ?? ''}:${data}` }];
    },
    isComplete: () => done,
    incompleteMessage: 'provider test closed the stream before [DONE]',
    get done() {
      return done;
    },
    ...extra,
  };
}

const deltas = (events: StreamEvent[]): string[] => events.flatMap((event) => (event.type === 'text-delta' ? [event.delta] : []));

async function collect(stream: AsyncIterable<StreamEvent>): Promise<StreamEvent[]> {
  const events: StreamEvent[] = [];
  for await (const event of stream) events.push(event);
  return events;
}

describe('readSseStream', () => {
  it.each([
    ['no line break', 'data: one\n\nevent: last\ndata: [DONE]'],
    ['one line break', 'data: one\n\nevent: last\ndata: [DONE]\n'],
    ['CR framing', 'data: one\r\revent: last\rdata: [DONE]\r'],
  ])('decodes a final frame that lacks its blank line (%s)', async (_name, body) => {
    const upstream = await serve((response) => response.end(body));
    const response = await upstream.postStream('/stream', {}, undefined);
    const events = await collect(readSseStream(response, echoDecoding()));
    expect(deltas(events)).toEqual([':one', 'last:[DONE]']);
    expect(response.raw).toEqual({ url: `${server.url}/stream`, requestBody: {}, status: 200, responseBody: body });
  });

  it('keeps 256 KiB of SSE text, marks it truncated, and still decodes every frame', async () => {
    const frame = `data: ${'x'.repeat(1018)}\n\n`; // 1 KiB
    const body = frame.repeat(300) + 'data: [DONE]\n\n';
    const upstream = await serve((response) => response.end(body));
    const response = await upstream.postStream('/stream', {}, undefined);
    const events = await collect(readSseStream(response, echoDecoding()));
    expect(events).toHaveLength(301);
    expect(response.raw.truncated).toBe(true);
    expect(response.raw.responseBody).toBe(body.slice(0, RAW_STREAM_CAP));
  });

  it('yields trailing events after the body, and only for a complete stream', async () => {
    const trailing = (): StreamEvent[] => [{ type: 'finish', finishReason: 'stop' }];
    const complete = await serve((response) => response.end('data: one\n\ndata: [DONE]\n\n'));
    const events = await collect(readSseStream(await complete.postStream('/s', {}, undefined), echoDecoding({ trailing })));
    expect(events.map((event) => event.type)).toEqual(['text-delta', 'text-delta', 'finish']);

    const cut = await serve((response) => response.end('data: one\n\n'));
    const response = await cut.postStream('/s', {}, undefined);
    const seen: StreamEvent[] = [];
    const error = await (async () => {
      for await (const event of readSseStream(response, echoDecoding({ trailing }))) seen.push(event);
    })().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ProviderUnreachableError);
    expect((error as Error).message).toBe('provider test closed the stream before [DONE]');
    expect(deltas(seen)).toEqual([':one']);
    expect(response.raw.responseBody).toBe('data: one\n\n');
  });

  it('yields the events before a frame that fails to decode, then throws its error', async () => {
    const upstream = await serve((response) => response.end('data: one\n\ndata: bad\n\ndata: [DONE]\n\n'));
    const response = await upstream.postStream('/s', {}, undefined);
    const failure = new ProviderUnreachableError('test', 'bad frame');
    const decoding = echoDecoding();
    const decode = decoding.decode;
    decoding.decode = (data, eventName) => {
      if (data === 'bad') throw failure;
      return decode(data, eventName);
    };
    const seen: StreamEvent[] = [];
    const error = await (async () => {
      for await (const event of readSseStream(response, decoding)) seen.push(event);
    })().catch((caught: unknown) => caught);
    expect(error).toBe(failure);
    expect(deltas(seen)).toEqual([':one']);
    expect(response.body.destroyed).toBe(true);
  });

  it('reads past the terminator to the end of the body, so the next request reuses the connection', async () => {
    let finish!: () => void;
    const terminatorRead = new Promise<void>((resolve) => (finish = resolve));
    const upstream = await serve((response) => {
      response.write('data: one\n\ndata: [DONE]\n\n');
      // The rest only comes once the consumer has seen [DONE]: a reader that stopped there would cut the connection.
      void terminatorRead.then(() => response.end(': trailing comment\n\n'));
    });
    const response = await upstream.postStream('/s', {}, undefined);
    const decoding = echoDecoding();
    for await (const event of readSseStream(response, decoding)) {
      if (event.type === 'text-delta' && event.delta === ':[DONE]') finish();
    }
    expect(decoding.done).toBe(true);
    expect(response.raw.responseBody).toBe('data: one\n\ndata: [DONE]\n\n: trailing comment\n\n');

    await collect(readSseStream(await upstream.postStream('/s', {}, undefined), echoDecoding()));
    expect(server.connections).toBe(1);
  });

  it('destroys the body when the consumer stops early, so that connection is not reused', async () => {
    let closed!: () => void;
    const serverSawClose = new Promise<void>((resolve) => (closed = resolve));
    let calls = 0;
    const upstream = await serve((response) => {
      calls += 1;
      if (calls > 1) {
        response.end('data: [DONE]\n\n');
        return;
      }
      response.on('close', closed);
      response.write('data: one\n\ndata: two\n\n'); // and never ends
    });
    const response = await upstream.postStream('/s', {}, undefined);
    for await (const event of readSseStream(response, echoDecoding())) {
      expect(event).toEqual({ type: 'text-delta', delta: ':one' });
      break;
    }
    expect(response.body.destroyed).toBe(true);
    expect(response.raw.responseBody).toMatch(/^data: one\n\n/);
    await serverSawClose;

    await collect(readSseStream(await upstream.postStream('/s', {}, undefined), echoDecoding()));
    expect(server.connections).toBe(2);
  });
});
