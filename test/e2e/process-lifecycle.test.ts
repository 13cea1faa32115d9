import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, getSpan } from '@gantry/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockProvider, type MockProvider } from '../mock-provider/index.ts';
import { children, listeningAddress, startGantry } from '../support/gantry-process.ts';

async function chat(address: string, key: string): Promise<Response> {
  return fetch(`${address}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'local/lifecycle-model', messages: [{ role: 'user', content: 'are you there?' }] }),
  });
}

function writeConfig(directory: string, baseUrl: string): void {
  writeFileSync(
    join(directory, 'gantry.yaml'),
    // No timed flush within the test: spans reach the database only through the SIGTERM path.
    `providers:\n  local:\n    type: openai-compatible\n    base_url: ${baseUrl}\nrecording:\n  flush_interval_ms: 3600000\n`,
  );
}

describe('the gateway process', () => {
  let mock: MockProvider;
  const directories: string[] = [];

  beforeAll(async () => {
    mock = await startMockProvider();
    mock.script('lifecycle-model', [{ text: 'still here' }]);
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await mock?.close();
    for (const directory of directories) rmSync(directory, { recursive: true, force: true });
  });

  function freshDirectory(): string {
    const directory = mkdtempSync(join(tmpdir(), 'gantry-process-'));
    directories.push(directory);
    return directory;
  }

  it('generates a master key on first start, records calls, flushes them on SIGTERM and keeps the key across restarts', async () => {
    const cwd = freshDirectory();
    writeConfig(cwd, `${mock.url}/v1`);

    const first = startGantry(cwd);
    const address = await listeningAddress(first);
    // The banner ends with the generated key and a curl example; wait for all of it.
    const banner = await new Promise<RegExpExecArray>((resolve, reject) => {
      const check = () => {
        const match = /Generated a master key \(stored in (.+?); shown once\):\s+(gk-master-\S+)[\s\S]*curl \S+\/v1\/chat\/completions[\s\S]*"Authorization: Bearer (\S+)"/.exec(first.stdout());
        if (match) resolve(match);
      };
      first.child.stdout!.on('data', check);
      void first.exited.then(() => reject(new Error(`exited before printing the key:\n${first.stdout()}`)));
      check();
    });
    const [, keyPath, masterKey, curlKey] = banner;
    expect(curlKey).toBe(masterKey);
    expect(keyPath).toBe(join(cwd, '.gantry', 'master-key'));
    expect(existsSync(keyPath!)).toBe(true);
    expect(readFileSync(keyPath!, 'utf8').trim()).toBe(masterKey);
    expect(first.stdout().split(masterKey!).length - 1).toBe(2); // the key line and the curl example, nothing else

    const response = await chat(address, masterKey!);
    expect(response.status).toBe(200);
    expect(((await response.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe('still here');
    const spanId = response.headers.get('x-gantry-span-id');
    expect(spanId).toEqual(expect.any(String));

    first.child.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    // The span reached the database on the way down.
    const database = await createDatabase({ dataDir: join(cwd, '.gantry') });
    try {
      expect(await getSpan(database.db, spanId!)).toMatchObject({ status: 'ok', model: 'local/lifecycle-model', provider: 'local' });
    } finally {
      await database.close();
    }

    const second = startGantry(cwd);
    const secondAddress = await listeningAddress(second);
    expect(second.stdout()).not.toContain('Generated a master key');
    expect(second.stdout()).not.toContain(masterKey);
    expect(readFileSync(keyPath!, 'utf8').trim()).toBe(masterKey);
    expect((await chat(secondAddress, masterKey!)).status).toBe(200);
    expect((await chat(secondAddress, 'gk-master-not-the-key')).status).toBe(401);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    expect(second.stdout()).not.toContain('Generated a master key');
  }, 120_000);

  it('exits non-zero naming providers.<name>.base_url when the base URL is invalid', async () => {
    const cwd = freshDirectory();
    writeConfig(cwd, 'localhost:8000/v1');
    const gantry = startGantry(cwd);
    const code = await gantry.exited;
    expect(code).not.toBe(0);
    expect(code).not.toBeNull();
    expect(gantry.stderr()).toContain('providers.local.base_url');
    expect(gantry.stdout()).not.toContain('Gantry listening');
    // Nothing was created for a config that never loaded.
    expect(existsSync(join(cwd, '.gantry'))).toBe(false);
  }, 60_000);
});
