import { APIError } from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedRequest } from '../mock-provider/index.ts';
import { startStack, type Stack } from '../support/start-stack.ts';

const hi = [{ role: 'user' as const, content: 'hi' }];

describe('routing: streams fall back only before their first event', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      config: {
        models: {
          cutEarly: { targets: ['local/rs-cut0', 'local/rs-ok'] },
          errorEarly: { targets: ['local/rs-error0', 'local/rs-ok'] },
          slowStart: { targets: [{ target: 'local/rs-slow', first_token_timeout_ms: 300 }, 'local/rs-ok'] },
          cutLate: { targets: ['local/rs-cut-mid', 'local/rs-never'] },
        },
      },
    });
    stack.mock.script('rs-ok', [{ text: 'the whole answer from the backup', chunkSize: 5 }]);
  });
  afterAll(async () => {
    await stack?.close();
  });

  const requestsTo = (model: string): RecordedRequest[] => stack.mock.requests.filter((request) => request.model === model);

  async function streamText(model: string) {
    const { data: stream, response } = await stack.openai().chat.completions.create({ model, messages: hi, stream: true }).withResponse();
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    return { text, response };
  }

  it('falls back transparently when the connection drops before the first token', async () => {
    stack.mock.script('rs-cut0', [{ text: 'never seen', disconnectAfterChunks: 0 }]);
    const { text, response } = await streamText('cutEarly');
    expect(text).toBe('the whole answer from the backup');
    expect(response.headers.get('x-gantry-target')).toBe('local/rs-ok');
    expect(response.headers.get('x-gantry-attempts')).toBe('2');
    expect(requestsTo('rs-cut0')).toHaveLength(1);
  });

  it('falls back transparently when the provider sends an error event before the first token', async () => {
    stack.mock.script('rs-error0', [{ text: 'never seen', errorEventAfterChunks: 0 }]);
    const { text, response } = await streamText('errorEarly');
    expect(text).toBe('the whole answer from the backup');
    expect(response.headers.get('x-gantry-target')).toBe('local/rs-ok');
  });

  it('moves on when the first token does not come within first_token_timeout_ms', async () => {
    stack.mock.script('rs-slow', [{ text: 'too late', firstTokenMs: 10_000 }]);
    const { text, response } = await streamText('slowStart');
    expect(text).toBe('the whole answer from the backup');
    expect(response.headers.get('x-gantry-target')).toBe('local/rs-ok');
  });

  it('ends a stream cut after its first tokens with an error the SDK raises, without switching target', async () => {
    stack.mock.script('rs-cut-mid', [{ text: 'a long answer that is cut in the middle', chunkSize: 4, disconnectAfterChunks: 2 }]);
    const stream = await stack.openai().chat.completions.create({ model: 'cutLate', messages: hi, stream: true });
    let text = '';
    const error = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().then(() => undefined, (caught: unknown) => caught);
    expect(text).toBe('a long a');
    expect(error).toBeInstanceOf(APIError);
    expect((error as APIError).message).toContain('provider local');
    expect(requestsTo('rs-never')).toHaveLength(0);
  });
});
