import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type Database } from '@gantry/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMockProvider, type MockProvider } from '../mock-provider/index.ts';
import { adminCall, chatCall, counterTotals, messagesCall, settledLedger } from '../support/budget-helpers.ts';
import { MAIN } from '../support/gantry-process.ts';
import { MASTER_KEY } from '../support/start-stack.ts';

const DATABASE_URL = process.env.DATABASE_URL;
const MODEL = 'local/two-instance-model';
/** 8 prompt tokens × $1/M + 3 output tokens × $2/M, reserved and settled per call. */
const CALL_MICROS = 14;
const LIMIT_MICROS = 50 * CALL_MICROS;

/** Starts `pnpm start` as a process on the shared Postgres; resolves with its URL. */
async function startInstance(cwd: string, children: ChildProcess[]): Promise<string> {
  const env: NodeJS.ProcessEnv = { ...process.env, DATABASE_URL, GANTRY_MASTER_KEY: MASTER_KEY, GANTRY_PORT: '0', GANTRY_LOG_LEVEL: 'warn', GANTRY_CONFIG: join(cwd, 'gantry.yaml') };
  delete env.NODE_OPTIONS;
  const child = spawn(process.execPath, [MAIN], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let output = '';
  return new Promise((resolve, reject) => {
    const check = (text: string) => {
      output += text;
      const match = /Gantry listening on (http:\/\/\S+)/.exec(output);
      if (match) resolve(match[1]!);
    };
    child.stdout!.setEncoding('utf8').on('data', check);
    child.stderr!.setEncoding('utf8').on('data', (text: string) => (output += text));
    child.once('exit', (code) => reject(new Error(`gantry exited (${code}) before listening:\n${output}`)));
  });
}

type Outcome = { status: number; code: string | undefined; message: string };

/** Sends one call in OpenAI or Anthropic format and reads its status and error code. */
async function call(url: string, apiKey: string, anthropic: boolean, headers: Record<string, string> = {}): Promise<Outcome> {
  const response = anthropic ? await messagesCall(url, apiKey, MODEL, headers) : await chatCall(url, apiKey, MODEL, { headers });
  const body = (await response.json()) as { error?: { code?: string; type?: string; message?: string } };
  // Anthropic's error shape has no code: its billing_error type is how budget_exceeded reads there.
  const code = anthropic ? (body.error?.type === 'billing_error' ? 'budget_exceeded' : body.error?.type) : (body.error?.code ?? undefined);
  return { status: response.status, code, message: body.error?.message ?? '' };
}

describe.skipIf(!DATABASE_URL)('two gateway processes on one Postgres', () => {
  const children: ChildProcess[] = [];
  let mock: MockProvider;
  let database: Database;
  let folder: string;
  let urls: [string, string];

  beforeAll(async () => {
    mock = await startMockProvider();
    mock.script('two-instance-model', [{ text: 'ok', usage: { input: 8, output: 3 } }]);
    folder = mkdtempSync(join(tmpdir(), 'gantry-two-instances-'));
    const config = {
      providers: { local: { type: 'openai-compatible', base_url: `${mock.url}/v1` } },
      pricing: { 'local/two-instance-model': { input: 1, output: 2 } },
      budgets: { refresh_ms: 100 },
    };
    writeFileSync(join(folder, 'gantry.yaml'), JSON.stringify(config));
    urls = (await Promise.all([startInstance(folder, children), startInstance(folder, children)])) as [string, string];
    database = await createDatabase({ url: DATABASE_URL! });
  }, 120_000);
  afterAll(async () => {
    for (const child of children) child.kill('SIGTERM');
    await Promise.all(children.map((child) => (child.exitCode === null ? new Promise((resolve) => child.once('exit', resolve)) : undefined)));
    await database?.close();
    await mock?.close();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  it('lets 200 concurrent calls across both spend at most a key budget that allows 50', async () => {
    const key = (await adminCall<{ id: string; key: string }>(urls[0], 'POST', '/admin/keys', { name: 'two-instances' })).json;
    const budget = (await adminCall<{ id: string }>(urls[0], 'POST', '/admin/budgets', { scope: 'key', scope_id: key.id, period: 'total', limit_usd: LIMIT_MICROS / 1e6 })).json;
    // The other instance learns of the budget on its next policy refresh (refresh_ms).
    await new Promise((resolve) => setTimeout(resolve, 500));

    const outcomes = await Promise.all(Array.from({ length: 200 }, (_, index) => call(urls[index % 2]!, key.key, index % 5 === 0)));
    const ok = outcomes.filter((outcome) => outcome.status === 200);
    const refused = outcomes.filter((outcome) => outcome.status !== 200);
    for (const outcome of refused) {
      expect(outcome).toMatchObject({ status: 402, code: 'budget_exceeded' });
      expect(outcome.message).toMatch(/budget exceeded for key 'two-instances'/);
    }
    expect(ok.length).toBeGreaterThanOrEqual(25);
    expect(ok.length).toBeLessThanOrEqual(50);

    const ledger = await settledLedger(database, { apiKeyId: key.id, scope: `budget:${budget.id}` });
    expect(ledger.open).toBe(0);
    expect(ledger.reserved).toBe(ledger.reservedOfSettled + ledger.reservedOfReleased);
    expect(ledger.settled).toBeLessThanOrEqual(LIMIT_MICROS + ledger.overrun);
    expect(ledger.settledCount).toBe(ok.length);
    expect(await counterTotals(database, `budget:${budget.id}`)).toEqual({ spent: ledger.settled, reserved: 0 });
  });

  it('holds a run budget shared by the run and its sub-runs across both', async () => {
    const key = (await adminCall<{ id: string; key: string }>(urls[1], 'POST', '/admin/keys', { name: 'two-instances-runs' })).json;
    await new Promise((resolve) => setTimeout(resolve, 500));
    const root = `tp-root-${Date.now()}`;
    const budgetHeader = { 'x-gantry-run-budget-usd': String(LIMIT_MICROS / 1e6) };
    expect((await call(urls[0], key.key, false, { 'x-gantry-run-id': root, ...budgetHeader })).status).toBe(200);

    const outcomes = await Promise.all(
      Array.from({ length: 200 }, (_, index) => {
        const headers: Record<string, string> = index % 2 === 0 ? { 'x-gantry-run-id': root, ...budgetHeader } : { 'x-gantry-run-id': `${root}-sub-${index % 10}`, 'x-gantry-parent-run-id': root };
        return call(urls[index % 2 === 0 ? Math.floor(index / 2) % 2 : 1 - (Math.floor(index / 2) % 2)]!, key.key, index % 7 === 0, headers);
      }),
    );
    const ok = outcomes.filter((outcome) => outcome.status === 200);
    for (const outcome of outcomes.filter((each) => each.status !== 200)) {
      expect(outcome).toMatchObject({ status: 402, code: 'budget_exceeded' });
      expect(outcome.message).toMatch(new RegExp(`budget exceeded for run .*max cost reached.*POST /v1/runs/${root}/limits`));
    }
    expect(ok.length).toBeGreaterThanOrEqual(20);
    expect(ok.length).toBeLessThanOrEqual(49);

    const ledger = await settledLedger(database, { rootRunId: root });
    expect(ledger.open).toBe(0);
    expect(ledger.reserved).toBe(ledger.reservedOfSettled + ledger.reservedOfReleased);
    expect(ledger.settled).toBeLessThanOrEqual(LIMIT_MICROS + ledger.overrun);
    expect(ledger.settledCount).toBe(ok.length + 1);
    const limits = (await adminCall<{ status: string }>(urls[1], 'GET', `/v1/runs/${root}/limits`)).json;
    expect(limits.status).toBe('paused');

    // Raising the limit on one instance resumes the run for calls through the other.
    const raised = await adminCall<{ status: string }>(urls[1], 'POST', `/v1/runs/${root}/limits`, { max_cost_usd: 1 });
    expect(raised.json.status).toBe('running');
    expect((await call(urls[0], key.key, false, { 'x-gantry-run-id': `${root}-sub-3`, 'x-gantry-parent-run-id': root })).status).toBe(200);
  });
});
