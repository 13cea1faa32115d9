import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export interface AdminClientOptions {
  /** Gateway base URL; default from GANTRY_URL, else http://GANTRY_HOST:GANTRY_PORT. */
  url?: string;
  /** Master key; default GANTRY_MASTER_KEY, else the key `pnpm start` stored in the data folder. */
  masterKey?: string;
  env?: NodeJS.ProcessEnv;
}

export class CliError extends Error {}

/** Calls the admin API of a running gateway with the master key. */
export function createAdminClient(options: AdminClientOptions = {}) {
  const env = options.env ?? process.env;
  const url = (options.url ?? env.GANTRY_URL ?? `http://${env.GANTRY_HOST ?? '127.0.0.1'}:${env.GANTRY_PORT ?? '4000'}`).replace(/\/+$/, '');
  let masterKey = options.masterKey ?? env.GANTRY_MASTER_KEY;
  if (masterKey === undefined) {
    const path = join(resolve(env.GANTRY_DATA_DIR ?? '.gantry'), 'master-key');
    if (!existsSync(path)) throw new CliError(`no master key: set GANTRY_MASTER_KEY, or run from the folder where \`pnpm start\` created ${path}`);
    masterKey = readFileSync(path, 'utf8').trim();
  }

  return async function call(method: string, path: string, body?: unknown): Promise<unknown> {
    let response: Response;
    try {
      response = await fetch(url + path, {
        method,
        headers: { authorization: `Bearer ${masterKey}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
    } catch (error) {
      throw new CliError(`cannot reach the gateway at ${url} (${(error as Error).cause ?? (error as Error).message}); start it with \`pnpm start\` or set GANTRY_URL`);
    }
    const json = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
    if (!response.ok) throw new CliError(`${method} ${path} failed with HTTP ${response.status}: ${json?.error?.message ?? 'no details'}`);
    return json;
  };
}
