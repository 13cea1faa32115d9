import fastifyPlugin from 'fastify-plugin';
import type { FastifyPluginAsync } from 'fastify';
import type { GatewayServices } from '../gateway-services.ts';

declare module 'fastify' {
  interface FastifyInstance {
    gantry: GatewayServices;
  }
}

/** Makes the gateway's services reachable from every route as `app.gantry`. */
const servicesPlugin: FastifyPluginAsync<{ services: GatewayServices }> = async (app, options) => {
  app.decorate('gantry', options.services);
};

export default fastifyPlugin(servicesPlugin, { name: 'gantry-services', fastify: '5.x' });
