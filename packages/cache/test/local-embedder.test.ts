import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_EMBEDDING_DIMENSIONS, LocalEmbedder } from '../src/semantic/local-embedder.ts';

function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let normA = 0;
  let normB = 0;
  for (let index = 0; index < a.length; index++) {
    dot += a[index]! * b[index]!;
    normA += a[index]! ** 2;
    normB += b[index]! ** 2;
  }
  return dot / Math.sqrt(normA * normB);
}

/** A model module for the worker, as a data: URL: `body` is the body of its `loadModel()`. */
function modelModule(body: string): string {
  return `data:text/javascript,${encodeURIComponent(`export async function loadModel() { ${body} }`)}`;
}

/** Settles on the next turn of the event loop, after every microtask (and so after a flush). */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('local embedder (the real model, on a worker thread)', () => {
  const embedder = new LocalEmbedder();
  beforeAll(async () => {
    // Loads the model once for the tests below (about half a second).
    await embedder.embed(['warm up']);
  });
  afterAll(async () => {
    await embedder.close();
  });

  it('embeds into 512 dimensions, a paraphrase pair closer than an unrelated pair', async () => {
    const [reset, forgot, capital] = await embedder.embed(['How do I reset my password?', 'I forgot my password, how can I change it?', 'What is the capital of France?']);
    expect(reset).toHaveLength(LOCAL_EMBEDDING_DIMENSIONS);
    const paraphrase = cosine(reset!, forgot!);
    expect(paraphrase).toBeGreaterThan(0.8);
    expect(paraphrase).toBeGreaterThan(cosine(reset!, capital!) + 0.5);
  });

  it('scores a slot swap near a paraphrase: similarity alone cannot tell them apart (the entry policy labels that)', async () => {
    const [miles, kilometres, swapped] = await embedder.embed(['Convert 10 miles to km', 'How many kilometres are 10 miles?', 'Convert 10 km to miles']);
    // Same words, other answer: USE-lite puts the swap closer than a true paraphrase.
    expect(cosine(miles!, swapped!)).toBeGreaterThan(cosine(miles!, kilometres!));
  });

  it('sends requests that arrive while the worker is busy together in its next batch, each getting its own vectors', async () => {
    const before = embedder.stats.batches;
    const long = embedder.embed(Array.from({ length: 64 }, (_, index) => `A long batch keeps the worker busy, text ${index}`));
    await nextTurn();
    const texts = Array.from({ length: 30 }, (_, index) => `Request ${index}: how many kilometres are ${index} miles?`);
    const waiting: Promise<number[][]>[] = [];
    for (const text of texts) {
      waiting.push(embedder.embed([text]));
      await nextTurn();
    }
    const batched = await Promise.all(waiting);
    await long;
    const batches = embedder.stats.batches - before;
    expect(batches).toBeLessThan(1 + texts.length);
    expect(batches).toBeGreaterThanOrEqual(2);
    // Vectors reach the request they belong to: each equals the text embedded on its own.
    const alone = await embedder.embed([texts[0]!]);
    expect(cosine(batched[0]![0]!, alone[0]!)).toBeGreaterThan(0.9999);
    const last = await embedder.embed([texts.at(-1)!]);
    expect(cosine(batched.at(-1)![0]!, last[0]!)).toBeGreaterThan(0.9999);
    expect(cosine(batched[0]![0]!, last[0]!)).toBeLessThan(0.9999);
  });

  it('rejects an aborted request at once, whether it was waiting or already in the worker, and serves the rest', async () => {
    const already = new AbortController();
    already.abort(new Error('gone before it asked'));
    await expect(embedder.embed(['never sent'], already.signal)).rejects.toThrow('gone before it asked');

    const waiting = new AbortController();
    const dropped = embedder.embed(['dropped while queued'], waiting.signal);
    const kept = embedder.embed(['kept']);
    waiting.abort();
    await expect(dropped).rejects.toMatchObject({ name: 'AbortError' });
    expect((await kept)[0]).toHaveLength(LOCAL_EMBEDDING_DIMENSIONS);

    const running = new AbortController();
    const inWorker = embedder.embed(Array.from({ length: 64 }, (_, index) => `Aborted mid-batch, text ${index}`), running.signal);
    await nextTurn();
    running.abort();
    const after = embedder.embed(['asked after the abort']);
    // The abort does not wait for the batch: it settles before the request queued behind that batch.
    const first = await Promise.race([inWorker.then(() => 'resolved', () => 'aborted'), after.then(() => 'later request')]);
    expect(first).toBe('aborted');
    expect((await after)[0]).toHaveLength(LOCAL_EMBEDDING_DIMENSIONS);
  });

  it('does not block the event loop while it embeds', async () => {
    let turns = 0;
    let counting = true;
    const count = () => {
      turns += 1;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    await embedder.embed(Array.from({ length: 64 }, (_, index) => `Sixty-four texts to embed off the event loop, number ${index}`));
    counting = false;
    // Embedding on this thread would run the model's graph in one synchronous stretch: a handful of turns at most.
    expect(turns).toBeGreaterThan(100);
  });
});

describe('local embedder (bounds, failures and lifetime)', () => {
  it('rejects at once when the queue is full, and takes requests again once it drains', async () => {
    const embedder = new LocalEmbedder({ maxQueuedTexts: 4 });
    try {
      const accepted = embedder.embed(['one', 'two', 'three']);
      const full = embedder.embed(['four', 'five']);
      const fits = embedder.embed(['four']);
      expect(embedder.stats.queuedTexts).toBe(4);
      const first = await Promise.race([full.then(() => 'resolved', (error: unknown) => (error as Error).message), accepted.then(() => 'accepted answered first')]);
      expect(first).toMatch(/^the local embedder is full: 3 texts are waiting and 2 more would pass its bound of 4/);
      expect(await Promise.all([accepted, fits])).toEqual([[expect.any(Array), expect.any(Array), expect.any(Array)], [expect.any(Array)]]);
      expect(await embedder.embed(['five', 'six', 'seven', 'eight'])).toHaveLength(4);
    } finally {
      await embedder.close();
    }
  });

  it('rejects what was pending when its worker dies, and starts a new worker for the next request', async () => {
    const embedder = new LocalEmbedder({
      modelModule: modelModule(`return { async embed(texts) { if (texts.includes('die')) process.exit(7); return texts.map((text) => [text.length, 1]); } };`),
    });
    try {
      expect(await embedder.embed(['ab'])).toEqual([[2, 1]]);
      const dying = embedder.embed(['die']);
      const sameBatch = embedder.embed(['in the same batch']);
      await expect(dying).rejects.toThrow(/^the local embedder's worker stopped \(exit code 7\)/);
      await expect(sameBatch).rejects.toThrow(/worker stopped/);
      expect(embedder.stats.workersStarted).toBe(1);
      expect(await embedder.embed(['abc'])).toEqual([[3, 1]]);
      expect(embedder.stats.workersStarted).toBe(2);
    } finally {
      await embedder.close();
    }
  });

  it('refuses the network in its worker: a model that fetches, opens a socket or resolves a name fails its load', async () => {
    const attempts = {
      fetch: `await fetch('http://127.0.0.1:9/weights.bin');`,
      http: `const { get } = await import('node:http'); await new Promise((resolve, reject) => get('http://127.0.0.1:9/', resolve).on('error', reject));`,
      dns: `const { lookup } = await import('node:dns'); await new Promise((resolve, reject) => lookup('example.invalid', (error) => (error ? reject(error) : resolve())));`,
    };
    const expected = { fetch: /\(fetch http:\/\/127\.0\.0\.1:9\/weights\.bin\)/, http: /\(a socket connection\)/, dns: /\(a DNS lookup\)/ };
    for (const [name, attempt] of Object.entries(attempts)) {
      const embedder = new LocalEmbedder({ modelModule: modelModule(`${attempt} return { async embed(texts) { return texts.map(() => [1]); } };`) });
      try {
        const error = await embedder.embed(['x']).then(() => undefined, (failure: unknown) => failure as Error);
        expect(error?.message, name).toMatch(/^the local embedder failed: the local embedder tried to reach the network/);
        expect(error?.message, name).toMatch(expected[name as keyof typeof expected]);
      } finally {
        await embedder.close();
      }
    }
  });

  it('rejects what is pending on close, and every request after it', async () => {
    const embedder = new LocalEmbedder({ modelModule: modelModule(`return { embed: () => new Promise(() => {}) };`) });
    const pending = embedder.embed(['never answered']).then(() => undefined, (error: unknown) => error as Error);
    await nextTurn();
    await embedder.close();
    expect((await pending)?.message).toBe('the local embedder was closed');
    await expect(embedder.embed(['late'])).rejects.toThrow('the local embedder is closed');
  });

  it('never keeps the process alive: a script that embeds and never closes exits by itself', async () => {
    const script = `
      import { LocalEmbedder } from './src/semantic/local-embedder.ts';
      const embedder = new LocalEmbedder();
      const [vector] = await embedder.embed(['hello']);
      console.log('dimensions', vector.length);
    `;
    const cwd = fileURLToPath(new URL('../', import.meta.url));
    const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '--eval', script], { cwd, timeout: 50_000 });
    expect(stdout.trim()).toBe(`dimensions ${LOCAL_EMBEDDING_DIMENSIONS}`);
  }, 60_000);
});
