import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A local HTTP server that answers every request with `handler`, counting TCP connections. */
export interface TestServer {
  /** `http://127.0.0.1:{port}`, no trailing slash. */
  url: string;
  /** TCP connections accepted so far: a reused keep-alive connection counts once. */
  readonly connections: number;
  /** The JSON bodies received, in arrival order, with their path and headers. */
  readonly requests: { path: string; headers: IncomingMessage['headers']; body: unknown }[];
  close(): Promise<void>;
}

export async function startTestServer(handler: (request: IncomingMessage, response: ServerResponse) => void): Promise<TestServer> {
  let connections = 0;
  const requests: TestServer['requests'] = [];
  const server = createServer((request, response) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (piece: string) => (text += piece));
    request.on('end', () => {
      requests.push({ path: request.url ?? '', headers: request.headers, body: text === '' ? undefined : JSON.parse(text) });
      handler(request, response);
    });
  });
  server.on('connection', () => connections++);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get connections() {
      return connections;
    },
    requests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
