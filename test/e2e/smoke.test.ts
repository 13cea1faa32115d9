import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/start-stack.ts';
import { openaiSchemaErrors } from '../support/openai-schemas.ts';

describe('gateway spine', () => {
  let stack: Stack;
  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('answers a chat completion through the official SDK', async () => {
    const completion = await stack.openai().chat.completions.create({ model: 'fast', messages: [{ role: 'user', content: 'hi' }] });
    expect(completion.choices[0]?.message.content).toBe('Hello from the mock provider.');
    expect(openaiSchemaErrors('CreateChatCompletionResponse', completion)).toEqual([]);
  });
});
