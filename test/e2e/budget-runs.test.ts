import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, chatCall, settledLedger } from '../support/budget-helpers.ts';
import { startStack, type Stack } from '../support/start-stack.ts';

const MODEL = 'local/run-budget-model';
/** Each call reserves and costs 14 micro-dollars (see budget-limits.test.ts). */
const CALL_MICROS = 14;
/** Run ids are global: unique per test run, so a reused database (CI's Postgres) starts clean. */
const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const RUN_CALLS = `run-calls-${tag}`;
const RUN_TREE = `run-tree-${tag}`;
const RUN_RAISE = `run-raise-${tag}`;

interface ErrorBody {
  error: { message: string; code: string | null; param: string | null };
}

describe('run limits (one gateway)', () => {
  let stack: Stack;
  let key: { id: string; key: string };
  beforeAll(async () => {
    stack = await startStack({ config: { pricing: { 'local/run-budget-model': { input: 1, output: 2 } } } });
    stack.mock.script('run-budget-model', [{ text: 'ok', usage: { input: 8, output: 3 } }]);
    key = (await adminCall<{ id: string; key: string }>(stack.url, 'POST', '/admin/keys', { name: 'agent', limits: { run: { max_calls: 2 } } })).json;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const runStatus = async (id: string) => (await adminCall<{ status: string; limits: Record<string, unknown>; usage: Record<string, number> }>(stack.url, 'GET', `/v1/runs/${id}/limits`)).json;

  it('pauses a run at its key-default call limit and resumes it when an admin raises the limit', async () => {
    const run = { 'x-gantry-run-id': RUN_CALLS };
    expect((await chatCall(stack.url, key.key, MODEL, { headers: run })).status).toBe(200);
    expect((await chatCall(stack.url, key.key, MODEL, { headers: run })).status).toBe(200);
    const refused = await chatCall(stack.url, key.key, MODEL, { headers: run });
    expect(refused.status).toBe(402);
    const body = (await refused.json()) as ErrorBody;
    expect(body.error.code).toBe('budget_exceeded');
    expect(body.error.message).toMatch(new RegExp(`budget exceeded for run ${RUN_CALLS}: max LLM calls reached, spent 2 of 2; the run is paused; raise its limits with POST /v1/runs/${RUN_CALLS}/limits`));
    expect((await runStatus(RUN_CALLS)).status).toBe('paused');

    const raised = await adminCall<{ status: string; limits: { max_calls: number } }>(stack.url, 'POST', `/v1/runs/${RUN_CALLS}/limits`, { max_calls: 3 });
    expect(raised.status).toBe(200);
    expect(raised.json).toMatchObject({ status: 'running', limits: { max_calls: 3 } });
    expect((await chatCall(stack.url, key.key, MODEL, { headers: run })).status).toBe(200);
    expect((await chatCall(stack.url, key.key, MODEL, { headers: run })).status).toBe(402);
  });

  it('charges sub-runs to their root run budget, lowered by the agent header', async () => {
    const root = { 'x-gantry-run-id': RUN_TREE, 'x-gantry-run-budget-usd': String((3 * CALL_MICROS) / 1e6) };
    expect((await chatCall(stack.url, key.key, MODEL, { headers: { ...root, 'x-gantry-run-max-calls': '2' } })).status).toBe(200);
    await adminCall(stack.url, 'POST', `/v1/runs/${RUN_TREE}/limits`, { max_calls: 100 });
    const child = { 'x-gantry-run-id': `${RUN_TREE}-child`, 'x-gantry-parent-run-id': RUN_TREE };
    const results = await Promise.all(Array.from({ length: 10 }, () => chatCall(stack.url, key.key, MODEL, { headers: child })));
    expect(results.filter((response) => response.status === 200)).toHaveLength(2);
    for (const response of results.filter((each) => each.status !== 200)) {
      expect(response.status).toBe(402);
      expect(((await response.json()) as ErrorBody).error.message).toMatch(new RegExp(`budget exceeded for run ${RUN_TREE}-child \\(run tree ${RUN_TREE}\\): max cost reached`));
    }
    const ledger = await settledLedger(stack.database, { rootRunId: RUN_TREE });
    expect(ledger.settled).toBeLessThanOrEqual(3 * CALL_MICROS + ledger.overrun);
    expect(ledger.reserved).toBe(ledger.reservedOfSettled + ledger.reservedOfReleased);
    expect((await runStatus(`${RUN_TREE}-child`)).usage).toMatchObject({ spent_usd: (3 * CALL_MICROS) / 1e6, reserved_usd: 0 });
  });

  it('refuses a header that tries to raise a run limit, naming the header', async () => {
    const run = { 'x-gantry-run-id': RUN_RAISE, 'x-gantry-run-max-calls': '1' };
    expect((await chatCall(stack.url, key.key, MODEL, { headers: run })).status).toBe(200);
    const raising = await chatCall(stack.url, key.key, MODEL, { headers: { ...run, 'x-gantry-run-max-calls': '5' } });
    expect(raising.status).toBe(400);
    const body = (await raising.json()) as ErrorBody;
    expect(body.error.param).toBe('x-gantry-run-max-calls');
    expect(body.error.message).toMatch(/can only lower a run's limits/);
    const malformed = await chatCall(stack.url, key.key, MODEL, { headers: { 'x-gantry-run-id': RUN_RAISE, 'x-gantry-run-budget-usd': '-3' } });
    expect(malformed.status).toBe(400);
    expect(((await malformed.json()) as ErrorBody).error.param).toBe('x-gantry-run-budget-usd');
  });

  /** A Responses API turn; returns the response and the run it was recorded in. */
  const responsesTurn = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const response = await fetch(`${stack.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ model: MODEL, input: 'hi', max_output_tokens: 3, ...body }),
    });
    const text = await response.text();
    // A stream's first event names the response; a refusal is JSON either way.
    const json = response.headers.get('content-type')?.startsWith('text/event-stream') ? { id: /"response":\{"id":"([^"]+)"/.exec(text)![1] } : JSON.parse(text);
    return { status: response.status, runId: response.headers.get('x-gantry-run-id'), body: json as { id: string } & ErrorBody };
  };

  // A conversation's first turn starts its run and is checked against the run's limits in memory
  // (no reservation through the counter); the counter is written with the response, holding that turn.
  it("counts a Responses conversation's first turn on its run's counter, so the run's limits hold from the next turn on", async () => {
    for (const stream of [false, true]) {
      const first = await responsesTurn({ stream });
      expect(first.status).toBe(200);
      const runId = first.runId!;
      expect(await runStatus(runId)).toMatchObject({ limits: { max_calls: 2 }, usage: { calls: 1, spent_usd: CALL_MICROS / 1e6, reserved_usd: 0, tokens: 11 } });
      // The run's row is written with the turn's totals, not later by the recorder.
      const run = (await adminCall<{ own_totals: Record<string, number> }>(stack.url, 'GET', `/v1/runs/${runId}`)).json;
      expect(run.own_totals).toMatchObject({ cost_micros: CALL_MICROS, input_tokens: 8, output_tokens: 3, llm_calls: 1, tool_calls: 0 });
      expect((await responsesTurn({ previous_response_id: first.body.id, stream })).status).toBe(200);
      const third = await responsesTurn({ previous_response_id: first.body.id, stream });
      expect(third.status).toBe(402);
      expect(third.body.error.message).toMatch(new RegExp(`budget exceeded for run ${runId}: max LLM calls reached, spent 2 of 2`));
    }
    // store: false keeps the run and its counter too: a call naming the run by its id is counted against it.
    const unstored = await responsesTurn({ store: false });
    expect(unstored.status).toBe(200);
    expect((await runStatus(unstored.runId!)).usage).toMatchObject({ calls: 1, spent_usd: CALL_MICROS / 1e6 });
    expect((await chatCall(stack.url, key.key, MODEL, { headers: { 'x-gantry-run-id': unstored.runId! } })).status).toBe(200);
    expect((await chatCall(stack.url, key.key, MODEL, { headers: { 'x-gantry-run-id': unstored.runId! } })).status).toBe(402);
  });

  it('refuses the first turn of a conversation that could not stay within its run limits, saying it is the first call', async () => {
    const strict = (await adminCall<{ key: string }>(stack.url, 'POST', '/admin/keys', { name: 'strict', limits: { run: { max_cost_usd: 1e-6 } } })).json;
    const response = await fetch(`${stack.url}/v1/responses`, {
      method: 'POST',
      headers: { authorization: `Bearer ${strict.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: MODEL, input: 'hi', max_output_tokens: 3 }),
    });
    expect(response.status).toBe(402);
    const body = (await response.json()) as ErrorBody;
    expect(body.error.message).toMatch(/^budget exceeded for run \S+ \(the first call of the run, limited by key '[^']+'\): max cost: this call may cost up to/);
  });

  it('validates admin run limits and reports unknown runs', async () => {
    const bad = await adminCall<ErrorBody>(stack.url, 'POST', `/v1/runs/${RUN_CALLS}/limits`, { max_cost_usd: -1 });
    expect(bad.status).toBe(400);
    expect(bad.json.error.message).toMatch(/max_cost_usd: must not be negative/);
    expect((await adminCall(stack.url, 'POST', '/v1/runs/no-such-run/limits', { max_calls: 1 })).status).toBe(404);
    const keyCaller = await fetch(`${stack.url}/v1/runs/${RUN_CALLS}/limits`, { method: 'POST', headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' }, body: '{"max_calls": 99}' });
    expect(keyCaller.status).toBe(403);
  });
});
