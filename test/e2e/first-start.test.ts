import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockProvider, type MockProvider } from '../mock-provider/index.ts';
import { children, listeningAddress, START, startGantry, TSX_LOADER, type Gantry } from '../support/gantry-process.ts';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/**
 * A newcomer's first minutes, as the README tells them: `pnpm start` with nothing configured,
 * `pnpm mock`, the printed curl, the agent example, and `gantry runs` to see what it did.
 */
describe('a first start with no provider configured', () => {
  let mock: MockProvider;
  let gantry: Gantry;
  let address: string;
  let cwd: string;

  beforeAll(async () => {
    mock = await startMockProvider();
    cwd = mkdtempSync(join(tmpdir(), 'gantry-first-start-'));
    gantry = startGantry(cwd, { MOCK_PORT: String(mock.port) }, START);
    address = await listeningAddress(gantry);
    // The banner is printed in one write; wait for its last line.
    for (let waited = 0; !gantry.stdout().includes('examples/gantry.yaml') && waited < 10_000; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await mock?.close();
    rmSync(cwd, { recursive: true, force: true });
  });

  it('says no provider is configured, how to start the mock and how to add a real provider', () => {
    const banner = gantry.stdout();
    expect(banner).toMatch(/providers: mock \(openai-compatible, http:\/\/127\.0\.0\.1:\d+\/v1\)/);
    expect(banner).toContain('No provider is configured');
    expect(banner).toContain('pnpm mock');
    expect(banner).toContain('OPENAI_API_KEY');
    expect(banner).toMatch(/ready in \d+\.\d s/);
  });

  it('prints a curl that works exactly as printed once the mock runs', async () => {
    const curl = /(curl \S+\/v1\/chat\/completions[\s\S]*?\}\]\}')/.exec(gantry.stdout())?.[1];
    expect(curl).toBeDefined();
    const { stdout } = await run('bash', ['-c', curl!], { cwd });
    expect(JSON.parse(stdout)).toMatchObject({ object: 'chat.completion', choices: [{ message: { role: 'assistant', content: 'Hello from the mock provider.' } }] });
  });

  it('runs the README’s agent example, and `gantry runs` shows the run it made', async () => {
    const key = /Generated a master key[^\n]*\n\s*\n\s*(gk-master-\S+)/.exec(gantry.stdout())?.[1];
    expect(key).toBeDefined();
    const env = { ...process.env, GANTRY_URL: address, GANTRY_KEY: key, GANTRY_MASTER_KEY: key };
    const example = await run(process.execPath, [join(ROOT, 'examples/agent-loop.mjs')], { cwd: ROOT, env });
    expect(example.stdout).toContain('The tool answered: {"city":"Berlin","celsius":21}');
    const runId = /gantry runs show (\S+)/.exec(example.stdout)?.[1];
    expect(runId).toMatch(/^weather-/);

    const cli = (...args: string[]) => run(process.execPath, ['--import', TSX_LOADER, join(ROOT, 'apps/gateway/src/cli.ts'), ...args], { cwd: ROOT, env });
    // Recording is batched: the run's rows are written within the flush interval.
    let tree = '';
    for (let tries = 0; tries < 20 && !tree.includes('tool'); tries++) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      tree = (await cli('runs', 'show', runId!)).stdout;
    }
    expect(tree).toMatch(new RegExp(`^run ${runId} "weather agent"  succeeded  .*\\(2 calls, 1 tool call, `));
    expect(tree).toMatch(/llm +chat +mock\/agent +\d+ ms +\d+→\d+ tok +\$0\.0000\d\d/);
    expect(tree).toMatch(/attempt +mock\/agent/);
    expect(tree).toMatch(/tool +get_weather +call_\S+ +\d+ ms/);

    const list = await cli('runs', 'list', '--name', 'weather agent', '--json');
    expect((JSON.parse(list.stdout) as { data: { id: string }[] }).data.map((each) => each.id)).toContain(runId);
    const table = await cli('runs', 'list', '--since', '1h');
    expect(table.stdout).toContain(runId);
  });

  it('gates two candidates on recorded weather runs, as the README shows', async () => {
    const key = /Generated a master key[^\n]*\n\s*\n\s*(gk-master-\S+)/.exec(gantry.stdout())?.[1];
    const env = { ...process.env, GANTRY_URL: address, GANTRY_KEY: key, GANTRY_MASTER_KEY: key };
    for (let runs = 0; runs < 2; runs++) await run(process.execPath, [join(ROOT, 'examples/agent-loop.mjs')], { cwd: ROOT, env });
    const cli = (...args: string[]) => run(process.execPath, ['--import', TSX_LOADER, join(ROOT, 'apps/gateway/src/cli.ts'), ...args], { cwd: ROOT, env }).then(
      ({ stdout }) => ({ code: 0, stdout }),
      (error: { code: number; stdout: string }) => ({ code: error.code, stdout: error.stdout }),
    );
    const created = await cli('dataset', 'create', '--name', 'weather', '--run-name', 'weather agent');
    expect(created.stdout).toMatch(/Created dataset weather \(ds_\S+\) with 3 items/);
    const agrees = await cli('eval', 'gate', '--dataset', 'weather', '--candidate', 'mock/agent-mini');
    expect(agrees.code, agrees.stdout).toBe(0);
    expect(agrees.stdout).toMatch(/^PASS$/m);
    const answersWithoutTheTool = await cli('eval', 'gate', '--dataset', 'weather', '--candidate', 'mock/gpt-4o-mini');
    expect(answersWithoutTheTool.code).toBe(1);
    expect(answersWithoutTheTool.stdout).toMatch(/step 0 \(run \S+\): tool choice: recorded \[get_weather\], candidate no tool \(text\)/);
  });
});
