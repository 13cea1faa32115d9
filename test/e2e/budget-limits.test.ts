import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, chatCall, counterTotals, messagesCall, settledLedger } from '../support/budget-helpers.ts';
import { startStack, type Stack } from '../support/start-stack.ts';

const MODEL = 'local/budget-model';
/** 8 prompt tokens × $1/M + 3 output tokens × $2/M: each call reserves and costs 14 micro-dollars. */
const CALL_MICROS = 14;

interface ErrorBody {
  error: { message: string; type: string; code: string | null; param: string | null };
}

describe('budgets on keys, teams and customers (one gateway)', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: { pricing: { 'local/budget-model': { input: 1, output: 2 } } } });
    stack.mock.script('budget-model', [{ text: 'ok', usage: { input: 8, output: 3 } }]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function createKey(body: Record<string, unknown> = {}): Promise<{ id: string; key: string }> {
    const { status, json } = await adminCall<{ id: string; key: string }>(stack.url, 'POST', '/admin/keys', { name: `budget-${Math.random()}`, ...body });
    expect(status).toBe(201);
    return json;
  }

  async function budget(scope: string, scopeId: string, period: string, limitUsd: number): Promise<string> {
    const { status, json } = await adminCall<{ id: string }>(stack.url, 'POST', '/admin/budgets', { scope, scope_id: scopeId, period, limit_usd: limitUsd });
    expect(status).toBe(201);
    return json.id;
  }

  it('lets 100 concurrent calls spend no more than a key budget that allows 50, and balances the ledger', async () => {
    const key = await createKey();
    const budgetId = await budget('key', key.id, 'month', (50 * CALL_MICROS) / 1e6);
    const responses = await Promise.all(Array.from({ length: 100 }, () => chatCall(stack.url, key.key, MODEL)));
    const ok = responses.filter((response) => response.status === 200);
    const refused = responses.filter((response) => response.status !== 200);
    for (const response of refused) {
      expect(response.status).toBe(402);
      const body = (await response.json()) as ErrorBody;
      expect(body.error.code).toBe('budget_exceeded');
      expect(body.error.message).toMatch(new RegExp(`budget exceeded for key '.*' \\(month budget ${budgetId}\\): spent \\$[\\d.]+.* of \\$0\\.000700.*PATCH /admin/budgets/${budgetId}`));
    }
    expect(ok.length).toBeGreaterThan(25);
    expect(ok.length).toBeLessThanOrEqual(50);

    const ledger = await settledLedger(stack.database, { apiKeyId: key.id, scope: `budget:${budgetId}` });
    expect(ledger.open).toBe(0);
    expect(ledger.reserved).toBe(ledger.reservedOfSettled + ledger.reservedOfReleased);
    expect(ledger.settled).toBeLessThanOrEqual(50 * CALL_MICROS + ledger.overrun);
    expect(ledger.settledCount).toBe(ok.length);
    expect(await counterTotals(stack.database, `budget:${budgetId}`)).toEqual({ spent: ledger.settled, reserved: 0 });
  });

  it('answers an Anthropic-format client with a billing_error naming the budget, and never 429', async () => {
    const key = await createKey();
    const budgetId = await budget('key', key.id, 'day', CALL_MICROS / 1e6);
    expect((await messagesCall(stack.url, key.key, MODEL)).status).toBe(200);
    await stack.gateway.services.budgets.drain();
    const refused = await messagesCall(stack.url, key.key, MODEL);
    expect(refused.status).toBe(402);
    const body = (await refused.json()) as { type: string; error: { type: string; message: string } };
    expect(body.type).toBe('error');
    expect(body.error.type).toBe('billing_error');
    expect(body.error.message).toMatch(new RegExp(`spent \\$0\\.000014 of \\$0\\.000014.*gantry budgets update ${budgetId}.*reset at \\d{4}-`));
  });

  it('applies a team budget to every key of the team, and a customer budget to calls naming that customer', async () => {
    const team = (await adminCall<{ id: string }>(stack.url, 'POST', '/admin/teams', { name: `team-${Math.random()}` })).json;
    const first = await createKey({ team_id: team.id });
    const second = await createKey({ team_id: team.id });
    const customer = (await adminCall<{ id: string }>(stack.url, 'POST', '/admin/customers', { external_id: 'acme-user', team_id: team.id })).json;
    await budget('customer', customer.id, 'total', CALL_MICROS / 1e6);
    await budget('team', team.id, 'total', (3 * CALL_MICROS) / 1e6);

    expect((await chatCall(stack.url, first.key, MODEL, { body: { user: 'acme-user' } })).status).toBe(200);
    await stack.gateway.services.budgets.drain();
    const customerRefusal = await chatCall(stack.url, second.key, MODEL, { headers: { 'x-gantry-customer-id': 'acme-user' } });
    expect(customerRefusal.status).toBe(402);
    expect(((await customerRefusal.json()) as ErrorBody).error.message).toMatch(/budget exceeded for customer 'acme-user'/);

    expect((await chatCall(stack.url, second.key, MODEL, { body: { user: 'someone-else' } })).status).toBe(200);
    expect((await chatCall(stack.url, first.key, MODEL)).status).toBe(200);
    await stack.gateway.services.budgets.drain();
    const teamRefusal = await chatCall(stack.url, second.key, MODEL);
    expect(teamRefusal.status).toBe(402);
    expect(((await teamRefusal.json()) as ErrorBody).error.message).toMatch(/budget exceeded for team 'team-[\d.]+' \(total budget/);
  });

  it('draws embeddings on the same budget as chat', async () => {
    stack.mock.script('embed-budget', [{ usage: { input: 10 } }]);
    const key = await createKey();
    await budget('key', key.id, 'total', 0.00002);
    const embed = () =>
      fetch(`${stack.url}/v1/embeddings`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'local/budget-model', input: 'a few words to embed here' }),
      });
    expect((await embed()).status).toBe(200);
    await stack.gateway.services.budgets.drain();
    expect((await chatCall(stack.url, key.key, MODEL)).status).toBe(402);
  });

  it('refuses a model outside the key allowed_models with 403 naming them', async () => {
    const key = await createKey({ allowed_models: ['fast'] });
    const response = await chatCall(stack.url, key.key, MODEL);
    expect(response.status).toBe(403);
    expect(((await response.json()) as ErrorBody).error.message).toMatch(/may not call model 'local\/budget-model'; allowed: fast/);
    expect((await chatCall(stack.url, key.key, 'fast')).status).toBe(200);
  });

  it('answers 4xx naming the field for negative, non-numeric and unknown-team limits', async () => {
    const key = await createKey();
    const cases: Array<[string, string, unknown, RegExp]> = [
      ['POST', '/admin/budgets', { scope: 'key', scope_id: key.id, period: 'day', limit_usd: -1 }, /limit_usd: must not be negative/],
      ['POST', '/admin/budgets', { scope: 'key', scope_id: key.id, period: 'day', limit_usd: 'ten' }, /limit_usd/],
      ['POST', '/admin/budgets', { scope: 'key', scope_id: key.id, period: 'fortnight', limit_usd: 1 }, /period: must be one of day, week, month, total/],
      ['POST', '/admin/budgets', { scope: 'team', scope_id: 'no-such-team', period: 'day', limit_usd: 1 }, /scope_id: no team 'no-such-team'/],
      ['POST', '/admin/keys', { name: 'k', team_id: 'no-such-team' }, /team_id: no team 'no-such-team'/],
      ['PATCH', `/admin/keys/${key.id}`, { limits: { rpm: -5 } }, /limits\.rpm: must not be negative/],
      ['POST', '/admin/teams', { name: 't', limits: { run: { max_cost_usd: 'lots' } } }, /limits\.run\.max_cost_usd/],
    ];
    for (const [method, path, body, message] of cases) {
      const { status, json } = await adminCall<ErrorBody>(stack.url, method, path, body);
      expect(status, `${method} ${path}`).toBe(400);
      expect(json.error.message).toMatch(message);
    }
  });
});
