import { randomBytes } from 'node:crypto';
import type { ResponseCache } from '@gantry/cache';
import { loadConfig } from '@gantry/gateway';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SpendRowView, SpendView } from '../../apps/gateway/src/routes/spend-route.ts';
import type { BudgetListView } from '../../apps/gateway/src/routes/budgets-route.ts';
import { requestJson, type RunNode } from '../agents/run-tree.ts';
import { adminCall } from '../support/budget-helpers.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

/** USD per million tokens, i.e. micro-dollars per token. */
const PRICE = { input: 1, output: 2 };
/** 21 input and 5 output tokens: 31 micro-dollars, odd, so that half of it is rounded. */
const USAGE = { input: 21, output: 5 };
const COST = USAGE.input * PRICE.input + USAGE.output * PRICE.output;
const HALF = Math.round(COST / 2);

describe('cache savings in the money', () => {
  let stack: Stack;
  const tag = randomBytes(4).toString('hex');
  const freeModel = `local/savings-free-${tag}`;
  const halfModel = `local/savings-half-${tag}`;

  beforeAll(async () => {
    stack = await startStack({
      config: {
        cache: { mode: 'exact', ttl_seconds: 600, models: { [halfModel]: { hit_charge: 0.5 } } },
        pricing: { [freeModel]: PRICE, [halfModel]: PRICE },
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  /** A team of its own per test, so that its key's view of /v1/spend holds only that test's calls. */
  const teamKey = async (name: string) => {
    const team = (await adminCall<{ id: string }>(stack.url, 'POST', '/admin/teams', { name: `savings-${name}-${tag}` })).json;
    return (await adminCall<{ id: string; key: string }>(stack.url, 'POST', '/admin/keys', { name: `savings-${name}`, team_id: team.id })).json;
  };
  const call = async (key: string, model: string, content: string, headers: Record<string, string> = {}) => {
    const { response } = await stack.openai(key).chat.completions.create({ model, messages: [{ role: 'user', content }] }, { headers }).withResponse();
    return { cache: response.headers.get('x-gantry-cache'), runId: response.headers.get('x-gantry-run-id') };
  };
  const ask = async (key: string, model: string, content: string, headers: Record<string, string> = {}) => (await call(key, model, content, headers)).cache;
  /** Cache writes happen after the answer left: wait for them before asking again. */
  const cached = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    await (stack.gateway.services.middleware.find((each) => each.name === 'cache') as ResponseCache).flush();
  };
  const spend = async (key: string, groupBy: string) => (await requestJson<SpendView>(`${stack.url}/v1/spend?group_by=${groupBy}`, key)).body;
  const budgetSpentMicros = async (key: string, budgetId: string) => {
    const { body } = await requestJson<BudgetListView>(`${stack.url}/v1/budgets`, key);
    const budget = body.data.find((each) => each.id === budgetId);
    if (budget === undefined) throw new Error(`budget ${budgetId} is not visible to its key`);
    return Math.round(budget.spent_usd * 1e6);
  };
  const sum = (rows: readonly SpendRowView[], field: 'cost_micros' | 'calls' | 'saved_micros' | 'cache_hits') => rows.reduce((total, row) => total + row[field], 0);

  it('charges a hit nothing by default, and /v1/spend reports what it saved and one cache hit, by key and by day', async () => {
    const key = await teamKey('free');
    stack.mock.script(freeModel.slice('local/'.length), [{ text: 'Four.', usage: USAGE }]);
    expect(await ask(key.key, freeModel, 'What is 2 + 2?')).toBe('miss');
    await cached();
    // No limit applies to this key and the call names no run: its entry is written settled, afterwards.
    const hit = await call(key.key, freeModel, 'What is 2 + 2?');
    expect(hit.cache).toBe('hit-exact');

    const byKey = await spend(key.key, 'key');
    expect(byKey.data).toEqual([
      { key: key.id, cost_usd: COST / 1e6, cost_micros: COST, calls: 2, tokens: USAGE.input + USAGE.output, saved_usd: COST / 1e6, saved_micros: COST, cache_hits: 1 },
    ]);
    expect(byKey).toMatchObject({ total_cost_micros: COST, total_saved_micros: COST, total_saved_usd: COST / 1e6, total_cache_hits: 1 });

    const byDay = await spend(key.key, 'day');
    // Both calls fall on one UTC day unless the test straddles midnight: the hit's day has it either way.
    expect(byDay.data.find((row) => row.cache_hits > 0)).toMatchObject({ day: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/), saved_micros: COST, cache_hits: 1 });
    expect({ cost: sum(byDay.data, 'cost_micros'), calls: sum(byDay.data, 'calls'), saved: sum(byDay.data, 'saved_micros'), hits: sum(byDay.data, 'cache_hits') }).toEqual({ cost: COST, calls: 2, saved: COST, hits: 1 });

    await stack.flush();
    const { body: run } = await requestJson<RunNode>(`${stack.url}/v1/runs/${hit.runId}`, key.key);
    expect(run.spans.find((span) => span.kind === 'llm')).toMatchObject({
      cost_micros: 0,
      usage: { input_tokens: 0, output_tokens: 0 },
      attributes: { cache: 'hit-exact', cache_saved_micros: COST, answered_by: 'cache' },
    });
  });

  it('with hit_charge 0.5 charges the key budget half of what each hit saved, per-call reservations and leased ones alike, and a miss its full cost', async () => {
    const key = await teamKey('half');
    const budget = (await adminCall<{ id: string }>(stack.url, 'POST', '/admin/budgets', { scope: 'key', scope_id: key.id, period: 'month', limit_usd: 1 })).json;
    stack.mock.script(halfModel.slice('local/'.length), [{ text: 'Four.', usage: USAGE }, { text: 'Six.', usage: USAGE }]);

    expect(await ask(key.key, halfModel, 'What is 2 + 2?')).toBe('miss');
    await cached();
    expect(await budgetSpentMicros(key.key, budget.id)).toBe(COST);
    // A call naming no run draws on the instance's budget lease.
    expect(await ask(key.key, halfModel, 'What is 2 + 2?')).toBe('hit-exact');
    expect(await budgetSpentMicros(key.key, budget.id)).toBe(COST + HALF);
    // A named run's call reserves in the ledger per call (gantry_reserve, then gantry_settle).
    const runId = `savings-half-${tag}`;
    expect(await ask(key.key, halfModel, 'What is 2 + 2?', { 'x-gantry-run-id': runId })).toBe('hit-exact');
    expect(await budgetSpentMicros(key.key, budget.id)).toBe(COST + 2 * HALF);
    // A miss is charged what the provider's answer cost, as without the cache.
    expect(await ask(key.key, halfModel, 'What is 3 + 3?')).toBe('miss');
    expect(await budgetSpentMicros(key.key, budget.id)).toBe(2 * COST + 2 * HALF);

    const byKey = await spend(key.key, 'key');
    expect(byKey.data).toEqual([
      { key: key.id, cost_usd: (2 * COST + 2 * HALF) / 1e6, cost_micros: 2 * COST + 2 * HALF, calls: 4, tokens: 2 * (USAGE.input + USAGE.output), saved_usd: (2 * COST) / 1e6, saved_micros: 2 * COST, cache_hits: 2 },
    ]);

    await stack.flush();
    const { body: run } = await requestJson<RunNode>(`${stack.url}/v1/runs/${runId}`, key.key);
    expect(run.totals).toMatchObject({ cost_micros: HALF, input_tokens: 0, output_tokens: 0, llm_calls: 1 });
    expect(run.spans.find((span) => span.kind === 'llm')).toMatchObject({ cost_micros: HALF, attributes: { cache: 'hit-exact', cache_saved_micros: COST } });
  });

  it('refuses a hit_charge outside 0 to 1, naming it', () => {
    const load = (hitCharge: unknown) => () => loadConfig({ file: { cache: { mode: 'exact', models: { fast: { hit_charge: hitCharge } } } }, env: { GANTRY_MASTER_KEY: MASTER_KEY } });
    expect(load(1.5)).toThrow(/cache\.models\.fast\.hit_charge/);
    expect(load(-0.1)).toThrow(/cache\.models\.fast\.hit_charge/);
    expect(load(1)).not.toThrow();
  });
});
