import { createServer, type IncomingHttpHeaders, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { errorResponse, matchRoute, type ProviderRoute } from './match-route.ts';
import { type MockExchange, sendJson, wait } from './mock-exchange.ts';
import { agentStep, isAgentModel } from './agent-step.ts';
import { withEcho, type MockStep, type RecordedRequest } from './mock-step.ts';
import type { ScriptRegistry } from './script-registry.ts';

/** What the server shares with its owner: the scripts and the request log (mutated in place). */
export interface MockServerState {
  registry: ScriptRegistry;
  requests: RecordedRequest[];
  /** Most requests the log keeps (the oldest go first); undefined keeps every one. */
  maxRequests?: number;
}

const NO_STEP: MockStep = Object.freeze({});

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      text += chunk;
    });
    request.on('end', () => resolve(text));
    request.on('error', reject);
  });
}

function flattenHeaders(headers: IncomingHttpHeaders): Record<string, string> {
  const flat: Record<string, string> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value !== undefined) flat[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return flat;
}

function parseJson(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function sendControlJson(response: ServerResponse, status: number, body: unknown): void {
  const payload = JSON.stringify(body);
  response.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  response.end(payload);
}

/** Clears the scripts and empties the request log in place (callers keep their array). */
export function resetState(state: MockServerState): void {
  state.registry.clear();
  state.requests.length = 0;
}

async function handleControl(state: MockServerState, request: IncomingMessage, response: ServerResponse, pathname: string): Promise<void> {
  const text = await readBody(request);
  if (pathname === '/_mock/requests' && request.method === 'GET') return sendControlJson(response, 200, state.requests);
  if (pathname === '/_mock/scripts' && request.method === 'DELETE') {
    resetState(state);
    response.writeHead(204).end();
    return;
  }
  if (pathname === '/_mock/scripts' && request.method === 'POST') {
    const parsed = parseJson(text);
    const body = parsed.ok ? parsed.value : null;
    if (!isObject(body) || typeof body.name !== 'string' || body.name === '' || !Array.isArray(body.steps) || !body.steps.every(isObject)) {
      return sendControlJson(response, 400, {
        error: 'POST /_mock/scripts expects {"name": string (the model name), "steps": MockStep[]} as JSON',
      });
    }
    state.registry.register(body.name, body.steps as MockStep[]);
    return sendControlJson(response, 201, { name: body.name, steps: body.steps.length });
  }
  sendControlJson(response, 404, { error: `no control route ${request.method} ${pathname}; see test/mock-provider/README.md` });
}

async function handleProvider(state: MockServerState, route: ProviderRoute, request: IncomingMessage, response: ServerResponse, url: string, queryStart: number): Promise<void> {
  const receivedAt = Date.now();
  const text = await readBody(request);
  let body: unknown = null;
  let badBody = false;
  if (text.length > 0) {
    const parsed = parseJson(text);
    if (parsed.ok) body = parsed.value;
    badBody = !parsed.ok || !isObject(parsed.value);
  } else badBody = route.hasBody;

  const objectBody = isObject(body) ? body : {};
  const model = route.pathModel ?? (typeof objectBody.model === 'string' ? objectBody.model : null);
  const record: RecordedRequest = {
    method: request.method ?? '',
    path: url,
    headers: flattenHeaders(request.headers),
    body,
    model,
    format: route.format,
    receivedAt,
    aborted: false,
    completed: false,
  };
  state.requests.push(record);
  // Dropped in halves, in place: one splice per maxRequests/2 requests, not one per request. The
  // newest is always kept (a log of 1 keeps the last request).
  if (state.maxRequests !== undefined && state.requests.length > state.maxRequests) state.requests.splice(0, state.requests.length - Math.ceil(state.maxRequests / 2));

  const exchange: MockExchange = {
    request,
    response,
    record,
    body: objectBody,
    query: queryStart === -1 ? null : new URLSearchParams(url.slice(queryStart + 1)),
    model,
    step: NO_STEP,
    closed: false,
    closedByServer: false,
  };
  response.on('finish', () => {
    record.completed = true;
  });
  response.on('close', () => {
    exchange.closed = true;
    if (!response.writableFinished && !exchange.closedByServer) record.aborted = true;
  });

  if (badBody) {
    const { body: errorBody, headers } = errorResponse(route.format, 400, 'mock provider: the request body is not a valid JSON object');
    return sendJson(exchange, 400, errorBody, headers);
  }
  if (route.scripted) exchange.step = withEcho(state.registry.next(model, route.format, objectBody), objectBody);
  if (route.scripted && isAgentModel(model) && !state.registry.has(model)) exchange.step = agentStep(route.format, objectBody) ?? exchange.step;
  const { step } = exchange;
  // a hanging request is answered by nobody; the close listener records the client leaving
  if (step.hang === true) return;
  if (step.latencyMs !== undefined && step.latencyMs > 0 && !(await wait(exchange, step.latencyMs))) return;
  if (step.status !== undefined) {
    const fallback = errorResponse(route.format, step.status);
    return sendJson(exchange, step.status, step.errorBody ?? fallback.body, fallback.headers);
  }
  await route.handle(exchange, () => state.registry.names());
}

/** A node:http server answering the provider and control routes; not yet listening. */
export function createMockServer(state: MockServerState): Server {
  const server = createServer((request, response) => {
    const url = request.url ?? '/';
    const queryStart = url.indexOf('?');
    const pathname = queryStart === -1 ? url : url.slice(0, queryStart);
    const method = request.method ?? 'GET';
    let handling: Promise<void>;
    if (pathname.startsWith('/_mock/')) handling = handleControl(state, request, response, pathname);
    else {
      const route = matchRoute(method, pathname);
      if (route === null) {
        request.resume();
        const { body } = errorResponse('openai', 404, `mock provider: no route for ${method} ${pathname}`);
        sendControlJson(response, 404, body);
        return;
      }
      handling = handleProvider(state, route, request, response, url, queryStart);
    }
    handling.catch((error: unknown) => {
      if (!response.headersSent) sendControlJson(response, 500, { error: `mock provider failed: ${String(error)}` });
      else response.destroy();
    });
  });
  // keep-alive like the real APIs, and no server-side limits so scripted hangs last as long as the client waits
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 0;
  server.requestTimeout = 0;
  server.timeout = 0;
  return server;
}
