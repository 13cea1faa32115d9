import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { listSpansOfRuns } from '@gantry/db';
import type { RecordedRequest } from '../mock-provider/index.ts';
import { startStack, type Stack } from '../support/start-stack.ts';

const hi = [{ role: 'user' as const, content: 'hi' }];

describe('routing: fallback, retries and timeouts', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      config: {
        models: {
          primary503: { targets: ['local/rf-503', 'local/rf-backup'] },
          limited: { targets: ['local/rf-429'], retry: { max_attempts: 2, base_delay_ms: 1, max_delay_ms: 5_000 } },
          impatient: { targets: ['local/rf-429-long'], retry: { max_attempts: 3, max_delay_ms: 1_000 } },
          hanging: { targets: [{ target: 'local/rf-hang', timeout_ms: 300 }, 'local/rf-hang-backup'] },
          big: { targets: ['local/rf-small'], context_window_fallback: 'local/rf-large' },
          careful: { targets: ['local/rf-strict'], content_policy_fallback: 'local/rf-lenient' },
          careful2: { targets: ['local/rf-strict2'], content_policy_fallback: 'local/rf-lenient-down' },
          only5xx: { targets: ['local/rf-only-429', 'local/rf-only-backup'], fallback_on: ['5xx'] },
        },
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const requestsTo = (model: string): RecordedRequest[] => stack.mock.requests.filter((request) => request.model === model);

  it('answers 200 from the backup when the primary returns 503, with x-gantry-target and x-gantry-attempts', async () => {
    stack.mock.script('rf-503', [{ status: 503 }]);
    stack.mock.script('rf-backup', [{ text: 'backup answered' }]);
    const { data, response } = await stack.openai().chat.completions.create({ model: 'primary503', messages: hi }).withResponse();
    expect(response.status).toBe(200);
    expect(data.choices[0]?.message.content).toBe('backup answered');
    expect(response.headers.get('x-gantry-target')).toBe('local/rf-backup');
    expect(response.headers.get('x-gantry-attempts')).toBe('2');
    expect(requestsTo('rf-503')).toHaveLength(1);
  });

  it('waits at least the Retry-After of a 429 before trying again', async () => {
    stack.mock.script('rf-429', [{ status: 429, headers: { 'retry-after': '1' } }, { text: 'after the wait' }]);
    const { data, response } = await stack.openai().chat.completions.create({ model: 'limited', messages: hi }).withResponse();
    expect(data.choices[0]?.message.content).toBe('after the wait');
    expect(response.headers.get('x-gantry-attempts')).toBe('2');
    const [first, second] = requestsTo('rf-429');
    expect(second!.receivedAt - first!.receivedAt).toBeGreaterThanOrEqual(1_000);
  });

  it('does not wait for a Retry-After longer than max_delay_ms: the 429 reaches the client with its header', async () => {
    stack.mock.script('rf-429-long', [{ status: 429, headers: { 'retry-after': '30' } }]);
    const error = await stack
      .openai()
      .chat.completions.create({ model: 'impatient', messages: hi })
      .then(() => undefined, (caught: unknown) => caught as { status: number; headers: Headers });
    expect(error?.status).toBe(429);
    expect(error?.headers.get('retry-after')).toBe('30');
    expect(requestsTo('rf-429-long')).toHaveLength(1);
  });

  it('gives up on a hanging target after its timeout_ms, cancels it, and answers from the next', async () => {
    stack.mock.script('rf-hang', [{ hang: true }]);
    stack.mock.script('rf-hang-backup', [{ text: 'not hanging' }]);
    const { data, response } = await stack.openai().chat.completions.create({ model: 'hanging', messages: hi }).withResponse();
    expect(data.choices[0]?.message.content).toBe('not hanging');
    expect(response.headers.get('x-gantry-target')).toBe('local/rf-hang-backup');
    let hung = requestsTo('rf-hang');
    for (let waited = 0; waited < 5_000 && hung[0]?.aborted !== true; waited += 50) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      hung = requestsTo('rf-hang');
    }
    expect(hung[0]?.aborted).toBe(true);
  });

  it('moves a request that exceeds the context window to context_window_fallback', async () => {
    stack.mock.script('rf-small', [
      { status: 400, errorBody: { error: { message: "This model's maximum context length is 8192 tokens.", type: 'invalid_request_error', param: 'messages', code: 'context_length_exceeded' } } },
    ]);
    stack.mock.script('rf-large', [{ text: 'plenty of room' }]);
    const { data, response } = await stack.openai().chat.completions.create({ model: 'big', messages: hi }).withResponse();
    expect(data.choices[0]?.message.content).toBe('plenty of room');
    expect(response.headers.get('x-gantry-target')).toBe('local/rf-large');
  });

  it('moves a content-policy refusal to content_policy_fallback', async () => {
    stack.mock.script('rf-strict', [{ text: '', finishReason: 'content_filter' }]);
    stack.mock.script('rf-lenient', [{ text: 'here you go' }]);
    const { data, response } = await stack.openai().chat.completions.create({ model: 'careful', messages: hi }).withResponse();
    expect(data.choices[0]?.message.content).toBe('here you go');
    expect(response.headers.get('x-gantry-target')).toBe('local/rf-lenient');
    expect(response.headers.get('x-gantry-attempts')).toBe('2');
  });

  it('keeps the refusal as the answer when content_policy_fallback fails too', async () => {
    stack.mock.script('rf-strict2', [{ text: '', finishReason: 'content_filter' }]);
    stack.mock.script('rf-lenient-down', [{ status: 503 }]);
    const { data, response } = await stack.openai().chat.completions.create({ model: 'careful2', messages: hi }).withResponse();
    expect(data.choices[0]?.finish_reason).toBe('content_filter');
    expect(response.headers.get('x-gantry-target')).toBe('local/rf-strict2');
    expect(requestsTo('rf-lenient-down')).toHaveLength(1);
  });

  it('falls back only on the conditions listed in fallback_on', async () => {
    stack.mock.script('rf-only-429', [{ status: 429 }]);
    const error = await stack
      .openai()
      .chat.completions.create({ model: 'only5xx', messages: hi })
      .then(() => undefined, (caught: unknown) => caught as { status: number });
    expect(error?.status).toBe(429);
    expect(requestsTo('rf-only-backup')).toHaveLength(0);
  });

  it('records every try as an attempt span with its outcome', async () => {
    stack.mock.script('rf-503', [{ status: 503 }]);
    const { response } = await stack.openai().chat.completions.create({ model: 'primary503', messages: hi }).withResponse();
    await stack.flush();
    const spanId = response.headers.get('x-gantry-span-id')!;
    const runSpans = await listSpansOfRuns(stack.database.db, [response.headers.get('x-gantry-run-id')!]);
    const attempts = runSpans.filter((span) => span.parentSpanId === spanId);
    const byModel = Object.fromEntries(attempts.map((span) => [span.model, span.status]));
    expect(attempts.every((span) => span.kind === 'attempt')).toBe(true);
    expect(byModel).toEqual({ 'rf-503': 'error', 'rf-backup': 'ok' });
  });
});
