import { mkdirSync } from 'node:fs';
import path from 'node:path';

/**
 * promptfoo's switches for everything that would leave this machine: usage telemetry, the
 * update check, result sharing, and remote test generation and grading. They are forced on
 * (set to `1`) whatever the environment said, before promptfoo is imported and again in each
 * suite's `env` (which promptfoo reads first).
 */
export const PROMPTFOO_SWITCHES = {
  PROMPTFOO_DISABLE_TELEMETRY: '1',
  PROMPTFOO_DISABLE_UPDATE: '1',
  PROMPTFOO_DISABLE_SHARING: '1',
  PROMPTFOO_DISABLE_REMOTE_GENERATION: '1',
  PROMPTFOO_DISABLE_REDTEAM_REMOTE_GENERATION: '1',
} as const;

/** The promptfoo module, as `import('promptfoo')` gives it. */
export type PromptfooModule = typeof import('promptfoo');

/**
 * Sets the switches in `env`, and PROMPTFOO_CONFIG_DIR (where promptfoo keeps its SQLite
 * database, cache and logs) to `configDir` unless it is set already; promptfoo's own log lines go
 * to stderr, so a report on stdout stays clean. Returns the config folder used.
 */
export function applyPromptfooEnv(env: NodeJS.ProcessEnv, configDir: string): string {
  Object.assign(env, PROMPTFOO_SWITCHES);
  env.PROMPTFOO_CONFIG_DIR ??= configDir;
  env.PROMPTFOO_LOG_TO_STDERR ??= 'true';
  return env.PROMPTFOO_CONFIG_DIR;
}

/** The default config folder: `promptfoo/` in Gantry's data folder (GANTRY_DATA_DIR or `.gantry`). */
export function defaultPromptfooConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(path.resolve(env.GANTRY_DATA_DIR ?? '.gantry'), 'promptfoo');
}

/**
 * Imports promptfoo with its switches set first (its logger and settings read the environment
 * when loaded). Only the eval commands call this: promptfoo never loads with the gateway.
 */
export async function loadPromptfoo(configDir = defaultPromptfooConfigDir()): Promise<PromptfooModule> {
  const folder = applyPromptfooEnv(process.env, configDir);
  mkdirSync(folder, { recursive: true });
  return import('promptfoo');
}
