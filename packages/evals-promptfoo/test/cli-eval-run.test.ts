import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startResearchStack, type ResearchStack } from './research-stack.ts';

/**
 * `gantry eval run` as CI runs it: the real CLI in a process of its own, the example suite, a
 * gateway on the mock provider with a recorded research-agent run; its exit codes and reports.
 */

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const SUITE = 'evals/research-agent.yaml';
const STEPS = 6;
/** Each CLI run is a process of its own that loads the CLI and promptfoo: seconds, not milliseconds. */
const CLI_TIMEOUT = 60_000;

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

describe('gantry eval run', () => {
  let research: ResearchStack;
  let scratch: string;

  /** Runs the CLI from the repository root, as `pnpm gantry` does. */
  function gantry(args: string[]): Promise<CliResult> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', 'apps/gateway/src/cli.ts', '--url', research.stack.url, ...args], {
        cwd: ROOT,
        env: { PATH: process.env.PATH, HOME: scratch, GANTRY_API_KEY: research.apiKey, PROMPTFOO_CONFIG_DIR: path.join(scratch, 'promptfoo') },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
      child.once('error', reject);
      child.once('close', (code) => resolve({ code, stdout, stderr }));
    });
  }

  const run = (candidate: string, ...extra: string[]) =>
    gantry(['eval', 'run', '--suite', SUITE, '--dataset', research.dataset, '--candidate', candidate, '--grader', research.models.grader, '--embedder', research.models.embedder, ...extra]);

  beforeAll(async () => {
    scratch = mkdtempSync(path.join(tmpdir(), 'gantry-eval-run-'));
    research = await startResearchStack(1);
  });
  afterAll(async () => {
    await research?.close();
    rmSync(scratch, { recursive: true, force: true });
  });

  it('exits 0 when every test passes, with the JSON report on stdout', async () => {
    const result = await run(research.models.agree, '--format', 'json');
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as { total: number; passed: number; exitCode: number; blockedConnections: string[] };
    expect(report).toMatchObject({ total: STEPS, passed: STEPS, exitCode: 0 });
    // promptfoo's one call home was refused: nothing else was tried.
    expect(report.blockedConnections.every((where) => where === 'r.promptfoo.app:443')).toBe(true);
    expect(result.stderr).toContain(`gantry eval run: ${STEPS}/${STEPS} tests done`);
  }, CLI_TIMEOUT);

  it('exits 1 when an assertion fails, naming the failing steps and assertions; --out gets the JSON', async () => {
    const out = path.join(scratch, 'report.json');
    const result = await run(research.models.differ, '--format', 'json', '--out', out);
    expect(result.code, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/^FAIL research: item \S+ step 4 \(span \S+\)$/m);
    expect(result.stdout).toMatch(/^ {2}- javascript toolChoiceMatches: step 4 .*tool choice: recorded \[read_notes\], candidate \[web_search\]/m);
    expect(result.stdout).toMatch(/^FAIL research: item \S+ step 5 \(span \S+\)$/m);
    expect(result.stdout).toMatch(/^ {2}- llm-rubric /m);
    expect(result.stdout).toContain('FAIL (exit 1): 2 of 6 tests failed an assertion');
    expect(JSON.parse(readFileSync(out, 'utf8'))).toMatchObject({ failed: 2, exitCode: 1 });
  }, CLI_TIMEOUT);

  it('exits 3 when the candidate cannot answer', async () => {
    const result = await run(research.models.broken);
    expect(result.code, result.stderr).toBe(3);
    expect(result.stdout).toContain(`INCOMPLETE (exit 3): ${STEPS} of ${STEPS} tests got no answer`);
  }, CLI_TIMEOUT);

  it('exits 2 for an unknown dataset, a missing suite and missing flags', async () => {
    const unknown = await gantry(['eval', 'run', '--suite', SUITE, '--dataset', 'nope', '--candidate', research.models.agree, '--grader', research.models.grader, '--embedder', research.models.embedder]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/datasets\/nope\/export failed with HTTP 404/);
    const missing = await gantry(['eval', 'run', '--suite', 'evals/none.yaml', '--dataset', research.dataset, '--candidate', research.models.agree]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/cannot read the suite evals\/none.yaml: ENOENT/);
    const flags = await gantry(['eval', 'run', '--suite', SUITE]);
    expect(flags.code).toBe(2);
    expect(flags.stderr).toMatch(/required option '--dataset <name>' not specified/);
  }, CLI_TIMEOUT);
});
