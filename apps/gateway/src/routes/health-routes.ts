import type { FastifyPluginAsync } from 'fastify';
import { DatabaseUnavailableError } from '@gantry/db';

/**
 * How long `/readyz` waits for the database: probes answer within a second whatever the database
 * does (a hung server must take the instance out of rotation, not hang its probes).
 */
export const READY_DATABASE_TIMEOUT_MS = 750;

/** What `/readyz` says when the database did not answer: the ping's own words, which never carry a query, else a fixed sentence. */
function unavailableReason(error: unknown): string {
  return error instanceof DatabaseUnavailableError ? error.message : 'the database could not be reached';
}

/** `/healthz`: the process serves. `/readyz`: and its database answers, within {@link READY_DATABASE_TIMEOUT_MS}. */
const healthRoutes: FastifyPluginAsync = async (app) => {
  // Probes carry no key: load balancers and orchestrators call these.
  const publicAccess = { config: { auth: 'public' as const } };
  app.get('/healthz', publicAccess, async () => ({ status: 'ok' }));
  app.get('/readyz', publicAccess, async (request, reply) => {
    const { database } = app.gantry;
    try {
      await database.ping({ timeoutMs: READY_DATABASE_TIMEOUT_MS });
      return { status: 'ready', database: database.kind };
    } catch (error) {
      request.log.warn({ err: error }, 'not ready: the database did not answer');
      return reply.code(503).send({ status: 'unavailable', database: database.kind, error: unavailableReason(error) });
    }
  });
};

export default healthRoutes;
