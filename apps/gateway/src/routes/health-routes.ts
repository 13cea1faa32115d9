import type { FastifyPluginAsync } from 'fastify';

/** `/healthz`: the process serves. `/readyz`: and its database answers. */
const healthRoutes: FastifyPluginAsync = async (app) => {
  // Probes carry no key: load balancers and orchestrators call these.
  const publicAccess = { config: { auth: 'public' as const } };
  app.get('/healthz', publicAccess, async () => ({ status: 'ok' }));
  app.get('/readyz', publicAccess, async (_request, reply) => {
    try {
      await app.gantry.database.ping();
      return { status: 'ready', database: app.gantry.database.kind };
    } catch (error) {
      return reply.code(503).send({ status: 'unavailable', database: app.gantry.database.kind, error: (error as Error).message });
    }
  });
};

export default healthRoutes;
