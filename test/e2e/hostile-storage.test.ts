import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getSpan } from '@gantry/db';
import { adminCall } from '../support/budget-helpers.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

/** A provider reporting usage no database column holds (JSON writes it 1e+22): its cost is past bigint too. */
const ABSURD_TOKENS = 1e22;

describe('hostile input: what Postgres cannot store never stops anyone else’s writes', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({ config: { pricing: { 'local/absurd': { input: 1, output: 1 }, 'local/llama3': { input: 0.1, output: 0.2 } } } });
    stack.mock.script('absurd', [{ text: 'ok', usage: { input: ABSURD_TOKENS, output: 1 } }]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function key(budgetUsd?: number): Promise<{ key: string; budgetId?: string }> {
    const { json } = await adminCall<{ id: string; key: string }>(stack.url, 'POST', '/admin/keys', { name: `tenant-${Math.random()}` });
    if (budgetUsd === undefined) return { key: json.key };
    const budget = await adminCall<{ id: string }>(stack.url, 'POST', '/admin/budgets', { scope: 'key', scope_id: json.id, period: 'month', limit_usd: budgetUsd });
    expect(budget.status).toBe(201);
    return { key: json.key, budgetId: budget.json.id };
  }

  /** A chat call with the body exactly as given (JSON text, so escapes reach the gateway as written). */
  async function post(apiKey: string, body: string): Promise<{ status: number; spanId: string; runId: string }> {
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
      body,
    });
    await response.arrayBuffer();
    return { status: response.status, spanId: response.headers.get('x-gantry-span-id') ?? '', runId: response.headers.get('x-gantry-run-id') ?? '' };
  }

  /** Which of these calls (span ids, UUIDs) have a ledger entry, once every entry is written. */
  async function ledgerIds(ids: readonly string[]): Promise<string[]> {
    await stack.gateway.services.budgets.drain();
    const result = await stack.database.db.execute<{ id: string }>(`select id from ledger_entries where id in (${ids.map((id) => `'${id}'`).join(', ')})`);
    return result.rows.map((row) => row.id).sort();
  }

  it('reserves per call in a named run for a user field Postgres cannot store as sent, and closes tool spans whose output holds NUL', async () => {
    stack.mock.script('llama3', [{ text: 'fine' }]);
    const limited = await key(10);
    const runId = `storable-run-${Date.now()}`;
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${limited.key}`, 'content-type': 'application/json', 'x-gantry-run-id': runId, 'x-gantry-run-budget-usd': '1' },
      body: '{"model":"fast","user":"\\ud800","messages":[{"role":"user","content":"hi"},{"role":"assistant","tool_calls":[{"id":"call_n","type":"function","function":{"name":"t","arguments":"{}"}}]},{"role":"tool","tool_call_id":"call_n","content":"out\\u0000put"}]}',
    });
    await response.arrayBuffer();
    expect(response.status).toBe(200);
    const spanId = response.headers.get('x-gantry-span-id')!;
    expect(await ledgerIds([spanId])).toEqual([spanId]);
  });

  it('stores NUL and lone surrogates in user, message text, tool arguments and the answer as sent, and the runs API returns them unchanged', async () => {
    stack.mock.script('llama3', [{ text: 'answer \u0000 \ud800 end' }]);
    const body =
      '{"model":"fast","user":"\\ud800","messages":[' +
      '{"role":"user","content":"a\\u0000b\\udc00c"},' +
      '{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"lookup","arguments":"{\\"q\\":\\"\\\\u0000\\\\ud800\\"}"}}]},' +
      '{"role":"tool","tool_call_id":"call_1","content":"found \\u0000"}]}';
    const sent = JSON.parse(body) as { user: string; messages: [{ content: string }, { tool_calls: [{ function: { arguments: string } }] }, { content: string }] };
    // A one-call run, which reserves nothing per call: a named run's reservation (reserveInLedger)
    // does not yet escape such text, and answers 503 (a follow-up outside this change).
    const { status, spanId, runId } = await post(MASTER_KEY, body);
    expect(status).toBe(200);
    await stack.flush();

    const response = await fetch(`${stack.url}/v1/runs/${runId}/spans/${spanId}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    expect(response.status).toBe(200);
    const span = JSON.parse(await response.text()) as { request: { user: string; messages: Array<{ content: Array<{ text?: string; arguments?: string }> }> }; result: { choices: Array<{ content: Array<{ text: string }> }> } };
    expect(span.request.user).toBe(sent.user);
    expect(span.request.messages[0]!.content).toEqual([{ type: 'text', text: sent.messages[0].content }]);
    expect(JSON.stringify(span.request.messages[1])).toContain(JSON.stringify(sent.messages[1].tool_calls[0].function.arguments).slice(1, -1));
    expect(JSON.stringify(span.request.messages[2])).toContain(JSON.stringify(sent.messages[2].content).slice(1, -1));
    expect(span.result.choices[0]!.content).toEqual([{ type: 'text', text: 'answer \u0000 \ud800 end' }]);
    expect(stack.gateway.services.recorder.getStats()).toMatchObject({ refused: 0, buffered: 0 });
    stack.mock.script('llama3', [{}]);
  });

  it("writes everyone else's ledger entries and spans when one call's usage is beyond what the database holds", async () => {
    const [hostileKey, otherKey] = [(await key()).key, (await key()).key];
    const hostile = await post(hostileKey, '{"model":"local/absurd","messages":[{"role":"user","content":"hi"}]}');
    const other = await post(otherKey, '{"model":"fast","messages":[{"role":"user","content":"hi"}]}');
    expect([hostile.status, other.status]).toEqual([200, 200]);

    // Before, the batch holding the refused entry was retried forever: no entry landed for anyone.
    expect(await ledgerIds([hostile.spanId, other.spanId])).toEqual([other.spanId]);
    await stack.flush();
    expect(await getSpan(stack.database.db, other.spanId)).toMatchObject({ status: 'ok' });
    expect(await getSpan(stack.database.db, hostile.spanId)).toBeUndefined();
    expect(stack.gateway.services.recorder.refusedRows()).toContainEqual(expect.objectContaining({ table: 'spans', row: expect.objectContaining({ id: hostile.spanId }) }));

    const later = await post(otherKey, '{"model":"fast","messages":[{"role":"user","content":"again"}]}');
    expect(await ledgerIds([later.spanId])).toEqual([later.spanId]);
  });

  it("keeps every other key's budget leases syncing when one call under a budget costs beyond what the database holds", async () => {
    const [hostileKey, otherKey] = [await key(1_000), await key(1_000)];
    const hostile = await post(hostileKey.key, '{"model":"local/absurd","messages":[{"role":"user","content":"hi"}],"max_tokens":5}');
    const other = await post(otherKey.key, '{"model":"fast","messages":[{"role":"user","content":"hi"}],"max_tokens":5}');
    expect([hostile.status, other.status]).toEqual([200, 200]);

    // Before, the instance's lease sync failed on it forever (drain rejected), and every lease lapsed.
    expect(await ledgerIds([hostile.spanId, other.spanId])).toEqual([other.spanId]);
    const spent = await stack.database.db.execute<{ spent: string }>(`select spent_micros::text as spent from budget_counters where scope = 'budget:${otherKey.budgetId}'`);
    expect(Number(spent.rows[0]?.spent)).toBeGreaterThan(0);
    const later = await post(otherKey.key, '{"model":"fast","messages":[{"role":"user","content":"again"}],"max_tokens":5}');
    expect(later.status).toBe(200);
    expect(await ledgerIds([later.spanId])).toEqual([later.spanId]);
  });

  it('stores a request of several MiB as its size, hash and head, and records the other calls whole', async () => {
    const content = 'x'.repeat(3 * 1024 * 1024);
    const large = await post(MASTER_KEY, JSON.stringify({ model: 'fast', messages: [{ role: 'user', content }] }));
    const other = await post(MASTER_KEY, '{"model":"fast","messages":[{"role":"user","content":"small"}]}');
    expect([large.status, other.status]).toEqual([200, 200]);
    await stack.flush();

    const stored = await getSpan(stack.database.db, large.spanId);
    const request = stored?.request as { truncated: true; bytes: number; sha256: string; head: string };
    expect(request).toEqual({ truncated: true, bytes: expect.any(Number), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), head: expect.stringMatching(/^\{"type":"chat","version":1,"model":"fast","messages":\[\{"role":"user","content":\[\{"type":"text","text":"x+$/) });
    expect(request.bytes).toBeGreaterThan(content.length);
    expect(request.bytes).toBeLessThan(content.length + 1_000);
    expect(request.head).toHaveLength(16_384);
    // The raw exchange holds the upstream request body: truncated the same way.
    expect(stored?.raw).toMatchObject({ truncated: true });
    const small = await getSpan(stack.database.db, other.spanId);
    expect(small?.request).toMatchObject({ type: 'chat', messages: [{ role: 'user', content: [{ type: 'text', text: 'small' }] }] });
    // Only what is recorded is shortened: the provider got the whole request.
    const upstream = stack.mock.requests.find((each) => JSON.stringify(each.body).length > content.length);
    expect((upstream?.body as { messages: Array<{ content: string }> }).messages[0]!.content).toBe(content);
  });
});
