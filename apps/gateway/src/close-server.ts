import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/** The response a socket is carrying, if any (Node's own bookkeeping, which `closeIdleConnections` reads too). */
type HttpSocket = Socket & { _httpMessage?: { writableFinished: boolean } | null };

/**
 * Makes a server's close wait only for requests in flight. Node's `closeIdleConnections` spares a
 * connection that never sent a request (a load balancer's TCP probe, a client's pre-opened socket),
 * and with `requestTimeout: 0` nothing else ends it: a SIGTERM would wait for it forever. Sockets
 * are tracked per connection (nothing per request); `close` runs the given close and destroys every
 * socket without a request in flight until it has finished.
 */
export function closeWithoutIdleSockets(server: Server): (close: () => Promise<void>) => Promise<void> {
  const sockets = new Set<HttpSocket>();
  server.on('connection', (socket: HttpSocket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  return async (close) => {
    const destroyUnused = () => {
      for (const socket of sockets) if (!busy(socket)) socket.destroy();
    };
    const closing = close();
    destroyUnused();
    const sweep = setInterval(destroyUnused, 100);
    try {
      await closing;
    } finally {
      clearInterval(sweep);
    }
  };
}

function busy(socket: HttpSocket): boolean {
  const response = socket._httpMessage;
  return response !== undefined && response !== null && !response.writableFinished;
}
