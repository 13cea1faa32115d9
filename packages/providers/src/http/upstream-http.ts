import { errors as undiciErrors, Pool, type Dispatcher } from 'undici';
import { ProviderHttpError, ProviderTimeoutError, ProviderUnreachableError, type GatewayError } from '@gantry/spec';
import type { SecretScrubber } from './scrub-secrets.ts';

export interface UpstreamPoolOptions {
  /** Maximum keep-alive connections to the origin; 256 when absent. */
  maxConnections?: number;
  /** Milliseconds to wait for response headers, and between body chunks; 600 000 when absent. */
  timeoutMs?: number;
}

/** A keep-alive connection pool to one provider origin. */
export function createUpstreamPool(origin: string, options: UpstreamPoolOptions = {}): Pool {
  const timeout = options.timeoutMs ?? 600_000;
  return new Pool(origin, {
    connections: options.maxConnections ?? 256,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    headersTimeout: timeout,
    bodyTimeout: timeout,
  });
}

/** Headers a client should see when a provider refuses with 429. */
const FORWARDED_ERROR_HEADERS = ['retry-after', 'retry-after-ms'];

/** A non-2xx response, read whole, with the secrets of `scrub` (when given) replaced in each part. */
export interface ErrorResponse {
  text: string;
  /** The body parsed as JSON; the text when it is not JSON (a proxy's HTML page, say). */
  body: unknown;
  /** The forwarded headers the response carried. */
  headers: Record<string, string>;
}

/**
 * Reads a non-2xx response's body and the headers named in `forwardedHeaders`. With `scrub`, the
 * text is scrubbed before anything is taken from it, so a message quoting its start cannot cut a
 * secret in half.
 */
export async function readErrorResponse(
  response: Dispatcher.ResponseData,
  forwardedHeaders: readonly string[] = FORWARDED_ERROR_HEADERS,
  scrub?: SecretScrubber,
): Promise<ErrorResponse> {
  const received = await response.body.text().catch(() => '');
  const text = scrub === undefined ? received : scrub.text(received);
  let body: unknown = text;
  try {
    body = scrub === undefined ? JSON.parse(received) : scrub.parseJson(received);
  } catch {
    // Not JSON: keep the text.
  }
  const headers: Record<string, string> = {};
  for (const name of forwardedHeaders) {
    const value = response.headers[name];
    if (typeof value === 'string') headers[name] = scrub === undefined ? value : scrub.text(value);
  }
  return { text, body, headers };
}

function errorMessageOf(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const error = (body as { error?: unknown }).error;
  if (typeof error === 'string') return error;
  if (typeof error === 'object' && error !== null) {
    const message = (error as { message?: unknown }).message;
    if (typeof message === 'string') return message;
  }
  const message = (body as { message?: unknown }).message;
  return typeof message === 'string' ? message : undefined;
}

/** Reads a non-2xx response into a ProviderHttpError that names the provider, with the secrets of `scrub` replaced. */
export async function toProviderHttpError(provider: string, response: Dispatcher.ResponseData, scrub?: SecretScrubber): Promise<ProviderHttpError> {
  const { text, body, headers } = await readErrorResponse(response, FORWARDED_ERROR_HEADERS, scrub);
  const detail = errorMessageOf(body) ?? (text.slice(0, 300) || 'no body');
  return new ProviderHttpError(provider, response.statusCode, `provider ${provider} returned HTTP ${response.statusCode}: ${detail}`, body, { headers });
}

/** Classifies a transport failure. Aborts by our own signal are rethrown unchanged. */
export function toTransportError(provider: string, error: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted) return error;
  if (error instanceof undiciErrors.HeadersTimeoutError || error instanceof undiciErrors.BodyTimeoutError) {
    return new ProviderTimeoutError(provider, `provider ${provider} timed out: ${error.message}`, { cause: error });
  }
  if (error instanceof Error && 'retryable' in error) return error as GatewayError;
  const message = error instanceof Error ? error.message : String(error);
  return new ProviderUnreachableError(provider, `provider ${provider} is unreachable: ${message}`, { cause: error });
}
