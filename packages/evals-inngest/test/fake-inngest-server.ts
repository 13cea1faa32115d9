import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A request the fake Inngest server received. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}

/** An event as the SDK posts it to `/e/<event key>`. */
export interface ReceivedEvent {
  id?: string;
  name: string;
  data: Record<string, unknown>;
}

export interface FakeInngestServer {
  /** http://127.0.0.1:PORT */
  url: string;
  requests: ReceivedRequest[];
  /** Every event posted, in order (a request may carry several). */
  events(): ReceivedEvent[];
  /** Resolves once `count` events named `name` arrived. */
  waitForEvents(name: string, count: number, timeoutMs?: number): Promise<ReceivedEvent[]>;
  close(): Promise<void>;
}

function readBody(request: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('error', reject);
    request.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      try {
        resolve(text === '' ? null : JSON.parse(text));
      } catch {
        resolve(text);
      }
    });
  });
}

/**
 * The few endpoints of an Inngest server the SDK calls, on 127.0.0.1: `POST /e/<key>` (events:
 * answered with their ids) and `POST /fn/register` (a sync); everything is kept for the test to read.
 * No Inngest server (Go binary, Docker) runs here.
 */
export async function startFakeInngestServer(): Promise<FakeInngestServer> {
  const requests: ReceivedRequest[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((request, response) => {
    void readBody(request).then((body) => {
      const path = request.url ?? '/';
      requests.push({ method: request.method ?? 'GET', path, headers: request.headers, body });
      for (const wake of waiters) wake();
      response.setHeader('content-type', 'application/json');
      if (path.startsWith('/e/')) {
        const count = Array.isArray(body) ? body.length : 1;
        response.end(JSON.stringify({ ids: Array.from({ length: count }, (_, index) => `evt_${requests.length}_${index}`), status: 200 }));
      } else if (path.startsWith('/fn/register')) {
        response.end(JSON.stringify({ ok: true, modified: true }));
      } else {
        response.statusCode = 404;
        response.end(JSON.stringify({ error: `the fake Inngest server has no ${path}` }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const events = () => requests.filter((request) => request.method === 'POST' && request.path.startsWith('/e/')).flatMap((request) => (Array.isArray(request.body) ? request.body : [request.body]) as ReceivedEvent[]);
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    events,
    waitForEvents(name, count, timeoutMs = 10_000) {
      const named = () => events().filter((event) => event.name === name);
      return new Promise((resolve, reject) => {
        const check = () => {
          if (named().length < count) return;
          cleanup();
          resolve(named());
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`the fake Inngest server got ${named().length} of ${count} '${name}' events in ${timeoutMs} ms`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * The `x-inngest-signature` header Inngest sends with a request to a served app: an HMAC-SHA256,
 * keyed by the signing key without its `signkey-<env>-` prefix, of the body and a timestamp.
 */
export function inngestSignature(signingKey: string, body = ''): string {
  const timestamp = String(Math.floor(Date.now() / 1000));
  const signature = createHmac('sha256', signingKey.replace(/^signkey-\w+-/, '')).update(body + timestamp).digest('hex');
  return `t=${timestamp}&s=${signature}`;
}
