import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from '../support/start-stack.ts';

const hi = [{ role: 'user' as const, content: 'hi' }];

describe('routing: strategies', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack({
      config: {
        models: {
          spread: { strategy: 'weighted', targets: [{ target: 'local/ws-heavy', weight: 3 }, { target: 'local/ws-light', weight: 1 }] },
          quick: { strategy: 'least-latency', targets: ['local/ll-slow', 'local/ll-fast'] },
        },
      },
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function targetFor(model: string): Promise<string | null> {
    const { response } = await stack.openai().chat.completions.create({ model, messages: hi }).withResponse();
    return response.headers.get('x-gantry-target');
  }

  it('spreads calls roughly by weight', async () => {
    const counts = new Map<string | null, number>();
    for (let call = 0; call < 160; call++) {
      const target = await targetFor('spread');
      counts.set(target, (counts.get(target) ?? 0) + 1);
    }
    // Expected share 0.75; the bounds are more than four standard deviations wide.
    const heavyShare = (counts.get('local/ws-heavy') ?? 0) / 160;
    expect(heavyShare).toBeGreaterThan(0.6);
    expect(heavyShare).toBeLessThan(0.9);
    expect(counts.get('local/ws-light') ?? 0).toBeGreaterThan(0);
  });

  it('sends calls to the target with the lowest recent latency once each was measured', async () => {
    stack.mock.script('ll-slow', [{ text: 'slow', latencyMs: 200 }]);
    stack.mock.script('ll-fast', [{ text: 'fast' }]);
    const targets: (string | null)[] = [];
    for (let call = 0; call < 8; call++) targets.push(await targetFor('quick'));
    expect(new Set(targets.slice(0, 2))).toEqual(new Set(['local/ll-slow', 'local/ll-fast']));
    expect(targets.slice(2).every((target) => target === 'local/ll-fast')).toBe(true);
  });
});
