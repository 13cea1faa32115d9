import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

/**
 * The only paths anyone may call without a key (GET and the HEAD fastify adds for it): the probes,
 * and the console's page and assets, which carry no data (the page asks for a key and reads the API
 * with it).
 */
const PUBLIC_PATHS = new Set(['/healthz', '/readyz', '/metrics', '/console', '/console/*', '/console/assets/:file']);

/** What a public route answers a probe: 200, but 404 for a console asset of a made-up name. */
const publicStatus = (path: string) => (path === '/console/assets/:file' ? 404 : 200);

/** Master key only: the admin API, and changing or reading a run tree's limits. */
function isMasterOnly(path: string): boolean {
  return path.startsWith('/admin/') || path === '/v1/runs/:id/limits';
}

type Access = 'public' | 'key' | 'master';

function accessOf(path: string): Access {
  if (PUBLIC_PATHS.has(path)) return 'public';
  return isMasterOnly(path) ? 'master' : 'key';
}

interface Route {
  method: string;
  url: string;
}

const label = (route: Route) => `${route.method} ${route.url}`;

/**
 * Walks every route the real app registered (read from `registeredRoutes`, filled by an `onRoute`
 * hook at build time) and checks who may call it, so a route added without thinking about access
 * is caught here: whatever its config says, only the three probes answer without a key.
 */
describe('route access', () => {
  let stack: Stack;
  let routes: readonly Route[];
  let virtualKey: string;

  beforeAll(async () => {
    stack = await startStack();
    routes = stack.gateway.app.registeredRoutes;
    const response = await fetch(`${stack.url}/admin/keys`, {
      method: 'POST',
      headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'route access probe' }),
    });
    expect(response.status).toBe(201);
    virtualKey = ((await response.json()) as { key: string }).key;
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** Calls a route with made-up path parameters and an empty JSON body; the status is what counts. */
  async function statusOf(route: Route, apiKey?: string): Promise<number> {
    const path = route.url.replace(/:[^/]+/g, 'route-access-probe').replace(/\*/g, 'route-access-probe');
    const hasBody = route.method !== 'GET' && route.method !== 'HEAD';
    const response = await fetch(`${stack.url}${path}`, {
      method: route.method,
      headers: {
        ...(apiKey === undefined ? {} : { authorization: `Bearer ${apiKey}` }),
        ...(hasBody ? { 'content-type': 'application/json' } : {}),
      },
      ...(hasBody ? { body: '{}' } : {}),
    });
    await response.arrayBuffer();
    return response.status;
  }

  /** `METHOD url → status` for every route, to compare whole tables and name every offender at once. */
  async function statusTable(apiKey: string | undefined, select: (route: Route) => boolean = () => true): Promise<Record<string, number>> {
    const table: Record<string, number> = {};
    for (const route of routes.filter(select)) table[label(route)] = await statusOf(route, apiKey);
    return table;
  }

  it('collects every route, the HEAD routes fastify adds for GETs included', () => {
    const labels = routes.map(label);
    expect(new Set(labels).size).toBe(labels.length);
    expect(labels).toEqual(
      expect.arrayContaining([
        'GET /healthz',
        'HEAD /healthz',
        'GET /metrics',
        'POST /v1/chat/completions',
        'POST /v1/messages',
        'POST /v1/responses',
        'GET /v1/responses/:id',
        'DELETE /v1/responses/:id',
        'GET /v1/responses/:id/input_items',
        'POST /v1/embeddings',
        'GET /v1/models',
        'HEAD /v1/models',
        'GET /v1/runs/:id',
        'POST /v1/runs/:id/limits',
        'POST /admin/keys',
        'DELETE /admin/teams/:id',
        'GET /admin/targets',
      ]),
    );
    for (const route of routes.filter((each) => each.method === 'GET')) expect(labels, `HEAD for ${route.url}`).toContain(`HEAD ${route.url}`);
  });

  it('answers without a key only on /healthz, /readyz, /metrics and the console page, and 401 everywhere else', async () => {
    const table = await statusTable(undefined);
    const expected = Object.fromEntries(routes.map((route) => [label(route), accessOf(route.url) === 'public' ? publicStatus(route.url) : 401]));
    expect(table).toEqual(expected);
    expect(Object.values(expected).filter((status) => status !== 401)).toHaveLength(PUBLIC_PATHS.size * 2);
  });

  it('answers 401 to a key it does not know on every route that is not public', async () => {
    const table = await statusTable('gk-not-a-key-of-this-gateway', (route) => accessOf(route.url) !== 'public');
    expect(Object.entries(table).filter(([, status]) => status !== 401)).toEqual([]);
    expect(Object.keys(table).length).toBeGreaterThan(20);
  });

  it('answers 403 to a virtual key on every master-only route and lets it through on every other', async () => {
    const table = await statusTable(virtualKey);
    const refused = Object.entries(table).filter(([, status]) => status === 401 || status === 403).map(([name]) => name);
    const masterOnly = routes.filter((route) => accessOf(route.url) === 'master').map(label);
    expect(refused.sort()).toEqual(masterOnly.sort());
    for (const name of masterOnly) expect(table[name], name).toBe(403);
    expect(masterOnly.filter((name) => name.includes(' /admin/')).length).toBeGreaterThan(10);
  });

  it('says a virtual key on the admin API needs the master key', async () => {
    const response = await fetch(`${stack.url}/admin/keys`, { headers: { authorization: `Bearer ${virtualKey}` } });
    expect(response.status).toBe(403);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/admin API needs the master key \(GANTRY_MASTER_KEY\)/);
  });

  it('lets the master key through on every route, and none fails on an empty body or unknown ids', async () => {
    const table = await statusTable(MASTER_KEY);
    expect(Object.entries(table).filter(([, status]) => status === 401 || status === 403 || status >= 500)).toEqual([]);
    // Updates that set nothing answer like a read: the resource, or 404 for an id that names none.
    for (const path of ['/admin/keys/:id', '/admin/teams/:id', '/admin/customers/:id', '/admin/budgets/:id']) expect(table[`PATCH ${path}`], path).toBe(404);
  });

  it('answers a 404 that names every family of routes the gateway serves', async () => {
    const response = await fetch(`${stack.url}/v2/chat`, { method: 'POST' });
    expect(response.status).toBe(404);
    const { error } = (await response.json()) as { error: { message: string } };
    const families = new Set(stack.gateway.app.registeredRoutes.map((route) => route.url.split('/').slice(0, 3).filter((segment) => !segment.startsWith(':')).join('/')));
    expect([...families].filter((family) => !error.message.includes(family))).toEqual([]);
    expect(error.message).toContain('README');
  });

  it('answers 404 without a key to a path no route serves, under /admin too', async () => {
    for (const [method, path] of [['GET', '/nowhere'], ['POST', '/v1/nowhere'], ['GET', '/admin/nowhere'], ['OPTIONS', '/v1/models']] as const) {
      const response = await fetch(`${stack.url}${path}`, { method });
      expect(response.status, `${method} ${path}`).toBe(404);
      await response.arrayBuffer();
    }
  });
});
