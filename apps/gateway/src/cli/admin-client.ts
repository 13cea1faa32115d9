import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface AdminClientOptions {
  /** Gateway base URL; default from GANTRY_URL, else http://GANTRY_HOST:GANTRY_PORT. */
  url?: string;
  /** Master key; default GANTRY_MASTER_KEY, else the key `pnpm start` stored in the data folder. */
  masterKey?: string;
  env?: NodeJS.ProcessEnv;
}

/** Why a CLI call failed, for commands that map failures to exit codes. */
export interface CliErrorDetails {
  /** The HTTP status the gateway answered with, when it answered. */
  status?: number;
  /** True when the gateway could not be reached (refused, reset, timed out). */
  unreachable?: boolean;
}

/** A failure the CLI reports as one line, without a stack trace. */
export class CliError extends Error {
  readonly status: number | undefined;
  readonly unreachable: boolean;

  constructor(message: string, details: CliErrorDetails = {}) {
    super(message);
    this.status = details.status;
    this.unreachable = details.unreachable ?? false;
  }
}

function gatewayUrl(options: { url?: string }, env: NodeJS.ProcessEnv): string {
  return (options.url ?? env.GANTRY_URL ?? `http://${env.GANTRY_HOST ?? '127.0.0.1'}:${env.GANTRY_PORT ?? '4000'}`).replace(/\/+$/, '');
}

function masterKeyOf(options: AdminClientOptions, env: NodeJS.ProcessEnv): string {
  const masterKey = options.masterKey ?? env.GANTRY_MASTER_KEY;
  if (masterKey !== undefined) return masterKey;
  const path = join(resolve(env.GANTRY_DATA_DIR ?? '.gantry'), 'master-key');
  if (!existsSync(path)) throw new CliError(`no master key: set GANTRY_MASTER_KEY, or run from the folder where \`pnpm start\` created ${path}`);
  return readFileSync(path, 'utf8').trim();
}

interface SendInit {
  body?: string;
  contentType?: string;
  signal?: AbortSignal;
}

/** One HTTP exchange with the gateway; connection failures and error statuses become CliErrors. */
async function send(url: string, token: string, method: string, path: string, init: SendInit): Promise<Response> {
  let response: Response;
  try {
    response = await fetch(url + path, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(init.contentType === undefined ? {} : { 'content-type': init.contentType }) },
      ...(init.body === undefined ? {} : { body: init.body }),
      ...(init.signal === undefined ? {} : { signal: init.signal }),
    });
  } catch (error) {
    const reason = init.signal?.aborted === true ? 'no answer in time' : String((error as Error).cause ?? (error as Error).message);
    throw new CliError(`cannot reach the gateway at ${url} (${reason}); start it with \`pnpm start\` or set GANTRY_URL`, { unreachable: true });
  }
  if (!response.ok) {
    const json = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    throw new CliError(`${method} ${path} failed with HTTP ${response.status}: ${json?.error?.message ?? 'no details'}`, { status: response.status });
  }
  return response;
}

/** Calls the admin API of a running gateway with the master key. */
export function createAdminClient(options: AdminClientOptions = {}) {
  const env = options.env ?? process.env;
  const url = gatewayUrl(options, env);
  const masterKey = masterKeyOf(options, env);

  return async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await send(url, masterKey, method, path, body === undefined ? {} : { body: JSON.stringify(body), contentType: 'application/json' });
    return response.json().catch(() => null);
  };
}

export interface GatewayClientOptions extends AdminClientOptions {
  /** A virtual key to act as; default GANTRY_API_KEY; without either, the master key. */
  apiKey?: string;
  /** Longest wait for one JSON call, in milliseconds (default 60 s); downloads have none. */
  requestTimeoutMs?: number;
}

/** The gateway's /v1 API as the dataset, replay and eval commands use it. */
export interface GatewayClient {
  /** The base URL calls go to. */
  readonly url: string;
  /** Sends `body` as JSON (when given) and returns the parsed JSON answer. */
  call(method: string, path: string, body?: unknown, signal?: AbortSignal): Promise<unknown>;
  /** Sends a text body of the given content type and returns the parsed JSON answer. */
  sendText(method: string, path: string, text: string, contentType: string): Promise<unknown>;
  /** A GET whose answer is streamed (an export): the body, once the status said it succeeded. */
  download(path: string): Promise<ReadableStream<Uint8Array>>;
}

/** Makes a {@link GatewayClient}; commands take one so tests can hand them a fake gateway. */
export type ConnectGateway = (options: GatewayClientOptions) => GatewayClient;

/**
 * A client of the /v1 API acting as a virtual key (`--api-key` or GANTRY_API_KEY) or, without
 * one, as the master key: replays are budgeted against the key that starts them, so a CI job
 * passes its team's key. The master key is only looked up when no virtual key is given.
 */
export const createGatewayClient: ConnectGateway = (options) => {
  const env = options.env ?? process.env;
  const url = gatewayUrl(options, env);
  const apiKey = options.apiKey ?? (env.GANTRY_API_KEY === '' ? undefined : env.GANTRY_API_KEY);
  const token = apiKey ?? masterKeyOf(options, env);
  const timeoutMs = options.requestTimeoutMs ?? 60_000;
  const deadline = (signal: AbortSignal | undefined) => (signal === undefined ? AbortSignal.timeout(timeoutMs) : AbortSignal.any([signal, AbortSignal.timeout(timeoutMs)]));
  const parsed = async (response: Response) => response.json().catch(() => null) as Promise<unknown>;

  return {
    url,
    async call(method, path, body, signal) {
      const init = body === undefined ? {} : { body: JSON.stringify(body), contentType: 'application/json' };
      return parsed(await send(url, token, method, path, { ...init, signal: deadline(signal) }));
    },
    async sendText(method, path, text, contentType) {
      return parsed(await send(url, token, method, path, { body: text, contentType }));
    },
    async download(path) {
      const response = await send(url, token, 'GET', path, {});
      if (response.body === null) throw new CliError(`GET ${path} answered with no body`);
      return response.body;
    },
  };
};
