import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chatCall } from '../support/budget-helpers.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

/** The model label of every sample line of `name` in a Prometheus text scrape. */
function modelLabels(text: string, name: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith(`${name}{`))
    .map((line) => /model="((?:[^"\\]|\\.)*)"/.exec(line)?.[1] ?? '');
}

/** Every series of Gantry's own metrics (name and labels, without the value), in scrape order. */
function gantrySeries(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('gantry_'))
    .map((line) => line.slice(0, line.lastIndexOf(' ')));
}

function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((each) => each.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe('hostile input: client-chosen names in /metrics and response headers', () => {
  let stack: Stack;

  beforeAll(async () => {
    stack = await startStack();
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function scrape(): Promise<string> {
    await stack.flush();
    const response = await fetch(`${stack.url}/metrics`);
    expect(response.status).toBe(200);
    return response.text();
  }

  it('labels only configured models; any other model name a client sends counts as other', async () => {
    const names = 60;
    // Scraping counts a request too: one scrape first, so the series compared below exist in both.
    await scrape();
    expect((await chatCall(stack.url, MASTER_KEY, 'fast')).status).toBe(200);
    // The configured provider serves any model name after `local/`: each one made up by the client.
    for (let index = 0; index < names; index++) expect((await chatCall(stack.url, MASTER_KEY, `local/made-up-${index}`)).status).toBe(200);
    const text = await scrape();
    for (const metric of ['gantry_llm_calls_total', 'gantry_tokens_total']) {
      expect(modelLabels(text, metric).filter((model) => model.includes('made-up')), metric).toEqual([]);
    }
    expect(sample(text, 'gantry_llm_calls_total{provider="local",model="llama3",status="ok"}')).toBe(1);
    expect(sample(text, 'gantry_llm_calls_total{provider="local",model="other",status="ok"}')).toBe(names);
    // More made-up names add no series.
    for (let index = names; index < 2 * names; index++) expect((await chatCall(stack.url, MASTER_KEY, `local/made-up-${index}`)).status).toBe(200);
    const again = await scrape();
    expect(sample(again, 'gantry_llm_calls_total{provider="local",model="other",status="ok"}')).toBe(2 * names);
    expect(gantrySeries(again)).toEqual(gantrySeries(text));
  });

  it('cuts x-gantry-target to 256 characters for a 100 KB model name, streamed or not', async () => {
    const model = `local/${'m'.repeat(100_000)}`;
    for (const stream of [false, true]) {
      const response = await chatCall(stack.url, MASTER_KEY, model, { body: { stream } });
      expect(response.status, `stream ${stream}`).toBe(200);
      const target = response.headers.get('x-gantry-target') ?? '';
      expect(target).toHaveLength(256);
      expect(target).toBe(`local/${'m'.repeat(247)}...`);
      await response.text();
    }
  });

  it('percent-encodes characters a header cannot carry instead of failing the response', async () => {
    for (const stream of [false, true]) {
      const response = await chatCall(stack.url, MASTER_KEY, 'local/模型\nnext\ud800', { body: { stream } });
      expect(response.status, `stream ${stream}`).toBe(200);
      expect(response.headers.get('x-gantry-target')).toBe('local/%E6%A8%A1%E5%9E%8B%0Anext%EF%BF%BD');
      expect(await response.text()).toContain('Hello fr');
    }
  });
});
