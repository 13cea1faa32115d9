import { connect, type Socket } from 'node:net';
import OpenAI, { APIError } from 'openai';
import { Agent, fetch as undiciFetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openaiSchemaErrors } from '../support/openai-schemas.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

/** How many hostile sockets each case opens: enough to be a crowd, few enough for two shared cores. */
const CROWD = 20;
/** Longer than any timeout configured below: a socket still open after this was never going to be closed (a hang detector, not a timing claim). */
const HANG_MS = 15_000;

/** A raw connection that records what the gateway sent, and whether the gateway closed it. */
interface Probe {
  socket: Socket;
  received: () => Buffer;
  /** Resolves 'closed' when the gateway closes the connection, 'open' if it is still open after HANG_MS. */
  outcome: Promise<'closed' | 'open'>;
  stop: () => void;
}

function openProbe(url: string, localAddress = '127.0.0.1'): Promise<Probe> {
  const { port } = new URL(url);
  const socket = connect({ port: Number(port), host: '127.0.0.1', localAddress });
  const chunks: Buffer[] = [];
  const timers: NodeJS.Timeout[] = [];
  socket.on('data', (chunk: Buffer) => chunks.push(chunk));
  socket.on('error', () => {});
  const outcome = new Promise<'closed' | 'open'>((resolve) => {
    socket.once('close', () => resolve('closed'));
    timers.push(setTimeout(() => resolve('open'), HANG_MS));
  });
  const stop = () => {
    for (const timer of timers) clearInterval(timer);
    socket.destroy();
  };
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve({ socket, received: () => Buffer.concat(chunks), outcome, stop }));
    socket.once('error', reject);
  });
}

/** Writes `first`, then what `next` gives every `everyMs`, for as long as the socket is open (slow-loris). */
function trickle(probe: Probe, first: string, next: () => string, everyMs = 100): void {
  probe.socket.write(first);
  const timer = setInterval(() => {
    if (probe.socket.writable) probe.socket.write(next());
    else clearInterval(timer);
  }, everyMs);
  void probe.outcome.then(() => clearInterval(timer));
}

/** The status and parsed JSON body of each HTTP response in `bytes`, in order (a connection may carry several). */
function responses(bytes: Buffer): { status: number; body: unknown }[] {
  const found: { status: number; body: unknown }[] = [];
  let offset = 0;
  while (offset < bytes.length) {
    const headEnd = bytes.indexOf('\r\n\r\n', offset);
    if (headEnd < 0) break;
    const head = bytes.subarray(offset, headEnd).toString('latin1');
    const length = Number(/content-length: (\d+)/i.exec(head)?.[1] ?? 0);
    const body = bytes.subarray(headEnd + 4, headEnd + 4 + length).toString('utf8');
    found.push({ status: Number(head.split(' ')[1]), body: body.startsWith('{') ? (JSON.parse(body) as unknown) : body });
    offset = headEnd + 4 + length;
  }
  return found;
}

describe('slow and idle client connections', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ config: { server: { header_timeout_ms: 500, body_timeout_ms: 1000, idle_timeout_ms: 500 } } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('closes connections that trickle their headers, answering 408 in the OpenAI error shape', async () => {
    const probes = await Promise.all(Array.from({ length: CROWD }, () => openProbe(stack.url)));
    let header = 0;
    for (const probe of probes) trickle(probe, 'POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\n', () => `x-slow-${header++}: 1\r\n`);
    const outcomes = await Promise.all(probes.map((probe) => probe.outcome));
    for (const probe of probes) probe.stop();
    expect(outcomes).toEqual(probes.map(() => 'closed'));
    for (const probe of probes) {
      const [response] = responses(probe.received());
      expect(response?.status).toBe(408);
      expect(openaiSchemaErrors('ErrorResponse', response?.body)).toEqual([]);
      expect(JSON.stringify(response?.body)).toContain('server.header_timeout_ms');
    }
  });

  it('closes connections answered 401 that go on trickling their body', async () => {
    const probes = await Promise.all(Array.from({ length: CROWD }, () => openProbe(stack.url)));
    for (const probe of probes) {
      trickle(
        probe,
        'POST /v1/chat/completions HTTP/1.1\r\nhost: 127.0.0.1\r\nauthorization: Bearer gk-wrong\r\ncontent-type: application/json\r\ncontent-length: 1000000\r\n\r\n',
        () => 'x',
      );
    }
    const outcomes = await Promise.all(probes.map((probe) => probe.outcome));
    for (const probe of probes) probe.stop();
    expect(outcomes).toEqual(probes.map(() => 'closed'));
    for (const probe of probes) expect(responses(probe.received())[0]?.status).toBe(401);
  });

  it('closes connections that never send a byte', async () => {
    const probes = await Promise.all(Array.from({ length: CROWD }, () => openProbe(stack.url)));
    const outcomes = await Promise.all(probes.map((probe) => probe.outcome));
    for (const probe of probes) probe.stop();
    expect(outcomes).toEqual(probes.map(() => 'closed'));
  });

  it('closes a keep-alive connection idle after its response', async () => {
    const probe = await openProbe(stack.url);
    probe.socket.write('GET /healthz HTTP/1.1\r\nhost: 127.0.0.1\r\n\r\n');
    const outcome = await probe.outcome;
    probe.stop();
    expect(outcome).toBe('closed');
    expect(responses(probe.received()).map((response) => response.status)).toEqual([200]);
  });

  it('does not cut a stream that lasts longer than every client timeout', async () => {
    // 12 frames 200 ms apart: 2.4 s, past the 1 s body and 0.5 s idle timeouts.
    stack.mock.script('slow-stream', [{ text: 'abcdefghijklmnopqrstuvwx', chunkSize: 2, chunkDelayMs: 200 }]);
    const stream = await stack.openai().chat.completions.create({ model: 'local/slow-stream', messages: [{ role: 'user', content: 'hi' }], stream: true });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('abcdefghijklmnopqrstuvwx');
  });
});

describe('connections per client address', () => {
  const CAP = 8;
  let stack: Stack;
  /** An SDK client whose connections come from 127.0.0.2, another client address on the loopback. */
  let otherAgent: Agent;
  let otherClient: OpenAI;

  beforeAll(async () => {
    stack = await startStack({ config: { server: { max_connections_per_address: CAP } } });
    otherAgent = new Agent({ localAddress: '127.0.0.2' });
    otherClient = new OpenAI({
      apiKey: MASTER_KEY,
      baseURL: `${stack.url}/v1`,
      maxRetries: 0,
      fetch: ((input: string, init: Record<string, unknown>) => undiciFetch(input, { ...init, dispatcher: otherAgent })) as unknown as typeof fetch,
    });
  });
  afterAll(async () => {
    await otherAgent?.close();
    await stack?.close();
  });

  const ask = (client: OpenAI) => client.chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });

  it('answers 429 over the cap, to that address only, and serves it again once its connections close', async () => {
    const held = await Promise.all(Array.from({ length: CAP }, () => openProbe(stack.url, '127.0.0.2')));

    const refused = await ask(otherClient).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(APIError);
    expect((refused as APIError).status).toBe(429);
    expect((refused as APIError).message).toContain('server.max_connections_per_address');
    expect((refused as APIError).headers?.get('retry-after')).toBe('1');

    // Another address is not held back by this one's crowd.
    expect((await ask(stack.openai())).choices[0]?.message.content).toBe('Hello from the mock provider.');

    // The gateway sees the closes a little after the client does: a client that retries as told (retry-after) gets through.
    for (const probe of held) probe.stop();
    expect((await ask(otherClient.withOptions({ maxRetries: 2 }))).choices[0]?.message.content).toBe('Hello from the mock provider.');
  });

  it('closes a connection over the cap that sends nothing', async () => {
    // 127.0.0.3: an address the SDK client above is not keeping a connection open from.
    const held = await Promise.all(Array.from({ length: CAP }, () => openProbe(stack.url, '127.0.0.3')));
    const extra = await openProbe(stack.url, '127.0.0.3');
    const outcome = await extra.outcome;
    // The ones under the cap are still open: the default 15 s header timeout has not passed.
    const heldOpen = held.filter((probe) => !probe.socket.destroyed).length;
    for (const probe of [...held, extra]) probe.stop();
    expect(outcome).toBe('closed');
    expect(heldOpen).toBe(CAP);
  });
});
