import { ProviderHttpError } from '@gantry/spec';
import { geminiErrorSchema } from './gemini-wire-schemas.ts';

/**
 * google.rpc.Code names → HTTP status, for errors that arrive without a trustworthy HTTP status
 * (inside a 200 stream) and to normalise the rest.
 * @see https://ai.google.dev/gemini-api/docs/troubleshooting#error-codes
 */
const STATUS_BY_NAME: Record<string, number> = {
  INVALID_ARGUMENT: 400,
  FAILED_PRECONDITION: 400,
  OUT_OF_RANGE: 400,
  UNAUTHENTICATED: 401,
  PERMISSION_DENIED: 403,
  NOT_FOUND: 404,
  ABORTED: 409,
  ALREADY_EXISTS: 409,
  RESOURCE_EXHAUSTED: 429,
  CANCELLED: 499,
  INTERNAL: 500,
  UNKNOWN: 500,
  DATA_LOSS: 500,
  UNIMPLEMENTED: 501,
  UNAVAILABLE: 503,
  DEADLINE_EXCEEDED: 504,
};

/** `"37s"` / `"1.5s"` (google.protobuf.Duration JSON) → whole seconds, rounded up. */
function durationSeconds(duration: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)s$/.exec(duration);
  return match?.[1] === undefined ? undefined : Math.ceil(Number(match[1]));
}

/**
 * A Gemini error body (`{error: {code, message, status, details}}`) → ProviderHttpError. The
 * status name decides the upstream status when it is known (RESOURCE_EXHAUSTED → 429, retryable;
 * UNAVAILABLE → 503; INTERNAL → 500; …), then `error.code`, then the HTTP status. A RetryInfo
 * detail becomes a `retry-after` header unless the response already had one.
 * @see https://ai.google.dev/gemini-api/docs/troubleshooting#error-codes
 */
export function decodeGeminiError(
  httpStatus: number,
  body: unknown,
  provider = 'gemini',
  headers: Record<string, string> = {},
): ProviderHttpError {
  const parsed = geminiErrorSchema.safeParse(body);
  const error = parsed.success ? parsed.data.error : undefined;
  const named = error?.status === undefined ? undefined : STATUS_BY_NAME[error.status];
  const code = error?.code !== undefined && error.code >= 400 && error.code <= 599 ? error.code : undefined;
  const status = named ?? code ?? (httpStatus >= 400 ? httpStatus : 500);

  const errorHeaders = { ...headers };
  const retryDelay = error?.details?.find((detail) => detail['@type']?.endsWith('google.rpc.RetryInfo'))?.retryDelay;
  const seconds = retryDelay === undefined ? undefined : durationSeconds(retryDelay);
  if (seconds !== undefined && errorHeaders['retry-after'] === undefined) errorHeaders['retry-after'] = String(seconds);

  const detail = error?.message ?? (typeof body === 'string' && body !== '' ? body.slice(0, 300) : 'no error message');
  const name = error?.status === undefined ? '' : ` ${error.status}`;
  const where = httpStatus >= 400 ? `HTTP ${httpStatus}${name}` : `an error mid-stream (${status}${name})`;
  return new ProviderHttpError(provider, status, `provider ${provider} returned ${where}: ${detail}`, body, { headers: errorHeaders });
}
