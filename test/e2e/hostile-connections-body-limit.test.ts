import { connect, type Socket } from 'node:net';
import { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiSchemaErrors } from '../support/openai-schemas.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

const BODY_LIMIT = 2000;

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The first HTTP response in `text`, once all of it (by content-length) is there. */
function parseResponse(text: string): RawResponse | undefined {
  const end = text.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const [statusLine = '', ...lines] = text.slice(0, end).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = text.slice(end + 4);
  if (Buffer.byteLength(body) < Number(headers['content-length'] ?? 0)) return undefined;
  return { status: Number(statusLine.split(' ')[1]), headers, body };
}

function write(socket: Socket, data: string | Buffer): Promise<void> {
  return new Promise((resolve, reject) => socket.write(data, (error) => (error ? reject(error) : resolve())));
}

/**
 * A client that sends its whole request before it reads a byte of the answer, as Python's requests
 * and httpx (the openai and anthropic Python SDKs) and curl without `Expect` do: a server that closes
 * while the body is still coming resets the connection under it, and it never sees the response.
 * Resolves with the response, or with the error the client got instead.
 */
async function uploadThenRead(url: string, body: Buffer, options: { chunked: boolean }): Promise<RawResponse | { error: string }> {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  socket.pause();
  let received = '';
  socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  try {
    await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
    const framing = options.chunked ? 'transfer-encoding: chunked' : `content-length: ${body.length}`;
    await write(socket, `POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${MASTER_KEY}\r\ncontent-type: application/json\r\n${framing}\r\n\r\n`);
    for (let offset = 0; offset < body.length; offset += 64 * 1024) {
      const chunk = body.subarray(offset, offset + 64 * 1024);
      await write(socket, options.chunked ? Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]) : chunk);
    }
    if (options.chunked) await write(socket, '0\r\n\r\n');
  } catch (error) {
    socket.destroy();
    return { error: (error as NodeJS.ErrnoException).code ?? String(error) };
  }
  socket.resume();
  const response = await new Promise<RawResponse | undefined>((resolve) => {
    const check = () => {
      const parsed = parseResponse(received);
      if (parsed !== undefined) resolve(parsed);
    };
    socket.on('data', check);
    void closed.then(() => resolve(parseResponse(received)));
    check();
  });
  socket.destroy();
  return response ?? { error: `connection closed with ${JSON.stringify(received.slice(0, 200))}` };
}

/** A chat request body of about `bytes` bytes. */
function chatBody(bytes: number): Buffer {
  return Buffer.from(JSON.stringify({ model: 'fast', messages: [{ role: 'user', content: 'x'.repeat(bytes) }] }));
}

describe('a request body over the limit', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ env: { GANTRY_BODY_LIMIT: String(BODY_LIMIT) } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  // 8 MiB is well past what loopback socket buffers hold, so the client is still writing when the
  // gateway has decided; and well within the bytes the gateway reads to let the client finish.
  for (const chunked of [false, true]) {
    it(`is answered 413 to a client that reads only after sending it all (${chunked ? 'chunked' : 'content-length'})`, async () => {
      const response = await uploadThenRead(stack.url, chatBody(8 * 1024 * 1024), { chunked });
      expect(response).toMatchObject({ status: 413 });
      const { error } = JSON.parse((response as RawResponse).body) as { error: { message: string } };
      expect(openaiSchemaErrors('ErrorResponse', { error })).toEqual([]);
      expect(error.message).toContain(`limit of ${BODY_LIMIT} bytes`);
    });
  }

  it('is answered 413 to the openai SDK, which can go on using its connection', async () => {
    const openai = stack.openai();
    const oversized = openai.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'x'.repeat(8 * 1024 * 1024) }] });
    const error = await oversized.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).status).toBe(413);
    expect((error as APIError).message).toContain(`limit of ${BODY_LIMIT} bytes`);
    const next = await openai.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
    expect(next.choices[0]?.message.content).toBe('Hello from the mock provider.');
  });

  it('declaring more than the gateway will read is answered 413 at once, and the connection closed', async () => {
    const { port } = new URL(stack.url);
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    socket.on('error', () => {});
    socket.write(`POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer ${MASTER_KEY}\r\ncontent-type: application/json\r\ncontent-length: ${1024 ** 4}\r\n\r\n{"model":`);
    await closed;
    const response = parseResponse(received);
    expect(response?.status).toBe(413);
    expect(response?.headers.connection).toBe('close');
  });
});
