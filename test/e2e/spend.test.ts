import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, chatCall } from '../support/budget-helpers.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

const CLI = fileURLToPath(new URL('../../apps/gateway/src/cli.ts', import.meta.url));
const TSX_LOADER = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

interface SpendAnswer {
  group_by: string;
  total_cost_micros: number;
  data: Array<Record<string, unknown> & { cost_micros: number; calls: number }>;
}

function runCli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', TSX_LOADER, CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
    child.once('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Customers and run names are free text: unique per test run, so a reused database starts clean. */
const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const CUSTOMER = `cust-${tag}`;
const RUN_NAME = `nightly-triage-${tag}`;

describe('spend from the ledger', () => {
  let stack: Stack;
  let team: { id: string; name: string };
  let teamKey: { id: string; key: string };
  beforeAll(async () => {
    stack = await startStack({ config: { pricing: { 'local/spend-model': { input: 1, output: 2 } } } });
    stack.mock.script('spend-model', [{ text: 'ok', usage: { input: 8, output: 3 } }]);
    team = (await adminCall<{ id: string; name: string }>(stack.url, 'POST', '/admin/teams', { name: `spend-team-${Date.now()}` })).json;
    // No budget or limit applies to this key: its calls skip the ledger up front and are written settled.
    teamKey = (await adminCall<{ id: string; key: string }>(stack.url, 'POST', '/admin/keys', { name: 'spender', team_id: team.id })).json;
    for (let call = 0; call < 3; call++) {
      expect((await chatCall(stack.url, teamKey.key, 'local/spend-model', { headers: { 'x-gantry-run-name': RUN_NAME }, body: { user: CUSTOMER } })).status).toBe(200);
    }
  });
  afterAll(async () => {
    await stack?.close();
  });

  const spend = async (query: string) => adminCall<SpendAnswer>(stack.url, 'GET', `/v1/spend?${query}`);

  it('groups settled spend by team, key, customer, model, run name and day', async () => {
    const byTeam = (await spend('group_by=team&from=30d')).json;
    expect(byTeam.data).toContainEqual(expect.objectContaining({ team: team.id, cost_micros: 42, calls: 3, cost_usd: 0.000042 }));
    expect((await spend('group_by=key')).json.data).toContainEqual(expect.objectContaining({ key: teamKey.id, cost_micros: 42 }));
    expect((await spend('group_by=customer')).json.data).toContainEqual(expect.objectContaining({ customer: CUSTOMER, cost_micros: 42 }));
    expect((await spend('group_by=run_name')).json.data).toContainEqual(expect.objectContaining({ run_name: RUN_NAME, cost_micros: 42 }));
    expect((await spend('group_by=model')).json.data).toContainEqual(expect.objectContaining({ model: 'local/spend-model' }));
    const today = new Date().toISOString().slice(0, 10);
    expect((await spend('group_by=day')).json.data).toContainEqual(expect.objectContaining({ day: today }));
    expect((await spend(`group_by=team&from=${today}&to=${today}T00:00:01Z`)).json.data.find((row) => row.team === team.id)?.cost_micros ?? 0).toBeLessThanOrEqual(42);
  });

  it("shows a key only its own team's spend", async () => {
    const response = await fetch(`${stack.url}/v1/spend?group_by=team`, { headers: { authorization: `Bearer ${teamKey.key}` } });
    const answer = (await response.json()) as SpendAnswer;
    expect(answer.data.map((row) => row.team)).toEqual([team.id]);
  });

  it('names the bad query field', async () => {
    const badGroup = await spend('group_by=planet');
    expect(badGroup.status).toBe(400);
    expect(JSON.stringify(badGroup.json)).toMatch(/group_by: must be one of key, team, customer, model, run_name, day/);
    const badFrom = await spend('group_by=day&from=yesterday');
    expect(badFrom.status).toBe(400);
    expect(JSON.stringify(badFrom.json)).toMatch(/from: must be an ISO 8601 date/);
  });

  it('prints a table with `gantry spend --by team --since 30d`', async () => {
    const result = await runCli(['spend', '--by', 'team', '--since', '30d'], { GANTRY_URL: stack.url, GANTRY_MASTER_KEY: MASTER_KEY });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^team\s+cost\s+share\s+calls\s+tokens$/m);
    expect(result.stdout).toMatch(new RegExp(`^${team.id}\\s+\\$0\\.000042\\s+[\\d.]+%\\s+3\\s+33$`, 'm'));
    expect(result.stdout).toMatch(/total \$[\d.]+ since 30d/);
  });

  it('creates, lists, updates and deletes teams, customers and budgets from the CLI', async () => {
    const env = { GANTRY_URL: stack.url, GANTRY_MASTER_KEY: MASTER_KEY };
    const created = await runCli(['teams', 'create', '--name', `cli-team-${tag}`, '--rpm', '100'], env);
    expect(created.stdout).toMatch(new RegExp(`Created team (\\S+) \\(cli-team-${tag}\\)`));
    const teamId = /Created team (\S+)/.exec(created.stdout)![1]!;
    expect((await runCli(['teams', 'update', teamId, '--tpm', '5000'], env)).stdout).toMatch(/"tpm":5000/);
    expect((await runCli(['teams', 'list'], env)).stdout).toContain(`cli-team-${tag}`);
    const customer = await runCli(['customers', 'create', '--external-id', `cli-user-${tag}`, '--team', teamId], env);
    const customerId = /Created customer (\S+)/.exec(customer.stdout)![1]!;
    const budget = await runCli(['budgets', 'create', '--scope', 'customer', '--id', customerId, '--period', 'month', '--limit-usd', '5'], env);
    const budgetId = /Created budget (\S+):/.exec(budget.stdout)![1]!;
    expect((await runCli(['budgets', 'update', budgetId, '--limit-usd', '7.5'], env)).stdout).toMatch(/\$7\.50 per month/);
    expect((await runCli(['budgets', 'list', '--scope', 'customer'], env)).stdout).toMatch(new RegExp(`${budgetId}\\s+customer:${customerId}\\s+month\\s+\\$7\\.50`));
    const negative = await runCli(['budgets', 'update', budgetId, '--limit-usd', '-1'], env);
    expect(negative.code).toBe(1);
    expect(negative.stderr).toMatch(/--limit-usd: '-1' is not a non-negative number/);
    for (const args of [['budgets', 'delete', budgetId], ['customers', 'delete', customerId], ['teams', 'delete', teamId]]) {
      expect((await runCli(args, env)).code).toBe(0);
    }
    expect((await runCli(['teams', 'list'], env)).stdout).not.toContain(`cli-team-${tag}`);
    // Thirteen CLI runs, each a fresh Node + tsx process (1.3 s on an idle machine): 21–25 s in CI,
    // and once past the default 30 s on a loaded one.
  }, 120_000);
});
