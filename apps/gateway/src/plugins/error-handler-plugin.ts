import fastifyPlugin from 'fastify-plugin';
import type { FastifyError, FastifyPluginAsync } from 'fastify';
import { GatewayError, InvalidRequestError, NotFoundError, RequestTooLargeError, toGatewayError } from '@gantry/spec';
import { openaiWire, type ClientWire } from '../proxy/client-wire.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The wire format the route's clients speak; errors are written in it. Default: OpenAI. */
    wire?: ClientWire;
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

/** Every family of routes the gateway serves, for a 404 to point the way. */
export const ROUTE_FAMILIES =
  'Gantry serves POST /v1/chat/completions, POST /v1/messages (and /v1/messages/count_tokens), POST /v1/embeddings, GET /v1/models, ' +
  'the runs API (GET /v1/runs, GET /v1/runs/:id, GET /v1/runs/:id/spans/:span_id, POST /v1/runs/:id/end, /v1/runs/:id/limits), GET /v1/spend, ' +
  'the admin API (/admin/keys, /admin/teams, /admin/customers, /admin/budgets, /admin/targets) and GET /healthz, /readyz, /metrics; ' +
  "the README's endpoint table says what each does";

/**
 * The one place errors become HTTP responses: every error a route throws leaves in the error shape
 * of the route's wire (OpenAI unless the route says otherwise), with the status and headers
 * (e.g. `retry-after`) the GatewayError carries.
 */
const errorHandlerPlugin: FastifyPluginAsync<{ bodyLimit: number }> = async (app, options) => {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const gatewayError = error instanceof GatewayError ? error : (fromFastifyError(error, options.bodyLimit) ?? toGatewayError(error));
    if (gatewayError.status >= 500 && !(error instanceof GatewayError)) request.log.error({ err: error }, 'unhandled error');
    const wire = request.routeOptions.config.wire ?? openaiWire;
    return reply.code(gatewayError.status).headers(gatewayError.headers).send(wire.encodeError(gatewayError));
  });
  app.setNotFoundHandler(async (request, reply) => {
    const error = new NotFoundError(`no route ${request.method} ${request.url.split('?')[0]}; ${ROUTE_FAMILIES}`);
    return reply.code(404).send(openaiWire.encodeError(error));
  });
};

export default fastifyPlugin(errorHandlerPlugin, { name: 'gantry-error-handler', fastify: '5.x' });
