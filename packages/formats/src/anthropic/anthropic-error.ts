import { ProviderHttpError, type GatewayError } from '@gantry/spec';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

const TYPE_BY_CODE: Partial<Record<GatewayError['code'], string>> = {
  invalid_request: 'invalid_request_error',
  request_too_large: 'request_too_large',
  authentication_failed: 'authentication_error',
  permission_denied: 'permission_error',
  not_found: 'not_found_error',
  budget_exceeded: 'billing_error',
  rate_limited: 'rate_limit_error',
  provider_timeout: 'timeout_error',
  unavailable: 'overloaded_error',
};

const TYPE_BY_STATUS: Record<number, string> = {
  400: 'invalid_request_error',
  401: 'authentication_error',
  402: 'billing_error',
  403: 'permission_error',
  404: 'not_found_error',
  413: 'request_too_large',
  429: 'rate_limit_error',
  504: 'timeout_error',
  529: 'overloaded_error',
};

/** The Anthropic error `type` for a gateway error. */
export function anthropicErrorType(error: GatewayError): string {
  // An overloaded upstream stays "overloaded" for Anthropic clients, whose SDKs retry on it.
  if (error instanceof ProviderHttpError && error.upstreamStatus === 529) return 'overloaded_error';
  return TYPE_BY_CODE[error.code] ?? TYPE_BY_STATUS[error.status] ?? (error.status >= 500 ? 'api_error' : 'invalid_request_error');
}

/**
 * Anthropic's error shape `{type: "error", error: {type, message}}`, for HTTP error bodies and the
 * `event: error` stream frame. @see https://docs.anthropic.com/en/api/errors
 */
export function encodeAnthropicError(error: GatewayError): AnthropicErrorBody {
  return { type: 'error', error: { type: anthropicErrorType(error), message: error.message } };
}

/** HTTP status Anthropic uses for an error type, for errors that arrive inside a 200 stream. */
const STATUS_BY_STREAM_ERROR: Record<string, number> = { overloaded_error: 529, rate_limit_error: 429 };

/**
 * An `event: error` frame of a provider stream → ProviderHttpError. `overloaded_error` becomes 529
 * and `rate_limit_error` 429 (both retryable), anything else 500.
 * @see https://docs.anthropic.com/en/docs/build-with-claude/streaming#error-events
 */
export function anthropicStreamError(provider: string, body: { error: { type: string; message?: string | undefined } }): ProviderHttpError {
  const status = STATUS_BY_STREAM_ERROR[body.error.type] ?? 500;
  const message = `provider ${provider} failed mid-stream: ${body.error.type}${body.error.message ? `: ${body.error.message}` : ''}`;
  return new ProviderHttpError(provider, status, message, body);
}
