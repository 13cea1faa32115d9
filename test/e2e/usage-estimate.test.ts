import { getSpan, type Span } from '@gantry/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, chatCall, settledLedger } from '../support/budget-helpers.ts';
import { startStack, type Stack } from '../support/start-stack.ts';
import { storedSpan } from '../support/stored-span.ts';

/**
 * Counted by hand with the o200k BPE: the prompt `hi` is 3 (reply priming) + 4 (one message's
 * framing) + 1 = 8 tokens; `four words of answer` is 4 tokens. At $1/M input and $2/M output
 * such a call costs 8 + 8 = 16 micro-dollars.
 */
const PROMPT_TOKENS = 8;
const ANSWER = 'four words of answer';
const ANSWER_TOKENS = 4;

describe('answers without the provider’s usage', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: { pricing: { 'local/no-usage': { input: 1, output: 2 }, 'local/slow-stream': { input: 1, output: 2 } } } });
    stack.mock.script('no-usage', [{ text: ANSWER, omitUsage: true }]);
    stack.mock.script('slow-stream', [{ text: 'x'.repeat(400), chunkSize: 4, chunkDelayMs: 50 }]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function budgetedKey(): Promise<{ id: string; key: string; scope: string }> {
    const key = (await adminCall<{ id: string; key: string }>(stack.url, 'POST', '/admin/keys', { name: `estimate-${Math.random()}` })).json;
    const budget = (await adminCall<{ id: string }>(stack.url, 'POST', '/admin/budgets', { scope: 'key', scope_id: key.id, period: 'day', limit_usd: 1 })).json;
    return { ...key, scope: `budget:${budget.id}` };
  }

  it('settles a call whose server sent no usage at the tokens Gantry counted, not at nothing', async () => {
    const key = await budgetedKey();
    const response = await chatCall(stack.url, key.key, 'local/no-usage');
    expect(response.status).toBe(200);
    const body = (await response.json()) as { usage?: unknown; choices: { message: { content: string } }[] };
    expect(body.choices[0]!.message.content).toBe(ANSWER);
    const span = await storedSpan(stack, response.headers.get('x-gantry-span-id'));
    expect(span).toMatchObject({ inputTokens: PROMPT_TOKENS, outputTokens: ANSWER_TOKENS, costMicros: 16 });
    expect(span.attributes).toMatchObject({ usage_estimated: true });
    expect(span.attributes).not.toHaveProperty('usage_reported');

    await stack.gateway.services.budgets.drain();
    const ledger = await settledLedger(stack.database, { apiKeyId: key.id, scope: key.scope });
    expect(ledger).toMatchObject({ settled: 16, settledCount: 1, reservedOfReleased: 0 });
  });

  it('does the same for a stream without a usage chunk, and sends the client none', async () => {
    const key = await budgetedKey();
    const stream = await stack.openai(key.key).chat.completions.create({ model: 'local/no-usage', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } }).withResponse();
    let text = '';
    let usageChunks = 0;
    for await (const chunk of stream.data) {
      text += chunk.choices[0]?.delta.content ?? '';
      if (chunk.usage) usageChunks += 1;
    }
    expect(text).toBe(ANSWER);
    expect(usageChunks).toBe(0);
    const span = await storedSpan(stack, stream.response.headers.get('x-gantry-span-id'));
    expect(span).toMatchObject({ inputTokens: PROMPT_TOKENS, outputTokens: ANSWER_TOKENS, costMicros: 16 });
    expect(span.attributes).toMatchObject({ usage_estimated: true });
    await stack.gateway.services.budgets.drain();
    expect(await settledLedger(stack.database, { apiKeyId: key.id, scope: key.scope })).toMatchObject({ settled: 16, settledCount: 1 });
  });

  it('charges a stream the client cut for the prompt and what it was sent', async () => {
    const key = await budgetedKey();
    const controller = new AbortController();
    const response = await fetch(`${stack.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'local/slow-stream', messages: [{ role: 'user', content: 'hi' }], stream: true }),
      signal: controller.signal,
    });
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let received = '';
    while (!received.includes('xxxx')) received += new TextDecoder().decode((await reader.read()).value);
    controller.abort();
    await reader.read().catch(() => undefined);

    // The upstream call is cancelled with the client's (as chat-streaming tests), then recorded.
    for (let waited = 0; waited < 5_000 && stack.mock.requests.at(-1)?.aborted !== true; waited += 50) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(stack.mock.requests.at(-1)).toMatchObject({ model: 'slow-stream', aborted: true });
    const spanId = response.headers.get('x-gantry-span-id');
    let span: Span | undefined;
    for (let waited = 0; waited < 5_000 && span === undefined; waited += 50) {
      await stack.flush();
      span = await getSpan(stack.database.db, spanId!);
      if (span === undefined) await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(span).toMatchObject({ status: 'error', inputTokens: PROMPT_TOKENS });
    expect(span!.attributes).toMatchObject({ usage_estimated: true });
    // 'xxxx' is one token per delta in o200k, and the stream was cut after at least one delta.
    expect(span!.outputTokens).toBeGreaterThan(0);
    expect(span!.outputTokens).toBeLessThan(100);
    expect(span!.costMicros).toBe(PROMPT_TOKENS + 2 * span!.outputTokens);
    await stack.gateway.services.budgets.drain();
    const ledger = await settledLedger(stack.database, { apiKeyId: key.id, scope: key.scope });
    expect(ledger).toMatchObject({ settled: span!.costMicros, settledCount: 1, reservedOfReleased: 0 });
  });
});
