import { randomBytes } from 'node:crypto';
import type { ResponseCache } from '@gantry/cache';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../agents/run-tree.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

const DIMENSIONS = 40;

/** A unit vector with `similarity` to axis `anchor` and the rest along axis `side` (so the cosine to the anchor is exactly `similarity`). */
function near(anchor: number, side: number, similarity: number): number[] {
  const vector = new Array<number>(DIMENSIONS).fill(0);
  vector[anchor] = similarity;
  vector[side] = Math.sqrt(1 - similarity ** 2);
  return vector;
}

/**
 * The semantic cache end to end, with embeddings scripted per text so every similarity is exact:
 * an entry explores until its labels say where its answers stay right, then serves; a slot swap
 * (higher similarity than the paraphrases, another answer) is never served once labelled; another
 * team never sees the entry; later turns are matched exactly only.
 */
describe('semantic response cache', () => {
  let stack: Stack;
  const tag = randomBytes(4).toString('hex');
  const chatModel = `sem-${tag}`;
  const vectors: Record<string, number[]> = {};
  const answers = new Map<string, string>();
  let otherTeamKey: string;

  /** A prompt with its vector and the answer the model gives it. */
  const prompt = (text: string, vector: number[], answer: string) => {
    vectors[text] = vector;
    answers.set(text, answer);
    return text;
  };

  beforeAll(async () => {
    stack = await startStack({
      config: {
        cache: { mode: 'exact', models: { [`local/${chatModel}`]: { mode: 'semantic' } }, semantic: { embedding_model: `local/embed-${tag}`, judge: 'exact', delta: 0.1 } },
        pricing: { [`local/${chatModel}`]: { input: 1, output: 2 } },
      },
    });
    stack.mock.respond(`embed-${tag}`, () => ({ vectors, embeddingDimensions: DIMENSIONS }));
    stack.mock.respond(chatModel, (body) => {
      const messages = body.messages as { role: string; content: string }[];
      return { text: answers.get(messages.at(-1)!.content) ?? 'no scripted answer', usage: { input: 10, output: 4 } };
    });
    const team = (await requestJson<{ id: string }>(`${stack.url}/admin/teams`, MASTER_KEY, { method: 'POST', body: { name: `sem-other-${tag}` } })).body;
    otherTeamKey = (await requestJson<{ key: string }>(`${stack.url}/admin/keys`, MASTER_KEY, { method: 'POST', body: { name: 'other', team_id: team.id } })).body.key;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const settled = async () => {
    await new Promise((resolve) => setImmediate(resolve));
    await (stack.gateway.services.middleware.find((each) => each.name === 'cache') as ResponseCache).flush();
  };
  const ask = async (text: string, options: { key?: string; stream?: boolean; history?: { role: 'user' | 'assistant'; content: string }[] } = {}) => {
    const messages = [{ role: 'system' as const, content: 'You convert units.' }, ...(options.history ?? []), { role: 'user' as const, content: text }];
    if (options.stream === true) {
      const { data, response } = await stack.openai(options.key).chat.completions.create({ model: `local/${chatModel}`, messages, stream: true }).withResponse();
      let content = '';
      for await (const chunk of data) content += chunk.choices[0]?.delta.content ?? '';
      await settled();
      return { cache: response.headers.get('x-gantry-cache'), content };
    }
    const { data, response } = await stack.openai(options.key).chat.completions.create({ model: `local/${chatModel}`, messages }).withResponse();
    await settled();
    return { cache: response.headers.get('x-gantry-cache'), content: data.choices[0]!.message.content };
  };

  it('labels an entry with every exploration, and never serves a slot swap that scores above the paraphrases', async () => {
    const anchor = prompt('Convert 10 miles to km', near(0, 1, 1), '16.09 km');
    expect((await ask(anchor)).cache).toBe('miss');
    const served: { text: string; content: string | null; expected: string }[] = [];
    let slotSwapsServed = 0;
    for (let round = 0; round < 30; round++) {
      // Paraphrases (same answer) at 0.93-0.99; slot swaps (the reverse conversion) at 0.985, each on an axis of its own.
      const paraphrase = prompt(`How many kilometres are 10 miles? (${round})`, near(0, 1, 0.93 + (round % 7) * 0.01), '16.09 km');
      const swap = prompt(`Convert 10 km to miles (${round})`, near(0, 2 + (round % 30), 0.985), '6.21 miles');
      const first = await ask(paraphrase);
      if (first.cache === 'hit-semantic') served.push({ text: paraphrase, content: first.content, expected: '16.09 km' });
      const second = await ask(swap);
      if (second.cache === 'hit-semantic') slotSwapsServed += 1;
      expect(second.content).toBe('6.21 miles');
    }
    expect(slotSwapsServed).toBe(0);
    // Every answer served from the entry was right for its prompt.
    for (const hit of served) expect(hit.content, hit.text).toBe(hit.expected);
    // The entry holds the judged outcomes: paraphrases right, slot swaps wrong, at their similarities.
    const { rows } = await stack.database.db.execute<{ observations: { similarity: number; correct: boolean }[] }>(sql`select observations from cache_semantic_entries where prompt = ${anchor}`);
    const observations = rows[0]!.observations;
    expect(observations.length).toBe(60 - served.length);
    expect(observations.filter((each) => !each.correct).every((each) => Math.abs(each.similarity - 0.985) < 1e-6)).toBe(true);
    expect(observations.filter((each) => !each.correct)).toHaveLength(30);
  });

  it('serves a clean entry once it has enough right labels, as JSON and as a stream', async () => {
    const anchor = prompt('Convert 5 feet to metres', near(35, 36, 1), '1.524 m');
    expect((await ask(anchor)).cache).toBe('miss');
    const outcomes: string[] = [];
    // With no wrong label yet, the bound on the error falls only as labels add up (about 2.3/n at
    // 90%): at δ = 0.1 some two dozen explorations, at the default 0.02 over a hundred.
    for (let round = 0; round < 60 && !outcomes.includes('hit-semantic'); round++) {
      const paraphrase = prompt(`5 ft in metres, please (${round})`, near(35, 36, 0.97 + (round % 3) * 0.01), '1.524 m');
      const answer = await ask(paraphrase);
      expect(answer.content).toBe('1.524 m');
      outcomes.push(answer.cache!);
    }
    expect(outcomes.slice(0, 8).every((outcome) => outcome === 'miss')).toBe(true);
    expect(outcomes).toContain('hit-semantic');

    // Near-certain now: a stream is served from the entry too (retry a few times: exploration stays possible).
    let streamed: { cache: string | null; content: string | null } | undefined;
    for (let round = 0; round < 10 && streamed?.cache !== 'hit-semantic'; round++) {
      streamed = await ask(prompt(`How many metres is five feet? (${round})`, near(35, 36, 0.99), '1.524 m'), { stream: true });
      expect(streamed.content).toBe('1.524 m');
    }
    expect(streamed?.cache).toBe('hit-semantic');

    // Another team shares nothing: its first look is a miss with no neighbour to explore.
    const other = await ask(prompt('Five feet in metres? (other team)', near(35, 36, 0.995), '1.524 m'), { key: otherTeamKey });
    expect(other.cache).toBe('miss');
  });

  it('matches later turns exactly only: an assistant message in the history keeps them out of the semantic path', async () => {
    const text = prompt('And 20 miles?', near(0, 1, 0.999), '32.19 km');
    const history = [{ role: 'user' as const, content: 'Convert 10 miles to km' }, { role: 'assistant' as const, content: '16.09 km' }];
    const first = await ask(text, { history });
    expect(first).toEqual({ cache: 'miss', content: '32.19 km' });
    const again = await ask(text, { history });
    expect(again.cache).toBe('hit-exact');
  });
});
