import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { buildConsole, type ConsoleBundle } from '../console/build-console.ts';

/**
 * What the console's pages may load: only this origin, no inline script or style, no frames. The
 * key lives in the page's session storage, so a script injected from anywhere would be a key leak.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

function secured(reply: FastifyReply): FastifyReply {
  return reply
    .header('content-security-policy', CONTENT_SECURITY_POLICY)
    .header('x-content-type-options', 'nosniff')
    .header('referrer-policy', 'no-referrer')
    .header('x-frame-options', 'DENY');
}

/**
 * `/console`: the web console, a single page that reads everything through the authenticated API
 * like any client. The page and its assets carry no data and need no key (the key is typed into
 * the page); the bundle is built once per process, on the first visit.
 */
const consoleRoute: FastifyPluginAsync = async (app) => {
  let bundle: Promise<ConsoleBundle> | undefined;
  const built = (): Promise<ConsoleBundle> => {
    bundle ??= buildConsole().catch((error: unknown) => {
      bundle = undefined;
      throw error;
    });
    return bundle;
  };
  const publicAccess = { config: { auth: 'public' as const } };
  /** The bundle, or undefined once a 503 saying why is sent (a broken checkout's sources, say). */
  const bundleFor = async (request: FastifyRequest, reply: FastifyReply): Promise<ConsoleBundle | undefined> => {
    try {
      return await built();
    } catch (error) {
      request.log.error({ err: error }, 'the console could not be built');
      const reason = (error as Error).message.split('\n')[0]!.slice(0, 300);
      void secured(reply).code(503).type('text/plain; charset=utf-8').send(`The console could not be built from apps/gateway/console/src: ${reason}. The API under /v1 is unaffected.`);
      return undefined;
    }
  };

  const page = async (request: FastifyRequest, reply: FastifyReply) => {
    const bundle = await bundleFor(request, reply);
    if (bundle === undefined) return reply;
    return secured(reply).type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(bundle.html);
  };
  // Every path of the app is the same page: it routes on the client, so a run's link can be shared.
  app.get('/console', publicAccess, page);
  app.get('/console/*', publicAccess, page);
  app.get<{ Params: { file: string } }>('/console/assets/:file', publicAccess, async (request, reply) => {
    const bundle = await bundleFor(request, reply);
    if (bundle === undefined) return reply;
    const asset = bundle.assets.get(request.params.file);
    if (asset === undefined) return secured(reply).code(404).type('text/plain; charset=utf-8').send(`no console asset '${request.params.file.slice(0, 100)}': reload /console`);
    return secured(reply).type(asset.contentType).header('cache-control', 'public, max-age=31536000, immutable').send(asset.body);
  });
};

export default consoleRoute;
