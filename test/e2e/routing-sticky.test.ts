import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import OpenAI from 'openai';
import { getRun } from '@gantry/db';
import { createGateway } from '@gantry/gateway';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

/** Run ids unique to this execution, so a database reused across runs never meets them twice. */
const runTag = randomUUID().slice(0, 8);
const id = (name: string) => `${name}-${runTag}`;

const hi = [{ role: 'user' as const, content: 'hi' }];

describe('routing: run-sticky fallback', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      config: {
        models: {
          sticky: { targets: ['local/sk-a', 'local/sk-b', 'local/sk-c'] },
          loose: { targets: ['local/sk-loose-a', 'local/sk-loose-b'], sticky: 'none' },
          brief: { targets: ['local/sk-brief-a', 'local/sk-brief-b'], sticky_ttl_ms: 300 },
        },
        routing: { breaker: { failure_threshold: 1_000, min_requests: 1_000 } },
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function targetFor(model: string, headers: Record<string, string> = {}): Promise<string | null> {
    const { response } = await stack.openai().chat.completions.create({ model, messages: hi }, { headers }).withResponse();
    return response.headers.get('x-gantry-target');
  }

  it('keeps a run and its sub-runs on the target it first moved to, after the primary recovered', async () => {
    // The primary fails once, then is healthy again.
    stack.mock.script('sk-a', [{ status: 503 }, { text: 'a' }]);
    stack.mock.script('sk-b', [{ text: 'b' }]);
    expect(await targetFor('sticky', { 'x-gantry-run-id': id('sticky-run') })).toBe('local/sk-b');
    expect(await targetFor('sticky', { 'x-gantry-run-id': id('sticky-run') })).toBe('local/sk-b');
    expect(await targetFor('sticky', { 'x-gantry-run-id': id('sticky-run-sub'), 'x-gantry-parent-run-id': id('sticky-run') })).toBe('local/sk-b');
    expect(await targetFor('sticky', { 'x-gantry-run-id': id('sticky-run-sub-sub'), 'x-gantry-parent-run-id': id('sticky-run-sub') })).toBe('local/sk-b');
    expect(stack.mock.requests.filter((request) => request.model === 'sk-a')).toHaveLength(1);

    // Other runs, and calls outside runs, use the primary again.
    expect(await targetFor('sticky', { 'x-gantry-run-id': id('another-run') })).toBe('local/sk-a');
    expect(await targetFor('sticky')).toBe('local/sk-a');

    // The pin is on the root run, where every instance reads it.
    const root = await getRun(stack.database.db, id('sticky-run'));
    expect(root?.pinnedTargets.sticky?.target).toBe('local/sk-b');
  });

  it('keeps the pin when the pinned target fails, falling back for that call only', async () => {
    stack.mock.script('sk-a', [{ status: 503 }, { text: 'a' }]);
    stack.mock.script('sk-b', [{ text: 'b' }]);
    expect(await targetFor('sticky', { 'x-gantry-run-id': id('pinned-fails') })).toBe('local/sk-b');
    stack.mock.script('sk-b', [{ status: 503 }, { text: 'b' }]);
    expect(await targetFor('sticky', { 'x-gantry-run-id': id('pinned-fails') })).toBe('local/sk-a');
    expect(await targetFor('sticky', { 'x-gantry-run-id': id('pinned-fails') })).toBe('local/sk-b');
  });

  it('agrees across gateway instances sharing the database', async () => {
    stack.mock.script('sk-a', [{ status: 503 }, { text: 'a' }]);
    stack.mock.script('sk-b', [{ text: 'b' }]);
    expect(await targetFor('sticky', { 'x-gantry-run-id': id('shared-run') })).toBe('local/sk-b');
    const other = await createGateway(stack.gateway.services.config, { database: stack.database });
    try {
      await other.app.listen({ host: '127.0.0.1', port: 0 });
      const { port } = other.app.server.address() as AddressInfo;
      const client = new OpenAI({ apiKey: MASTER_KEY, baseURL: `http://127.0.0.1:${port}/v1`, maxRetries: 0 });
      const { response } = await client.chat.completions.create({ model: 'sticky', messages: hi }, { headers: { 'x-gantry-run-id': id('shared-run-sub'), 'x-gantry-parent-run-id': id('shared-run') } }).withResponse();
      expect(response.headers.get('x-gantry-target')).toBe('local/sk-b');
    } finally {
      await other.close();
    }
  });

  it('does not pin with sticky: none', async () => {
    stack.mock.script('sk-loose-a', [{ status: 503 }, { text: 'a' }]);
    expect(await targetFor('loose', { 'x-gantry-run-id': id('loose-run') })).toBe('local/sk-loose-b');
    expect(await targetFor('loose', { 'x-gantry-run-id': id('loose-run') })).toBe('local/sk-loose-a');
  });

  it('lets a pin lapse after sticky_ttl_ms', async () => {
    stack.mock.script('sk-brief-a', [{ status: 503 }, { text: 'a' }]);
    expect(await targetFor('brief', { 'x-gantry-run-id': id('brief-run') })).toBe('local/sk-brief-b');
    expect(await targetFor('brief', { 'x-gantry-run-id': id('brief-run') })).toBe('local/sk-brief-b');
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await targetFor('brief', { 'x-gantry-run-id': id('brief-run') })).toBe('local/sk-brief-a');
  });
});
