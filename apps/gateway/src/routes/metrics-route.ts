import type { FastifyPluginAsync } from 'fastify';

/** `GET /metrics`: Prometheus text format, no auth (like /healthz; keep it off the public network). */
const metricsRoute: FastifyPluginAsync = async (app) => {
  app.get('/metrics', { config: { auth: 'public' } }, async (_request, reply) => {
    const body = await app.metrics.registry.metrics();
    return reply.type(app.metrics.registry.contentType).send(body);
  });
};

export default metricsRoute;
