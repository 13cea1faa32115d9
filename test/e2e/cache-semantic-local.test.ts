import { randomBytes } from 'node:crypto';
import type { ResponseCache } from '@gantry/cache';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storedSpan } from '../support/stored-span.ts';
import { startStack, type Stack } from '../support/start-stack.ts';

/**
 * The semantic cache with `embedding_model: local`: prompts (and, for the embedding judge,
 * answers) are embedded by the built-in model on a worker thread, never by a provider.
 */
describe('semantic response cache with the local embedder', () => {
  let stack: Stack;
  const tag = randomBytes(4).toString('hex');
  const chatModel = `sem-local-${tag}`;
  const question = 'How do I reset my password?';
  const paraphrase = 'I forgot my password, how can I change it?';
  const answers: Record<string, string> = {
    [question]: 'Open Settings, choose Security, then click Reset password.',
    // Other words, same instructions: the embedding judge (threshold 0.9) labels the entry right.
    [paraphrase]: 'Go to Settings > Security and click Reset password.',
  };

  beforeAll(async () => {
    stack = await startStack({
      config: {
        cache: { mode: 'exact', models: { [`local/${chatModel}`]: { mode: 'semantic' } }, semantic: { embedding_model: 'local', judge: 'embedding' } },
        pricing: { [`local/${chatModel}`]: { input: 1, output: 2 } },
      },
    });
    stack.mock.respond(chatModel, (body) => {
      const messages = body.messages as { role: string; content: string }[];
      return { text: answers[messages.at(-1)!.content] ?? 'no scripted answer', usage: { input: 10, output: 4 } };
    });
  });
  afterAll(async () => {
    await stack?.close();
  });

  const settled = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    await (stack.gateway.services.middleware.find((each) => each.name === 'cache') as ResponseCache).flush();
  };
  const ask = async (text: string) => {
    const { data, response } = await stack
      .openai()
      .chat.completions.create({ model: `local/${chatModel}`, messages: [{ role: 'user', content: text }] })
      .withResponse();
    await settled();
    return { cache: response.headers.get('x-gantry-cache'), spanId: response.headers.get('x-gantry-span-id'), content: data.choices[0]!.message.content };
  };
  /** The entries of this test's model (its own partition, on a shared Postgres too) for a prompt. */
  const entryFor = async (prompt: string) => {
    const { rows } = await stack.database.db.execute<{ id: string; dimensions: number; stored: number; observations: { similarity: number; correct: boolean }[] }>(
      sql`select id, dimensions, vector_dims(embedding) as stored, observations from cache_semantic_entries where prompt = ${prompt} and target = ${`local/${chatModel}`}`,
    );
    return rows;
  };

  it('stores a first turn with a 512-dimension local embedding, finds it for a paraphrase, and never asks the provider to embed', async () => {
    const first = await ask(question);
    expect(first).toMatchObject({ cache: 'miss', content: answers[question] });
    const [entry] = await entryFor(question);
    expect(entry).toMatchObject({ dimensions: 512, stored: 512, observations: [] });

    // The entry has no labels yet, so the policy explores: a miss that finds the entry as its neighbour.
    const second = await ask(paraphrase);
    expect(second).toMatchObject({ cache: 'miss', content: answers[paraphrase] });
    const span = await storedSpan(stack, second.spanId);
    expect(span.attributes).toMatchObject({ cache: 'miss', cache_neighbour_id: entry!.id, cache_embedder: 'local', cache_explore: expect.stringMatching(/^0 of 8 labelled lookups/) });
    const similarity = span.attributes.cache_similarity as number;
    expect(similarity).toBeGreaterThan(0.8);

    // The fresh answer labelled the entry right (the local embedder judged the two answers alike),
    // so the paraphrase did not become an entry of its own.
    const [labelled] = await entryFor(question);
    expect(labelled!.observations).toEqual([{ similarity: expect.closeTo(similarity, 5), correct: true }]);
    expect(await entryFor(paraphrase)).toEqual([]);

    // Both chat calls reached the provider; no embedding ever did.
    const seen = stack.mock.requests.filter((request) => request.model === chatModel || request.path.includes('embeddings'));
    expect(seen.map((request) => request.model)).toEqual([chatModel, chatModel]);
  });
});
