import type { GatewayError } from '@gantry/spec';

const TYPE_BY_CODE: Record<string, string> = {
  invalid_request: 'invalid_request_error',
  request_too_large: 'invalid_request_error',
  authentication_failed: 'authentication_error',
  permission_denied: 'permission_error',
  not_found: 'not_found_error',
  budget_exceeded: 'budget_exceeded',
  rate_limited: 'rate_limit_error',
};

/** OpenAI's error shape `{error: {message, type, param, code}}`. @see https://platform.openai.com/docs/guides/error-codes */
export function encodeOpenAIError(error: GatewayError): { error: { message: string; type: string; param: string | null; code: string | null } } {
  return {
    error: {
      message: error.message,
      type: TYPE_BY_CODE[error.code] ?? (error.status >= 500 ? 'server_error' : 'invalid_request_error'),
      param: error.param ?? null,
      code: error.code,
    },
  };
}
