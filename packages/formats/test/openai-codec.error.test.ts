import {
  AuthenticationError,
  GatewayError,
  InvalidRequestError,
  ProviderHttpError,
  ProviderTimeoutError,
  RequestTooLargeError,
  UnavailableError,
  toGatewayError,
} from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { createOpenAIStreamEncoder, encodeOpenAIError } from '../src/index.ts';
import { parseSse } from './load-fixture.ts';
import { openaiSchemaErrors } from './validate-openai-schema.ts';

const ERROR_SCHEMA = 'ErrorResponse';

describe('openai codec › error encoding', () => {
  it.each<[string, GatewayError, { type: string; code: string; param: string | null }]>([
    ['invalid request with param', new InvalidRequestError('invalid chat completion request: temperature: expected number, got a string', { param: 'temperature' }), { type: 'invalid_request_error', code: 'invalid_request', param: 'temperature' }],
    ['request too large', new RequestTooLargeError('request body is 12 MB; the limit is 10 MB'), { type: 'invalid_request_error', code: 'request_too_large', param: null }],
    ['authentication', new AuthenticationError('missing API key; send it as "Authorization: Bearer gk_…"'), { type: 'authentication_error', code: 'authentication_failed', param: null }],
    ['upstream 429', new ProviderHttpError('openai', 429, 'provider openai rate limited the request', { error: { type: 'rate_limit_error' } }), { type: 'rate_limit_error', code: 'rate_limited', param: null }],
    ['upstream 500', new ProviderHttpError('anthropic', 529, 'provider anthropic is overloaded', { type: 'error' }), { type: 'server_error', code: 'provider_error', param: null }],
    ['upstream 404 keeps a client error type', new ProviderHttpError('openai', 404, 'model gpt-9 not found at openai', null), { type: 'invalid_request_error', code: 'provider_error', param: null }],
    ['timeout', new ProviderTimeoutError('openai', 'provider openai did not answer within 60 s'), { type: 'server_error', code: 'provider_timeout', param: null }],
    ['unavailable', new UnavailableError('no healthy target for model gpt-4o; retry shortly'), { type: 'server_error', code: 'unavailable', param: null }],
    ['an unclassified error', toGatewayError(new TypeError('x is undefined')), { type: 'server_error', code: 'internal_error', param: null }],
  ])('encodes %s as a valid ErrorResponse', (_label, error, expected) => {
    const wire = encodeOpenAIError(error);
    expect(openaiSchemaErrors(ERROR_SCHEMA, wire)).toEqual([]);
    expect(wire).toEqual({ error: { message: error.message, ...expected } });
  });

  it('writes the same shape as an in-stream data: frame', () => {
    const error = new ProviderHttpError('openai', 500, 'provider openai failed mid-stream: boom', { message: 'boom' });
    const frames = parseSse(createOpenAIStreamEncoder({ includeUsage: true }).error(error));
    expect(frames).toHaveLength(1);
    const payload = JSON.parse(frames[0]?.data ?? '') as unknown;
    expect(openaiSchemaErrors(ERROR_SCHEMA, payload)).toEqual([]);
    expect(payload).toEqual(encodeOpenAIError(error));
  });

  it('the schema rejects an error without param, so the check can fail', () => {
    expect(openaiSchemaErrors(ERROR_SCHEMA, { error: { message: 'x', type: 'server_error', code: null } })).not.toEqual([]);
  });
});
