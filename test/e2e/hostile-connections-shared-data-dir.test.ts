import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { children, listeningAddress, startGantry } from '../support/gantry-process.ts';

describe('two gateways on one PGlite data folder', () => {
  const directories: string[] = [];
  afterAll(() => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  it('the second refuses to start, naming the folder and the first one’s pid, and the first keeps serving', async () => {
    const cwd = mkdtempSync(join(tmpdir(), 'gantry-shared-'));
    directories.push(cwd);
    writeFileSync(join(cwd, 'gantry.yaml'), 'providers:\n  local:\n    type: openai-compatible\n    base_url: http://127.0.0.1:9/v1\n');
    const env = { GANTRY_MASTER_KEY: 'gk-master-shared-0123456789' };

    const first = startGantry(cwd, env);
    const address = await listeningAddress(first);
    const second = startGantry(cwd, env);
    const code = await second.exited;

    expect(code).not.toBe(0);
    expect(second.stdout()).not.toContain('Gantry listening');
    expect(second.stderr()).toContain(`the data folder ${join(cwd, '.gantry')} is in use by another Gantry (pid ${first.child.pid}`);
    expect((await fetch(`${address}/readyz`)).status).toBe(200);

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);
  });
});
