import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BudgetListView, BudgetView } from '../../apps/gateway/src/routes/budgets-route.ts';
import type { MeView } from '../../apps/gateway/src/routes/me-route.ts';
import { adminCall, chatCall } from '../support/budget-helpers.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

const MODEL = 'local/console-model';
/** 8 prompt tokens × $1/M + 3 output tokens × $2/M: each call costs 14 micro-dollars. */
const CALL_MICROS = 14;

/** Team names and customers' external ids are unique: tagged per test run, so a reused database starts clean. */
const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

interface Created {
  id: string;
  name: string;
}
interface CreatedKey extends Created {
  key: string;
}

/** GET a path with a key; the status and the parsed JSON body. */
async function getJson<T>(url: string, apiKey: string): Promise<{ status: number; body: T; text: string }> {
  const response = await fetch(url, { headers: { authorization: `Bearer ${apiKey}` } });
  const text = await response.text();
  return { status: response.status, body: JSON.parse(text) as T, text };
}

/**
 * Key A and key A2 in team T, key B in team U, key D without a team; customer C of team T (named),
 * customer E (unnamed). A budget on each of A, B, D, T, U, C and E; calls actually made: A three
 * (one of them as customer C), B one. D and E make none.
 */
describe('console API: /v1/me and /v1/budgets', () => {
  let stack: Stack;
  let teamT: Created;
  let teamU: Created;
  let keyA: CreatedKey;
  let keyA2: CreatedKey;
  let keyB: CreatedKey;
  let keyD: CreatedKey;
  let customerC: Created & { external_id: string };
  let customerE: Created;
  /** Budget ids by owner letter. */
  const budgetIds: Record<'A' | 'B' | 'D' | 'T' | 'U' | 'C' | 'E', string> = { A: '', B: '', D: '', T: '', U: '', C: '', E: '' };

  async function create<T>(path: string, body: Record<string, unknown>): Promise<T> {
    const { status, json } = await adminCall<T>(stack.url, 'POST', path, body);
    expect(status, `POST ${path}`).toBe(201);
    return json;
  }

  async function budget(scope: string, scopeId: string, period: string, limitUsd: number): Promise<string> {
    return (await create<{ id: string }>('/admin/budgets', { scope, scope_id: scopeId, period, limit_usd: limitUsd })).id;
  }

  beforeAll(async () => {
    stack = await startStack({ config: { pricing: { [MODEL]: { input: 1, output: 2 } } } });
    stack.mock.script('console-model', [{ text: 'ok', usage: { input: 8, output: 3 } }]);
    teamT = await create('/admin/teams', { name: `console-t-${tag}` });
    teamU = await create('/admin/teams', { name: `console-u-${tag}` });
    keyA = await create('/admin/keys', { name: 'console-a', team_id: teamT.id });
    keyA2 = await create('/admin/keys', { name: 'console-a2', team_id: teamT.id });
    keyB = await create('/admin/keys', { name: 'console-b', team_id: teamU.id });
    keyD = await create('/admin/keys', { name: 'console-d' });
    customerC = await create('/admin/customers', { external_id: `acme-${tag}`, team_id: teamT.id, name: 'Acme Corp' });
    customerE = await create('/admin/customers', { external_id: `anon-${tag}` });
    budgetIds.A = await budget('key', keyA.id, 'month', 0.0001);
    budgetIds.B = await budget('key', keyB.id, 'week', 0.0001);
    budgetIds.D = await budget('key', keyD.id, 'day', 1);
    budgetIds.T = await budget('team', teamT.id, 'total', 0.001);
    budgetIds.U = await budget('team', teamU.id, 'month', 0.0002);
    budgetIds.C = await budget('customer', customerC.id, 'day', 0.0001);
    budgetIds.E = await budget('customer', customerE.id, 'total', 0);
    for (const [apiKey, body] of [[keyA.key, {}], [keyA.key, {}], [keyA.key, { user: customerC.external_id }], [keyB.key, {}]] as const) {
      expect((await chatCall(stack.url, apiKey, MODEL, { body })).status).toBe(200);
    }
  });
  afterAll(async () => {
    await stack?.close();
  });

  const budgetsOf = async (apiKey: string): Promise<BudgetView[]> => {
    const { status, body } = await getJson<BudgetListView>(`${stack.url}/v1/budgets`, apiKey);
    expect(status).toBe(200);
    return body.data;
  };
  const me = async (apiKey: string): Promise<MeView> => {
    const { status, body, text } = await getJson<MeView>(`${stack.url}/v1/me`, apiKey);
    expect(status).toBe(200);
    expect(text).not.toContain(apiKey);
    return body;
  };
  const byId = (views: readonly BudgetView[]) => new Map(views.map((view) => [view.id, view]));

  describe('GET /v1/me', () => {
    it('says the master key is the master, with no key or team', async () => {
      expect(await me(MASTER_KEY)).toEqual({ master: true, key: null, team: null });
    });

    it("names a virtual key and its team, and nothing of the key's secret or hash", async () => {
      expect(await me(keyA.key)).toEqual({ master: false, key: { id: keyA.id, name: 'console-a', team_id: teamT.id }, team: { id: teamT.id, name: teamT.name } });
      expect(await me(keyD.key)).toEqual({ master: false, key: { id: keyD.id, name: 'console-d', team_id: null }, team: null });
    });

    it('shows a rename and a move to another team made on another instance, not what authentication cached', async () => {
      expect((await me(keyA2.key)).key?.name).toBe('console-a2');
      // Another instance's PATCH /admin/keys writes the row; this instance's authenticator keeps its cached principal.
      await stack.database.db.execute(`update api_keys set name = 'console-a2-renamed', team_id = '${teamU.id}' where id = '${keyA2.id}'`);
      expect(await me(keyA2.key)).toEqual({ master: false, key: { id: keyA2.id, name: 'console-a2-renamed', team_id: teamU.id }, team: { id: teamU.id, name: teamU.name } });
    });
  });

  describe('GET /v1/budgets', () => {
    it('shows the master key every budget, with the spend of the calls made and the owner names', async () => {
      const views = byId(await budgetsOf(MASTER_KEY));
      const expected: Array<[keyof typeof budgetIds, string | null, number, number]> = [
        // owner, scope_name, calls counted, limit in micro-dollars
        ['A', 'console-a', 3, 100],
        ['B', 'console-b', 1, 100],
        ['D', 'console-d', 0, 1_000_000],
        ['T', teamT.name, 3, 1_000],
        ['U', teamU.name, 1, 200],
        ['C', 'Acme Corp', 1, 100],
        ['E', null, 0, 0],
      ];
      for (const [owner, scopeName, calls, limitMicros] of expected) {
        const view = views.get(budgetIds[owner]);
        expect(view, owner).toMatchObject({
          scope_name: scopeName,
          limit_micros: limitMicros,
          spent_usd: (calls * CALL_MICROS) / 1e6,
          used_fraction: limitMicros === 0 ? 0 : (calls * CALL_MICROS) / limitMicros,
          reserved_usd: 0,
        });
      }
    });

    it('answers each budget in exactly the shape of GET /admin/budgets/:id', async () => {
      const views = await budgetsOf(keyA.key);
      const own = views.find((view) => view.id === budgetIds.A)!;
      expect(own).toEqual({
        id: budgetIds.A,
        scope: 'key',
        scope_id: keyA.id,
        period: 'month',
        limit_usd: 0.0001,
        limit_micros: 100,
        period_start: expect.stringMatching(/^\d{4}-\d{2}-01T00:00:00\.000Z$/),
        resets_at: expect.stringMatching(/^\d{4}-\d{2}-01T00:00:00\.000Z$/),
        spent_usd: 0.000042,
        reserved_usd: 0,
        used_fraction: 0.42,
        scope_name: 'console-a',
      });
      for (const view of views) expect((await adminCall(stack.url, 'GET', `/admin/budgets/${view.id}`)).json).toEqual(view);
      const listed = (await adminCall<BudgetListView>(stack.url, 'GET', `/admin/budgets?scope=team&scope_id=${teamT.id}`)).json.data;
      expect(listed).toEqual(views.filter((view) => view.id === budgetIds.T));
      expect(listed[0]?.resets_at).toBeNull();
    });

    it("shows a key the budgets on itself and on its team only: no other key's, team's or customer's", async () => {
      const ids = async (apiKey: string) => (await budgetsOf(apiKey)).map((view) => view.id).sort();
      expect(await ids(keyA.key)).toEqual([budgetIds.A, budgetIds.T].sort());
      expect(await ids(keyB.key)).toEqual([budgetIds.B, budgetIds.U].sort());
      expect(await ids(keyD.key)).toEqual([budgetIds.D]);
      const teamView = (await budgetsOf(keyA.key)).find((view) => view.id === budgetIds.T);
      expect(teamView).toMatchObject({ scope: 'team', scope_id: teamT.id, scope_name: teamT.name, spent_usd: 0.000042, used_fraction: 0.042 });
    });

    it('includes a call made just before it is asked', async () => {
      expect((await chatCall(stack.url, keyD.key, MODEL)).status).toBe(200);
      const [own] = await budgetsOf(keyD.key);
      expect(own).toMatchObject({ id: budgetIds.D, spent_usd: CALL_MICROS / 1e6, used_fraction: CALL_MICROS / 1e6 });
    });
  });

  it('answers a key it does not know with 401 in the OpenAI error shape, on both routes', async () => {
    for (const path of ['/v1/me', '/v1/budgets']) {
      const { status, body } = await getJson<{ error: Record<string, unknown> }>(`${stack.url}${path}`, 'gk-not-a-key-of-this-gateway');
      expect(status, path).toBe(401);
      expect(body.error, path).toEqual({ message: expect.stringMatching(/API key/i), type: expect.any(String), param: null, code: expect.any(String) });
    }
  });
});
