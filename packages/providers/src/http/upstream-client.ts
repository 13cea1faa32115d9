import { Readable } from 'node:stream';
import { errors as undiciErrors, type Dispatcher } from 'undici';
import { GatewayError, jsonLength, jsonTextChunks, keepJsonText, ProviderHttpError, ProviderUnreachableError } from '@gantry/spec';
import type { RawExchange } from '../provider.ts';
import type { SseResponse } from './read-sse-stream.ts';
import { createSecretScrubber, credentialSecrets, type SecretScrubber } from './scrub-secrets.ts';
import { createUpstreamPool, toProviderHttpError, toTransportError, type UpstreamPoolOptions } from './upstream-http.ts';

export interface UpstreamClientOptions {
  /** The provider's configured name, used in every error message. */
  name: string;
  /** Base URL up to and including the API version path; trailing slashes are dropped. */
  baseUrl: string;
  /**
   * Headers sent on every request (auth, version pins, configured extras) after `content-type: application/json`.
   * The values of those named like credentials are the client's secrets: scrubbed from all it hands back.
   */
  headers: Record<string, string>;
  /** Connection limit and timeouts; a `ProviderConfig` carries both. */
  pool?: UpstreamPoolOptions;
  /**
   * Turns a non-2xx response into the error to throw; `toProviderHttpError` when absent. The error
   * is scrubbed afterwards; passing `scrub` on to `readErrorResponse` also keeps a quoted slice of
   * the body from cutting a secret in half.
   */
  readError?: (name: string, response: Dispatcher.ResponseData, scrub: SecretScrubber) => Promise<GatewayError>;
}

/** Bodies of at least this many characters (by `jsonLength`'s estimate) are built as bytes over several turns of the loop (`jsonBodyBytes`). */
const CHUNKED_BODY_CHARS = 1024 * 1024;
/** Size of the buffers a large body is built in, a pause after each (as stored-body-size.ts's slices, and for the same reason). */
const BODY_BUFFER_BYTES = 256 * 1024;

/**
 * A large body's JSON text as UTF-8, in buffers of {@link BODY_BUFFER_BYTES}, written a chunk at a time
 * (`jsonTextChunks`) with other work let in after each buffer: 10 MB built in one go held the
 * event loop, and every other tenant's calls, for 50 ms. No string of the whole body is made.
 */
async function jsonBodyBytes(body: unknown): Promise<Buffer[]> {
  const buffers: Buffer[] = [];
  let buffer = Buffer.allocUnsafeSlow(BODY_BUFFER_BYTES);
  let used = 0;
  for (const chunk of jsonTextChunks(body)) {
    const bytes = Buffer.byteLength(chunk, 'utf8');
    if (used + bytes > buffer.length) {
      buffers.push(buffer.subarray(0, used));
      buffer = Buffer.allocUnsafeSlow(Math.max(BODY_BUFFER_BYTES, bytes));
      used = 0;
      await new Promise((resolve) => setImmediate(resolve));
    }
    used += buffer.write(chunk, used, 'utf8');
  }
  buffers.push(buffer.subarray(0, used));
  return buffers;
}

/**
 * JSON POSTs to one provider over one keep-alive pool. Paths are below the base URL, query string
 * included. The client's secrets (see `UpstreamClientOptions.headers`) echoed by the provider are
 * replaced by `[REDACTED]` in everything it returns or throws, except a body read from `post`.
 */
export interface UpstreamClient {
  /** POSTs `body` as JSON; resolves with a 2xx response whose body the caller must read (unscrubbed) or destroy. */
  post(path: string, body: unknown, signal: AbortSignal | undefined): Promise<Dispatcher.ResponseData>;
  /** POSTs `body` as JSON and reads the JSON answer, with the exchange as it happened (secrets scrubbed from both). */
  postJson(path: string, body: unknown, signal: AbortSignal | undefined): Promise<{ json: unknown; raw: RawExchange }>;
  /** POSTs `body` as JSON and hands over the 2xx SSE body with the exchange record it fills, for `readSseStream`. */
  postStream(path: string, body: unknown, signal: AbortSignal | undefined): Promise<SseResponse>;
  /** The full URL of a path, as recorded in `RawExchange.url`. */
  url(path: string): string;
  close(): Promise<void>;
}

/** A failure of the gateway itself on the way to a provider: a 500 that is not retryable and names no provider fault. */
function localFailure(name: string, what: string, cause: unknown): GatewayError {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new GatewayError('internal_error', 500, `internal error: the request for provider ${name} ${what} (${reason}); it never reached the provider, so this is no fault of the provider's`, false, {
    cause,
  });
}

/**
 * The JSON text of an upstream body: one string, or for a body of a megabyte or more its bytes,
 * built over several turns of the loop (`jsonBodyBytes`). A body that cannot be serialized (nested
 * past the stack, a BigInt, a cycle a middleware made) fails as a local failure. No exchange is
 * attached: the span would try to serialize the same body again.
 */
function serializeBody(name: string, body: unknown): string | Promise<Buffer[]> {
  const fail = (error: unknown): never => {
    throw localFailure(name, 'could not be serialized as JSON', error);
  };
  // The recorder sizes and hashes a large exchange's body from this text rather than building it again.
  try {
    if (jsonLength(body, CHUNKED_BODY_CHARS) < CHUNKED_BODY_CHARS) {
      const text = JSON.stringify(body);
      keepJsonText(body, text);
      return text;
    }
  } catch (error) {
    return fail(error);
  }
  return jsonBodyBytes(body).then((buffers) => {
    keepJsonText(body, buffers);
    return buffers;
  }, fail);
}

/** What undici is given for a body: a string as it is, a large body's buffers as a stream of known length. */
function requestBody(payload: string | Buffer[], headers: Record<string, string>): Pick<Dispatcher.RequestOptions<null>, 'headers' | 'body'> {
  if (typeof payload === 'string') return { headers, body: payload };
  const bytes = payload.reduce((sum, buffer) => sum + buffer.length, 0);
  return { headers: { ...headers, 'content-length': String(bytes) }, body: Readable.from(payload, { objectMode: false }) };
}

/**
 * The HTTP half every adapter shares: failures become GatewayErrors here (transport errors through
 * `toTransportError`, non-2xx answers through `readError`), so adapters only build paths and bodies.
 */
export function createUpstreamClient(options: UpstreamClientOptions): UpstreamClient {
  const name = options.name;
  const baseUrl = options.baseUrl.replace(/\/+$/, '');
  const base = new URL(baseUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  const pool = createUpstreamPool(base.origin, options.pool);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...options.headers };
  const readError = options.readError ?? toProviderHttpError;
  const scrub = createSecretScrubber(credentialSecrets(options.headers));

  /** A failure keeps the exchange that failed (a failed attempt's span shows what was sent and answered), scrubbed. */
  function failed(error: unknown, path: string, body: unknown, status?: number): unknown {
    if (error instanceof GatewayError) {
      error.exchange = { url: baseUrl + path, requestBody: body, ...(status === undefined ? {} : { status, responseBody: error instanceof ProviderHttpError ? error.body : undefined }) };
    }
    return scrub.error(error);
  }

  async function post(path: string, body: unknown, signal: AbortSignal | undefined): Promise<Dispatcher.ResponseData> {
    // Outside the try below: a body that cannot be serialized is the gateway's failure, and must not
    // count against the provider's breaker as "unreachable".
    const serialized = serializeBody(name, body);
    const payload = typeof serialized === 'string' ? serialized : await serialized;
    let response;
    try {
      response = await pool.request({ method: 'POST', path: basePath + path, ...requestBody(payload, headers), signal });
    } catch (error) {
      // undici refused to send the request at all (an invalid header value, say): nothing reached the provider.
      if (error instanceof undiciErrors.InvalidArgumentError && !signal?.aborted) throw localFailure(name, 'could not be sent', error);
      throw failed(toTransportError(name, error, signal), path, body);
    }
    if (response.statusCode < 200 || response.statusCode >= 300) throw failed(await readError(name, response, scrub), path, body, response.statusCode);
    return response;
  }

  return {
    post,
    async postJson(path, body, signal) {
      const response = await post(path, body, signal);
      let json: unknown;
      try {
        // Parsed through the scrubber: the decoders, and the span's responseBody, never see a secret.
        json = scrub.parseJson(await response.body.text());
      } catch (error) {
        // A SyntaxError: the provider answered, just not with JSON, so it is no transport failure.
        if (error instanceof SyntaxError && !signal?.aborted) {
          throw new ProviderUnreachableError(name, `provider ${name} returned a body that is not JSON`, { cause: error });
        }
        throw toTransportError(name, error, signal);
      }
      return { json, raw: { url: baseUrl + path, requestBody: body, status: response.statusCode, responseBody: json } };
    },
    async postStream(path, body, signal) {
      const response = await post(path, body, signal);
      const raw: RawExchange = { url: baseUrl + path, requestBody: body, status: response.statusCode, responseBody: '' };
      return { provider: name, body: response.body, raw, signal, scrub };
    },
    url: (path) => baseUrl + path,
    close: () => pool.close(),
  };
}
