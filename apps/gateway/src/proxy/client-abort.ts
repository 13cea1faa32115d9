import type { FastifyReply } from 'fastify';

/**
 * An AbortSignal that fires when the client goes away before the response finished, so the
 * upstream call is cancelled instead of running (and billing) for nobody.
 */
export function abortOnClientClose(reply: FastifyReply): AbortController {
  const controller = new AbortController();
  reply.raw.once('close', () => {
    if (!reply.raw.writableFinished) controller.abort(new Error('client closed the connection'));
  });
  return controller;
}
