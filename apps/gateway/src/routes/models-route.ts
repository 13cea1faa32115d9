import type { FastifyPluginAsync } from 'fastify';

/** `GET /v1/models`: aliases and the provider/model names configured behind them. */
const modelsRoute: FastifyPluginAsync = async (app) => {
  app.get('/v1/models', async () => ({
    object: 'list',
    data: app.gantry.resolver.listModels().map((model) => ({
      id: model.id,
      object: 'model',
      created: app.gantry.startedAt,
      owned_by: model.ownedBy,
    })),
  }));
};

export default modelsRoute;
