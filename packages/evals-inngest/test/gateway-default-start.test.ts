import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
const SIGNING_KEY = 'signkey-test-0123456789abcdef0123456789abcdef';

/** Runs fixtures/start-gateway.ts in a Node of its own where the Inngest packages cannot be resolved (a child start takes seconds: tsx, PGlite). */
function startWithoutInngest(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', '--import', './block-inngest.mjs', './start-gateway.ts'], {
      cwd: FIXTURES,
      // Only what Node needs: no INNGEST_* of the machine running the tests.
      env: { PATH: process.env.PATH ?? '', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * The default start path must not load Inngest (its SDK and OpenTelemetry tree stay out of an
 * in-process gateway): a gateway started with @gantry/evals-inngest and inngest unresolvable
 * serves as usual, and only a start configured for Inngest tries to load them — and says what is missing.
 */
describe('gateway start without @gantry/evals-inngest', () => {
  it('starts and answers /healthz, never importing an Inngest package, when Inngest is not configured', async () => {
    const { code, stdout, stderr } = await startWithoutInngest({});
    expect({ code, stderr }).toEqual({ code: 0, stderr: '' });
    expect(stdout).toContain('healthz 200');
  }, 90_000);

  it('refuses to start, naming the missing package, when Inngest is configured', async () => {
    const { code, stdout, stderr } = await startWithoutInngest({ INNGEST_BASE_URL: 'http://127.0.0.1:9', INNGEST_EVENT_KEY: 'test-event-key', INNGEST_SIGNING_KEY: SIGNING_KEY });
    expect(code).not.toBe(0);
    expect(stdout).not.toContain('healthz');
    // (The hooks' own "blocked import" line is written from the loader thread and may be lost when
    // the process exits on the error; the gateway's message is what a user sees.)
    expect(stderr).toContain('@gantry/evals-inngest is not installed');
  }, 90_000);
});
