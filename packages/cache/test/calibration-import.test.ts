import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CalibrationInputError, readSemBenchmark, semBenchmarkEmbeddings, semBenchmarkPairs, type SemBenchmarkPrompt } from '../src/calibration/index.ts';
import { parseCsv } from '../src/calibration/parse-csv.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('readSemBenchmark', () => {
  const prompts = readSemBenchmark(fixture('sembenchmark-sample.jsonl'), { embeddingColumn: 'emb_gte' });

  it('reads prompt and id_set from JSON Lines, skipping unlabelled records and keeping the first record of a repeated prompt', () => {
    expect(prompts).toHaveLength(10);
    expect(prompts.map((prompt) => prompt.idSet)).toEqual(['1', '1', '1', '1', '2', '2', '2', '3', '3', '4']);
    expect(prompts.some((prompt) => prompt.prompt.includes('unlabelled') || prompt.prompt.includes('no id_set'))).toBe(false);
    // The repeated prompt kept its first class (1), not the later record's (2).
    expect(prompts.find((prompt) => prompt.prompt.startsWith('Classify the sentiment: \'Loved'))?.idSet).toBe('1');
  });

  it('takes precomputed embeddings from the named column, as a list or as JSON text', () => {
    expect(prompts[0]!.embedding).toEqual([0.9, 0.1, 0]);
    expect(prompts[2]!.embedding).toEqual([0.87, 0.15, 0]);
    const embeddings = semBenchmarkEmbeddings(prompts);
    expect(embeddings.size).toBe(10);
    expect(readSemBenchmark(fixture('sembenchmark-sample.jsonl'))[0]).not.toHaveProperty('embedding');
  });

  it('reads a JSON array of records and CSV (ID_Set, quoted commas, quotes and line breaks)', () => {
    const array = readSemBenchmark(JSON.stringify([{ prompt: 'p1', id_set: 5 }, { prompt: 'p2', id_set: 5 }, { prompt: 'p3', id_set: -1 }]));
    expect(array).toEqual([
      { prompt: 'p1', idSet: '5' },
      { prompt: 'p2', idSet: '5' },
    ]);
    const csv = readSemBenchmark(fixture('sembenchmark-sample.csv'), { embeddingColumn: 'emb_gte' });
    expect(csv.map((prompt) => [prompt.idSet, prompt.prompt])).toEqual([
      ['7', 'Is "Dune" science fiction, or fantasy?'],
      ['7', 'Dune: science fiction or fantasy?\nAnswer in two words.'],
      ['8', 'Is "The Hobbit" science fiction, or fantasy?'],
      ['8', 'The Hobbit - fantasy or science fiction?'],
    ]);
    expect(csv[1]!.embedding).toEqual([0.85, 0.2]);
  });

  it('names the record that has no prompt or an unusable embedding, and refuses a file without labels', () => {
    expect(() => readSemBenchmark('{"prompt":"a","id_set":1}\n{"id_set":1}')).toThrow(/record 2: "prompt" must be a non-empty string/);
    expect(() => readSemBenchmark('{"prompt":"a","id_set":1,"emb":"[1, x]"}', { embeddingColumn: 'emb' })).toThrow(/record 1, column emb: not JSON/);
    expect(() => readSemBenchmark('{"prompt":"a","id_set":1,"emb":[]}', { embeddingColumn: 'emb' })).toThrow(/column "emb" must hold the embedding/);
    expect(() => readSemBenchmark('{"prompt":"a","id_set":-1}')).toThrow(CalibrationInputError);
  });
});

describe('parseCsv', () => {
  it('handles CRLF, a byte-order mark, empty fields and refuses an unclosed quote or a short record', () => {
    expect(parseCsv('\ufeffa,b\r\n1,\r\n"x,y",""""\r\n')).toEqual([
      { a: '1', b: '' },
      { a: 'x,y', b: '"' },
    ]);
    expect(() => parseCsv('a,b\n"open,1\n')).toThrow(/ends inside a quoted field/);
    expect(() => parseCsv('a,b\n1\n')).toThrow(/record 1: 1 fields where the header has 2/);
  });
});

describe('semBenchmarkPairs', () => {
  const prompts = readSemBenchmark(fixture('sembenchmark-sample.jsonl'));
  const classOf = new Map(prompts.map((prompt) => [prompt.prompt, prompt.idSet]));

  it('pairs prompts of one id_set as same and of different id_sets as not, one entry per class', () => {
    const pairs = semBenchmarkPairs(prompts, { seed: 3 });
    for (const pair of pairs) {
      expect(pair.same, `${pair.a} / ${pair.b}`).toBe(classOf.get(pair.a) === classOf.get(pair.b));
      expect(pair.kind).toBe(pair.same ? 'same-id-set' : 'other-id-set');
      expect(pair.a).not.toBe(pair.b);
    }
    // Classes 1, 2 and 3 have two or more prompts (3 + 2 + 1 same pairs); class 4 has one and gives no entry.
    expect(pairs.filter((pair) => pair.same)).toHaveLength(6);
    expect(pairs.filter((pair) => !pair.same)).toHaveLength(6);
    expect(new Set(pairs.map((pair) => pair.a)).size).toBe(3);
  });

  it('bounds the pairs in all and per entry', () => {
    expect(semBenchmarkPairs(prompts, { maxPairs: 4, seed: 3 }).length).toBeLessThanOrEqual(4);
    const one = semBenchmarkPairs(prompts, { perEntry: 1, seed: 3 });
    expect(one.filter((pair) => pair.same)).toHaveLength(3);
    const big: SemBenchmarkPrompt[] = Array.from({ length: 1_000 }, (_, index) => ({ prompt: `prompt ${index}`, idSet: String(index % 50) }));
    const pairs = semBenchmarkPairs(big, { maxPairs: 300, seed: 1 });
    expect(pairs.length).toBeLessThanOrEqual(300);
    expect(pairs.length).toBeGreaterThanOrEqual(290);
    expect(Math.max(...countBy(pairs.map((pair) => pair.a)).values())).toBeLessThanOrEqual(16);
  });

  it('is deterministic for a seed', () => {
    expect(semBenchmarkPairs(prompts, { seed: 9 })).toEqual(semBenchmarkPairs(prompts, { seed: 9 }));
  });

  it('refuses prompts where no class has two members', () => {
    expect(() => semBenchmarkPairs([{ prompt: 'a', idSet: '1' }, { prompt: 'b', idSet: '2' }])).toThrow(/no id_set holds two prompts/);
  });
});

function countBy(values: readonly string[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  return counts;
}
