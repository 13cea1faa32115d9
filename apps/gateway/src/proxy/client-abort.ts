import type { FastifyReply } from 'fastify';

/**
 * An AbortSignal that fires when the client goes away before the response finished, so the
 * upstream call is cancelled instead of running (and billing) for nobody. Gone means the
 * connection closed, or the client half-closed it (FIN): Node then keeps the socket open until
 * the pending writes are taken, which a client that stopped reading never does.
 */
export function abortOnClientClose(reply: FastifyReply): AbortController {
  const controller = new AbortController();
  const response = reply.raw;
  const socket = response.socket;
  const gone = () => {
    if (!response.writableFinished) controller.abort(new Error('client closed the connection'));
  };
  response.once('close', gone);
  if (socket !== null) {
    if (socket.readableEnded) gone();
    socket.once('end', gone);
    // A keep-alive socket serves many requests: take the listener off when this one is over.
    response.once('close', () => socket.off('end', gone));
  }
  return controller;
}
