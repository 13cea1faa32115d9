import fastifyPlugin from 'fastify-plugin';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { PermissionDeniedError } from '@gantry/spec';
import type { Principal } from '@gantry/policy';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** Who may call the route: any valid key (`proxy`), only the master key (`admin`), or anyone. */
    auth?: 'proxy' | 'admin' | 'none';
  }
}

function bearerSecret(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (header !== undefined) {
    const space = header.indexOf(' ');
    if (space > 0 && header.slice(0, space).toLowerCase() === 'bearer') return header.slice(space + 1).trim();
    // `Authorization: Bearer $KEY` with KEY unset arrives as a bare "Bearer": that is no key, not a wrong one.
    if (header.trim().toLowerCase() !== 'bearer') return header.trim();
  }
  const apiKey = request.headers['x-api-key'];
  return typeof apiKey === 'string' ? apiKey : undefined;
}

/** Authenticates before the body is read, so unauthenticated callers cost no parsing. */
const authPlugin: FastifyPluginAsync = async (app) => {
  // Set by the hook below before any handler that needs it runs.
  app.decorateRequest('principal', null as never);
  app.addHook('onRequest', async (request) => {
    const mode = request.routeOptions.config.auth ?? 'none';
    if (mode === 'none') return;
    request.principal = await app.gantry.authenticator.authenticate(bearerSecret(request));
    if (mode === 'admin' && request.principal.kind !== 'master') {
      throw new PermissionDeniedError('the admin API needs the master key (GANTRY_MASTER_KEY); virtual keys may only call /v1 routes');
    }
  });
};

export default fastifyPlugin(authPlugin, { name: 'gantry-auth', fastify: '5.x', dependencies: ['gantry-services'] });
