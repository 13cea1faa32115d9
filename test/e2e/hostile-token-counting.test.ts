import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCall, chatCall } from '../support/budget-helpers.ts';
import { startStack, type Stack } from '../support/start-stack.ts';

describe('hostile input: prompts the tokenizer used to choke on', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack({ config: { pricing: { 'local/counted': { input: 1, output: 2 } } } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('counts a prompt holding a special token like any text, on a key whose budget needs the count', async () => {
    const key = (await adminCall<{ id: string; key: string }>(stack.url, 'POST', '/admin/keys', { name: 'special-token' })).json;
    await adminCall(stack.url, 'POST', '/admin/budgets', { scope: 'key', scope_id: key.id, period: 'day', limit_usd: 1 });
    const response = await chatCall(stack.url, key.key, 'local/counted', { body: { messages: [{ role: 'user', content: 'quote this: <|endoftext|> and <|im_start|>' }] } });
    expect(response.status).toBe(200);
  });

  it('answers a prompt of one character repeated for megabytes without stalling other calls', async () => {
    const key = (await adminCall<{ id: string; key: string }>(stack.url, 'POST', '/admin/keys', { name: 'long-run', limits: { tpm: 100_000_000 } })).json;
    const flood = chatCall(stack.url, key.key, 'local/counted', { body: { messages: [{ role: 'user', content: 'a'.repeat(2_000_000) }] } });
    const other = await chatCall(stack.url, key.key, 'local/counted');
    expect(other.status).toBe(200);
    expect((await flood).status).toBe(200);
  });
});
