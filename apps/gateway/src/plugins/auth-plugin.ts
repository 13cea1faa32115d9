import fastifyPlugin from 'fastify-plugin';
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { PermissionDeniedError } from '@gantry/spec';
import type { Principal } from '@gantry/policy';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who is calling; set before the handler of every route that is not `public`. */
    principal: Principal;
  }
  interface FastifyContextConfig {
    /**
     * Who may call the route. Omitted means any valid key (`proxy`): a route is public only when it
     * says so. Master-only routes do not say it here: build-app registers them in one context that adds
     * `requireMasterKey`.
     */
    auth?: 'proxy' | 'public';
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

/**
 * Authenticates before the body is read, so unauthenticated callers cost no parsing. Fails closed:
 * every route needs a valid key unless its config says `auth: 'public'`.
 */
const authPlugin: FastifyPluginAsync = async (app) => {
  // Set by the hook below before any handler that needs it runs.
  app.decorateRequest('principal', null as never);
  app.addHook('onRequest', async (request) => {
    // An unknown path answers 404 to anyone: the not-found handler has nothing to protect.
    if (request.is404 || request.routeOptions.config.auth === 'public') return;
    request.principal = await app.gantry.authenticator.authenticate(bearerSecret(request));
  });
};

/**
 * The one check of the master-only routes (`/admin/*`, run limits): build-app adds it as an
 * `onRequest` hook of the context they are registered in. It runs after the app-wide hook has
 * authenticated the caller, so a missing or unknown key is still a 401 and a virtual key a 403.
 */
export async function requireMasterKey(request: FastifyRequest): Promise<void> {
  // A route in that context that declared itself public has no principal: it is still master-only.
  const principal = request.principal as Principal | null;
  if (principal?.kind !== 'master') {
    throw new PermissionDeniedError('the admin API needs the master key (GANTRY_MASTER_KEY); virtual keys may only call /v1 routes');
  }
}

export default fastifyPlugin(authPlugin, { name: 'gantry-auth', fastify: '5.x', dependencies: ['gantry-services'] });
