import type { FastifyPluginAsync } from 'fastify';

/** `/healthz`: the process serves. `/readyz`: and its database answers. */
const healthRoutes: FastifyPluginAsync = async (app) => {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    try {
      await app.gantry.database.ping();
      return { status: 'ready', database: app.gantry.database.kind };
    } catch (error) {
      return reply.code(503).send({ status: 'unavailable', database: app.gantry.database.kind, error: (error as Error).message });
    }
  });
};

export default healthRoutes;
