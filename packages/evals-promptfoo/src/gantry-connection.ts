import { nonEmpty } from './provider-options.ts';

/** Where Gantry listens and the key the eval calls it with. */
export interface GantryConnection {
  /** Base URL without `/v1`, e.g. `http://127.0.0.1:4000`. */
  url: string;
  /** A virtual key (or the master key): replayed and grading calls are budgeted against it. */
  apiKey: string;
}

/** The HTTP status of a failed Gantry call, when Gantry answered. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof GantryCallError ? error.status : undefined;
}

/** Settings promptfoo passes to a provider built from a suite file (`providers[].config`). */
export interface ConnectionConfig {
  gatewayUrl?: string;
  apiKey?: string;
}

const DEFAULT_URL = 'http://127.0.0.1:4000';

/** A call to Gantry that failed: the HTTP status (when it answered) and its error message. */
export class GantryCallError extends Error {
  readonly status: number | undefined;

  constructor(message: string, status?: number) {
    super(message);
    this.name = 'GantryCallError';
    this.status = status;
  }
}

/**
 * The connection of a provider built by promptfoo from a suite file: its config first, then
 * GANTRY_URL (or GANTRY_HOST/GANTRY_PORT, as the CLI reads them) and GANTRY_API_KEY, falling back
 * to GANTRY_MASTER_KEY. Throws when no key is found, saying where to put one.
 */
export function connectionFrom(config: ConnectionConfig, env: NodeJS.ProcessEnv = process.env): GantryConnection {
  const hostUrl = env.GANTRY_HOST === undefined && env.GANTRY_PORT === undefined ? undefined : `http://${env.GANTRY_HOST ?? '127.0.0.1'}:${env.GANTRY_PORT ?? '4000'}`;
  const url = config.gatewayUrl ?? env.GANTRY_URL ?? hostUrl ?? DEFAULT_URL;
  const apiKey = nonEmpty(config.apiKey) ?? nonEmpty(env.GANTRY_API_KEY) ?? nonEmpty(env.GANTRY_MASTER_KEY);
  if (apiKey === undefined) {
    throw new GantryCallError('no Gantry key: set GANTRY_API_KEY (a virtual key) or GANTRY_MASTER_KEY, or give `apiKey` in the provider config');
  }
  return { url: url.replace(/\/+$/, ''), apiKey };
}

/** A response of Gantry's /v1 API, read as text; `json()` parses it. */
export interface GantryResponse {
  status: number;
  headers: Headers;
  text: string;
}

/**
 * One HTTP exchange with Gantry. A connection failure or a non-2xx answer throws a
 * {@link GantryCallError} carrying Gantry's own error message (OpenAI error shape).
 */
export async function callGantry(
  connection: GantryConnection,
  path: string,
  init: { method?: string; body?: unknown; headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<GantryResponse> {
  const method = init.method ?? (init.body === undefined ? 'GET' : 'POST');
  let response: Response;
  try {
    response = await fetch(connection.url + path, {
      method,
      headers: {
        authorization: `Bearer ${connection.apiKey}`,
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        ...init.headers,
      },
      ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
      ...(init.signal === undefined ? {} : { signal: init.signal }),
    });
  } catch (error) {
    const reason = (error as Error).cause ?? (error as Error).message;
    throw new GantryCallError(`cannot reach Gantry at ${connection.url} (${String(reason)}); start it with \`pnpm start\` or set GANTRY_URL`);
  }
  const text = await response.text();
  if (!response.ok) {
    throw new GantryCallError(`${method} ${path} failed with HTTP ${response.status}: ${errorMessageOf(text)}`, response.status);
  }
  return { status: response.status, headers: response.headers, text };
}

/** The `error.message` of an OpenAI-shaped error body, else the body's start. */
function errorMessageOf(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: { message?: unknown } };
    if (typeof body.error?.message === 'string') return body.error.message;
  } catch {
    // Not JSON: the text itself says more than nothing.
  }
  return text.trim() === '' ? 'no details' : text.slice(0, 200);
}

/** Parses a response body as JSON; a body that is not JSON is a {@link GantryCallError}. */
export function jsonOf(response: GantryResponse, what: string): unknown {
  try {
    return JSON.parse(response.text);
  } catch {
    throw new GantryCallError(`Gantry answered ${what} with a body that is not JSON: ${response.text.slice(0, 120)}`);
  }
}
