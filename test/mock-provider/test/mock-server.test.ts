import { describe, expect, it } from 'vitest';
import { startMockProvider } from '../index.ts';
import { eventually, uniqueModel, useMockProvider } from './wire-test-kit.ts';

const mock = useMockProvider();
const messages = [{ role: 'user', content: 'hi' }];

async function chatText(model: string): Promise<string> {
  const { body } = await mock.postJson('/v1/chat/completions', { model, messages });
  return (body.choices as { message: { content: string } }[])[0]?.message.content ?? '';
}

describe('mock provider: scripts', () => {
  it('gives each request the next step and repeats the last one', async () => {
    const model = uniqueModel('sequence');
    mock.provider.script(model, [{ text: 'one' }, { text: 'two' }]);
    expect([await chatText(model), await chatText(model), await chatText(model)]).toEqual(['one', 'two', 'two']);
  });

  it('answers the default step when no script matches the model', async () => {
    expect(await chatText(uniqueModel('unscripted'))).toBe('Hello from the mock provider.');
  });

  it('registers scripts, lists requests and resets over the control API', async () => {
    const provider = await startMockProvider();
    try {
      const model = uniqueModel('control');
      const registered = await fetch(`${provider.url}/_mock/scripts`, { method: 'POST', body: JSON.stringify({ name: model, steps: [{ text: 'scripted over http' }] }) });
      expect(registered.status).toBe(201);
      const invalid = await fetch(`${provider.url}/_mock/scripts`, { method: 'POST', body: JSON.stringify({ steps: 'nope' }) });
      expect(invalid.status).toBe(400);
      const completion = await fetch(`${provider.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer sk-test' }, body: JSON.stringify({ model, messages, stream_options: { include_usage: true } }) });
      expect(((await completion.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe('scripted over http');

      const log = (await (await fetch(`${provider.url}/_mock/requests`)).json()) as Record<string, unknown>[];
      expect(log).toEqual([
        {
          method: 'POST',
          path: '/v1/chat/completions',
          headers: expect.objectContaining({ authorization: 'Bearer sk-test' }),
          body: { model, messages, stream_options: { include_usage: true } },
          model,
          format: 'openai',
          receivedAt: expect.any(Number),
          aborted: false,
          completed: true,
        },
      ]);
      const requests = provider.requests;
      expect((await fetch(`${provider.url}/_mock/scripts`, { method: 'DELETE' })).status).toBe(204);
      expect(requests).toHaveLength(0);
      expect(provider.requests).toBe(requests);
      const after = await fetch(`${provider.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model, messages }) });
      expect(((await after.json()) as { choices: { message: { content: string } }[] }).choices[0]?.message.content).toBe('Hello from the mock provider.');
    } finally {
      await provider.close();
    }
  });

  it('keeps the latest requests, at most maxRequests of them, in the same array', async () => {
    const provider = await startMockProvider({ maxRequests: 4 });
    try {
      const requests = provider.requests;
      const models: string[] = [];
      for (let index = 0; index < 7; index++) {
        const model = uniqueModel(`bounded-${index}`);
        models.push(model);
        await fetch(`${provider.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model, messages }) });
      }
      // The fifth request dropped the oldest three (down to half of 4), the next two were kept.
      expect(provider.requests).toBe(requests);
      expect(requests.map((request) => request.model)).toEqual(models.slice(3));
    } finally {
      await provider.close();
    }
    const single = await startMockProvider({ maxRequests: 1 });
    try {
      for (const model of ['first', 'second', 'third']) await fetch(`${single.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model, messages }) });
      expect(single.requests.map((request) => request.model)).toEqual(['third']);
    } finally {
      await single.close();
    }
  });

  it('answers unknown routes with 404', async () => {
    const response = await fetch(`${mock.provider.url}/v2/unknown`, { method: 'POST', body: '{}' });
    expect(response.status).toBe(404);
  });
});

describe('mock provider: faults and timing', () => {
  it('records a hanging request as aborted when the client goes away', async () => {
    const model = uniqueModel('hang');
    mock.provider.script(model, [{ hang: true }]);
    const controller = new AbortController();
    const aborting = fetch(`${mock.provider.url}/v1/chat/completions`, { method: 'POST', body: JSON.stringify({ model, messages }), signal: controller.signal }).catch((error: unknown) => error);
    await eventually(() => mock.provider.requests.some((request) => request.model === model));
    const recorded = mock.provider.requests.find((request) => request.model === model);
    expect(recorded).toMatchObject({ aborted: false, completed: false });
    controller.abort();
    expect(await aborting).toBeInstanceOf(Error);
    await eventually(() => recorded?.aborted === true);
    expect(recorded?.completed).toBe(false);
  });

  it('cuts the connection after N content chunks without a terminator, and does not call it an abort', async () => {
    const model = uniqueModel('disconnect');
    mock.provider.script(model, [{ text: 'abcdefghijkl', chunkSize: 4, disconnectAfterChunks: 2 }]);
    const response = await mock.post('/v1/chat/completions', { model, messages, stream: true });
    expect(response.status).toBe(200);
    const reader = response.body?.getReader();
    let received = '';
    const decoder = new TextDecoder();
    const failure = await (async () => {
      try {
        for (;;) {
          const { done, value } = (await reader?.read()) ?? { done: true, value: undefined };
          if (done) return null;
          received += decoder.decode(value, { stream: true });
        }
      } catch (error) {
        return error;
      }
    })();
    expect(failure).toBeInstanceOf(Error);
    expect(received).toContain('"content":"efgh"');
    expect(received).not.toContain('ijkl');
    expect(received).not.toContain('[DONE]');
    await eventually(() => mock.provider.requests.some((request) => request.model === model));
    expect(mock.provider.requests.find((request) => request.model === model)).toMatchObject({ aborted: false, completed: false });
  });

  it('waits at least latencyMs before the headers and firstTokenMs before content', async () => {
    const model = uniqueModel('latency');
    mock.provider.script(model, [{ latencyMs: 60, firstTokenMs: 60, chunkDelayMs: 1 }]);
    const started = performance.now();
    const response = await mock.post('/v1/chat/completions', { model, messages, stream: true });
    const headersAt = performance.now() - started;
    await response.text();
    const doneAt = performance.now() - started;
    // lower bounds only: timers never fire meaningfully early, but may fire late on a busy machine
    expect(headersAt).toBeGreaterThanOrEqual(55);
    expect(doneAt).toBeGreaterThanOrEqual(115);
  });

  it('closes while a request hangs', async () => {
    const provider = await startMockProvider();
    const model = uniqueModel('hang-close');
    provider.script(model, [{ hang: true }]);
    const pending = fetch(`${provider.url}/v1/messages`, { method: 'POST', body: JSON.stringify({ model, messages }) }).catch((error: unknown) => error);
    await eventually(() => provider.requests.length === 1);
    await provider.close();
    expect(await pending).toBeInstanceOf(Error);
    expect(provider.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });
});
