import type { IncomingMessage } from 'node:http';
import fastifyPlugin from 'fastify-plugin';
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import { GatewayError, InvalidRequestError, NotFoundError, RequestTooLargeError, toGatewayError, UnavailableError } from '@gantry/spec';
import { openaiWire, type ClientWire } from '../proxy/client-wire.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The wire format the route's clients speak; errors are written in it. Default: OpenAI. */
    wire?: Pick<ClientWire, 'encodeError'>;
  }
}

/** Turns fastify's own client errors (body parsing, limits) into GatewayErrors that say what to do. */
function fromFastifyError(error: FastifyError, bodyLimit: number): GatewayError | undefined {
  switch (error.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return new RequestTooLargeError(`request body is larger than the limit of ${bodyLimit} bytes; send less, or raise server.body_limit in gantry.yaml (GANTRY_BODY_LIMIT)`);
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return new InvalidRequestError('request body is empty; send a JSON object');
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return new InvalidRequestError(`unsupported Content-Type; send the body as JSON with "Content-Type: application/json"`, { status: 415 });
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return new InvalidRequestError('request body length does not match its Content-Length header');
  }
  if (error instanceof SyntaxError || error.code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
    return new InvalidRequestError(`request body is not valid JSON: ${error.message}`);
  }
  if (typeof error.statusCode === 'number' && error.statusCode >= 400 && error.statusCode < 500) {
    return new InvalidRequestError(error.message, { status: error.statusCode });
  }
  return undefined;
}

/**
 * How much of an over-limit body is read and thrown away before the 413 is sent: beyond either
 * bound the 413 goes out at once and the connection is closed (a client sending that much more is
 * not one a 413 helps). Time also counts toward server.body_timeout_ms, which ends the connection.
 */
const BODY_DRAIN_LIMITS = {
  /** Bytes of body read and thrown away; a body declaring a larger `content-length` is not read at all. */
  bytes: 64 * 1024 * 1024,
  /** Milliseconds spent reading them. */
  ms: 10_000,
};

/**
 * Reads and discards what is left of a request body, up to `limits`. Resolves true once the whole
 * body has arrived, false when a bound was reached first or the client went away.
 */
function drainRequestBody(raw: IncomingMessage, limits: { bytes: number; ms: number }): Promise<boolean> {
  if (raw.readableEnded) return Promise.resolve(true);
  if (raw.destroyed) return Promise.resolve(false);
  // A declared length past the bound is known to be too much without reading any of it.
  if (Number(raw.headers['content-length']) > limits.bytes) return Promise.resolve(false);
  return new Promise((resolve) => {
    let drained = 0;
    const finish = (complete: boolean) => {
      clearTimeout(timer);
      raw.off('data', onData);
      raw.off('end', onEnd);
      raw.off('close', onClose);
      raw.off('error', onClose);
      resolve(complete);
    };
    const onData = (chunk: Buffer) => {
      drained += chunk.length;
      if (drained > limits.bytes) finish(false);
    };
    const onEnd = () => finish(true);
    const onClose = () => finish(raw.readableEnded);
    const timer = setTimeout(() => finish(false), limits.ms);
    raw.on('data', onData);
    raw.once('end', onEnd);
    raw.once('close', onClose);
    raw.once('error', onClose);
    raw.resume();
  });
}

/** Every family of routes the gateway serves, for a 404 to point the way. */
export const ROUTE_FAMILIES =
  'Gantry serves POST /v1/chat/completions, POST /v1/messages (and /v1/messages/count_tokens), POST /v1/responses (and GET/DELETE /v1/responses/:id, GET /v1/responses/:id/input_items), POST /v1/embeddings, GET /v1/models, ' +
  'the runs API (GET /v1/runs, GET /v1/runs/:id, GET /v1/runs/:id/spans/:span_id, GET /v1/runs/:id/trace.json, POST /v1/runs/:id/end, /v1/runs/:id/limits), GET /v1/spend, GET /v1/budgets, GET /v1/me, ' +
  'datasets (/v1/datasets, /v1/datasets/:name/export, POST /v1/datasets/import), replays (/v1/replays, GET /v1/replays/:id/diff/:item, POST /v1/replays/:id/cancel), cache calibrations (/v1/cache/calibrations, GET /v1/cache/calibrations/:id), ' +
  'the admin API (/admin/keys, /admin/teams, /admin/customers, /admin/budgets, /admin/targets, DELETE /admin/cache), GET /healthz, /readyz, /metrics, and the web console at /console (pages under /console/*, assets under /console/assets); ' +
  "the README's endpoint table says what each does";

/** A Postgres error (SQLSTATE code and severity) in an error's cause chain: drizzle wraps them with the query text. */
function postgresErrorOf(error: unknown): { code: string; message: string } | undefined {
  for (let current = error, depth = 0; typeof current === 'object' && current !== null && depth < 5; current = (current as { cause?: unknown }).cause, depth++) {
    const { code, severity, message } = current as { code?: unknown; severity?: unknown; message?: unknown };
    if (typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) && typeof severity === 'string') return { code, message: String(message) };
  }
  return undefined;
}

/**
 * A database failure in the client's terms, never with the query, its parameters or other rows
 * (the log keeps those): a value Postgres cannot store (SQLSTATE class 22: NUL, lone surrogates,
 * numbers out of range) is the request's fault, anything else the gateway's.
 */
export function fromDatabaseError(error: unknown): GatewayError | undefined {
  const postgres = postgresErrorOf(error);
  if (postgres === undefined) {
    // A query that failed before reaching Postgres (drizzle's wrapper names the query): no details.
    return error instanceof Error && error.message.startsWith('Failed query') ? new UnavailableError('the database could not run a query for this request; retry shortly') : undefined;
  }
  if (postgres.code.startsWith('22')) {
    return new InvalidRequestError(`a value in the request cannot be stored (${postgres.message.split('\n')[0]!.slice(0, 120)}); remove NUL characters and lone UTF-16 surrogates, and keep numbers in range`);
  }
  return new UnavailableError(`the database refused a query for this request (SQLSTATE ${postgres.code}); retry shortly`);
}

/**
 * The one place errors become HTTP responses: every error a route throws leaves in the error shape
 * of the route's wire (OpenAI unless the route says otherwise), with the status and headers
 * (e.g. `retry-after`) the GatewayError carries.
 */
const errorHandlerPlugin: FastifyPluginAsync<{ bodyLimit: number }> = async (app, options) => {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const gatewayError = error instanceof GatewayError ? error : (fromFastifyError(error, options.bodyLimit) ?? fromDatabaseError(error) ?? toGatewayError(error));
    if (gatewayError.status >= 500 && !(error instanceof GatewayError)) request.log.error({ err: error }, 'unhandled error');
    const wire = request.routeOptions.config.wire ?? openaiWire;
    if (gatewayError.status === 413) {
      // Closing while the client is still uploading makes its TCP stack reset the connection, and
      // most clients then report EPIPE or "connection error", never reading the 413: read the rest
      // first (bounded), and keep the connection when the whole body came.
      if (await drainRequestBody(request.raw, BODY_DRAIN_LIMITS)) reply.removeHeader('connection');
      else reply.header('connection', 'close');
    }
    return reply.code(gatewayError.status).headers(gatewayError.headers).send(wire.encodeError(gatewayError));
  });
  app.setNotFoundHandler(async (request, reply) => {
    const error = new NotFoundError(`no route ${request.method} ${request.url.split('?')[0]}; ${ROUTE_FAMILIES}`);
    return reply.code(404).send(openaiWire.encodeError(error));
  });
};

export default fastifyPlugin(errorHandlerPlugin, { name: 'gantry-error-handler', fastify: '5.x' });
