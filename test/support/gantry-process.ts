import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** What `pnpm start` runs (built by vitest's global setup), resolved from this file so that any checkout location and any cwd work. */
export const MAIN = fileURLToPath(new URL('../../apps/gateway/dist/main.mjs', import.meta.url));
/** `pnpm start` itself: builds dist/ (unchanged files are not rewritten), then runs it. */
export const START = fileURLToPath(new URL('../../apps/gateway/scripts/start.mjs', import.meta.url));
// The CLI runs from source: `--import tsx` resolves tsx from the cwd, a temp dir here, so pass tsx's loader by absolute URL.
export const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

export interface Gantry {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<number | null>;
}

/** What the machine's environment must not decide for a test's gateway. */
const OUTSIDE_SETTINGS = new Set(['DATABASE_URL', 'OPENAI_API_KEY', 'ANTHROPIC_API_KEY', 'GEMINI_API_KEY', 'MOCK_PORT', 'NODE_OPTIONS']);

/** Every process started, for `afterAll` to kill what is still running. */
export const children: ChildProcess[] = [];

/** Starts the gateway (`entry`: MAIN or START) as a process in `cwd`, without GANTRY_MASTER_KEY, DATABASE_URL or a provider key (unless `extraEnv` sets them). */
export function startGantry(cwd: string, extraEnv: NodeJS.ProcessEnv = {}, entry = MAIN): Gantry {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith('GANTRY_') && !OUTSIDE_SETTINGS.has(name)) env[name] = value;
  }
  env.GANTRY_PORT = '0';
  env.GANTRY_LOG_LEVEL = 'warn';
  Object.assign(env, extraEnv);
  const child = spawn(process.execPath, [entry], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr!.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

/** Resolves with the listening address printed on stdout; rejects if the process exits first. */
export async function listeningAddress(gantry: Gantry): Promise<string> {
  const found = await new Promise<string | undefined>((resolve) => {
    const check = () => {
      const match = /Gantry listening on (http:\/\/\S+)/.exec(gantry.stdout());
      if (match) {
        gantry.child.stdout!.off('data', check);
        resolve(match[1]);
      }
    };
    gantry.child.stdout!.on('data', check);
    void gantry.exited.then(() => resolve(undefined));
    check();
  });
  if (found === undefined) throw new Error(`gantry exited before listening:\n${gantry.stdout()}\n${gantry.stderr()}`);
  return found;
}


/** The `gantry` CLI's entry point, run as `pnpm gantry` runs it. */
const CLI = fileURLToPath(new URL('../../apps/gateway/src/cli.ts', import.meta.url));

/** What a finished `gantry` command printed and its exit code. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `gantry` CLI in `cwd` with only `env` (and PATH) in its environment; pipes, so no TTY. */
export function runGantryCli(args: readonly string[], options: { cwd: string; env: Record<string, string> }): Promise<CliRun> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', TSX_LOADER, CLI, ...args], { cwd: options.cwd, env: { PATH: process.env.PATH ?? '', ...options.env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}
