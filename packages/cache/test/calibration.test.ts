import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  calibrate,
  CalibrationInputError,
  chooseStaticThreshold,
  cosineSimilarity,
  groupByEntry,
  parsePairsJsonl,
  replayPolicy,
  scorePairs,
  thresholdRows,
  wilsonUpperBound,
  Z_95,
  type ScoredPair,
} from '../src/calibration/index.ts';

const pair = (similarity: number, same: boolean, kind?: string, a = 'entry', b = `b-${similarity}-${same}`): ScoredPair => ({ a, b, same, similarity, ...(kind === undefined ? {} : { kind }) });

/** `count` pairs of one entry at one similarity and label. */
const many = (count: number, similarity: number, same: boolean, kind: string, a = 'entry'): ScoredPair[] =>
  Array.from({ length: count }, (_, index) => pair(similarity, same, kind, a, `${kind}-${similarity}-${index}`));

describe('thresholdRows', () => {
  const tiny = [pair(0.95, true), pair(0.9, false), pair(0.85, true), pair(0.8, true), pair(0.6, false), pair(0.5, true)];
  const rows = thresholdRows(tiny);
  const at = (threshold: number) => rows.find((row) => row.threshold === threshold)!;

  it('has one row per hundredth from 0.50 to 0.99, ascending', () => {
    expect(rows.map((row) => row.threshold)).toEqual(Array.from({ length: 50 }, (_, index) => (50 + index) / 100));
  });

  it('counts hits at or above the threshold, errors among them, and precision exactly', () => {
    expect(at(0.8)).toMatchObject({ hits: 4, hitRate: 4 / 6, errors: 1, precision: 3 / 4 });
    expect(at(0.81)).toMatchObject({ hits: 3, errors: 1, precision: 2 / 3 });
    expect(at(0.9)).toMatchObject({ hits: 2, errors: 1, precision: 1 / 2 });
    expect(at(0.91)).toMatchObject({ hits: 1, errors: 0, precision: 1 });
    expect(at(0.5)).toMatchObject({ hits: 6, hitRate: 1, errors: 2, precision: 4 / 6 });
    expect(at(0.5).errorUpper).toBeCloseTo(wilsonUpperBound(2, 6), 12);
  });

  it('gives no precision and an error bound of 1 where nothing is at or above', () => {
    expect(at(0.96)).toEqual({ threshold: 0.96, hits: 0, hitRate: 0, precision: null, errors: 0, errorUpper: 1 });
  });
});

describe('wilsonUpperBound', () => {
  it('is z²/(n + z²) with no failures: 0 errors in 100 hits still allows 3.7%', () => {
    expect(wilsonUpperBound(0, 100)).toBeCloseTo((Z_95 * Z_95) / (100 + Z_95 * Z_95), 12);
    expect(wilsonUpperBound(0, 100)).toBeCloseTo(0.03699, 5);
    expect(wilsonUpperBound(0, 20)).toBeCloseTo(0.1611, 4);
  });

  it('matches the textbook 95% Wilson interval for 5 of 100 (2.2% to 11.2%)', () => {
    expect(wilsonUpperBound(5, 100)).toBeCloseTo(0.1118, 4);
  });

  it('is 1 with no trials or all failures, narrows as trials grow, and refuses impossible counts', () => {
    expect(wilsonUpperBound(0, 0)).toBe(1);
    expect(wilsonUpperBound(10, 10)).toBeCloseTo(1, 12);
    expect(wilsonUpperBound(10, 1000)).toBeLessThan(wilsonUpperBound(1, 100));
    expect(() => wilsonUpperBound(3, 2)).toThrow(RangeError);
    expect(() => wilsonUpperBound(0.5, 2)).toThrow(RangeError);
  });
});

describe('chooseStaticThreshold', () => {
  // 200 right neighbours at 0.95 and 50 wrong ones at 0.85: above 0.85 nothing is wrong.
  const pairs = [...many(200, 0.95, true, 'paraphrase'), ...many(50, 0.85, false, 'slot-swap')];
  const rows = thresholdRows(pairs);

  it('takes the lowest threshold whose error upper bound is within 1 − target', () => {
    expect(chooseStaticThreshold(rows, 0.98)?.threshold).toBe(0.86);
    expect(chooseStaticThreshold(rows, 0.98)).toMatchObject({ hits: 200, errors: 0 });
  });

  it('demands the bound, not the observed precision: 200 clean hits cannot show 99%', () => {
    // The rows above 0.85 all have precision 1, but 0 errors in 200 leaves 1.9% possible.
    expect(rows.filter((row) => row.threshold > 0.85 && row.threshold <= 0.95).every((row) => row.precision === 1)).toBe(true);
    expect(chooseStaticThreshold(rows, 0.99)).toBeUndefined();
    expect(calibrate(pairs, { targetPrecision: 0.99 }).staticThreshold).toBeNull();
  });

  it('refuses a target outside (0, 1)', () => {
    expect(() => chooseStaticThreshold(rows, 1)).toThrow(RangeError);
  });
});

describe('replayPolicy', () => {
  it('never serves an entry whose neighbours are all wrong, however often it sees them', () => {
    const wrong = many(10, 0.99, false, 'slot-swap', 'wrong-entry');
    const result = replayPolicy(wrong, { delta: 0.02, passes: 40, seed: 7 });
    expect(result).toMatchObject({ entries: 1, lookups: 400, hits: 0, errors: 0, precision: null, errorUpper: 1, explorations: 400, servingEntries: 0 });
  });

  it('serves an entry whose neighbours are all right once it has labels, and nothing before minObservations', () => {
    const right = Array.from({ length: 10 }, (_, index) => pair(0.9 + index * 0.01, true, 'paraphrase', 'right-entry'));
    const result = replayPolicy(right, { delta: 0.02, passes: 20, seed: 1 });
    expect(result.hits).toBeGreaterThan(0);
    expect(result.errors).toBe(0);
    expect(result.explorations).toBeGreaterThanOrEqual(8);
    expect(result.hits + result.explorations).toBe(200);
  });

  it('keeps each entry to its own labels and never serves the slot swaps that sit above its paraphrases', () => {
    const entry = [...Array.from({ length: 6 }, (_, index) => pair(0.8 + index * 0.01, true, 'paraphrase')), ...Array.from({ length: 6 }, (_, index) => pair(0.93 + index * 0.01, false, 'slot-swap'))];
    const wrongOnly = many(8, 0.97, false, 'unrelated', 'other-entry');
    for (const seed of [1, 2, 3, 4, 5]) {
      const result = replayPolicy([...entry, ...wrongOnly], { delta: 0.02, passes: 20, seed });
      expect(result.byKind['slot-swap']).toEqual({ lookups: 120, hits: 0, errors: 0 });
      expect(result.byKind.unrelated).toEqual({ lookups: 160, hits: 0, errors: 0 });
      expect(result.errors).toBe(0);
    }
    // A static threshold low enough to serve the paraphrases serves every slot swap too.
    const rows = thresholdRows(entry);
    expect(rows.find((row) => row.threshold === 0.8)).toMatchObject({ hits: 12, errors: 6 });
  });

  it('is deterministic for a seed and draws nothing from Math.random', () => {
    const pairs = [...many(6, 0.9, true, 'paraphrase', 'x'), ...many(4, 0.95, false, 'slot-swap', 'x'), ...many(9, 0.92, true, 'paraphrase', 'y')];
    const spy = vi.spyOn(Math, 'random').mockImplementation(() => {
      throw new Error('calibration used Math.random');
    });
    const first = calibrate(pairs, { passes: 10, seed: 42 });
    const second = calibrate(pairs, { passes: 10, seed: 42 });
    spy.mockRestore();
    expect(second).toEqual(first);
    expect(first.policy).toMatchObject({ seed: 42, passes: 10, lookups: 190, entries: 2 });
  });

  it('refuses passes below 1', () => {
    expect(() => replayPolicy([pair(0.9, true)], { delta: 0.02, passes: 0, seed: 1 })).toThrow(RangeError);
  });
});

describe('calibrate', () => {
  afterEach(() => vi.restoreAllMocks());

  it('reports the pairs, the same pairs, the curve, the static choice and the policy with the defaults', () => {
    const pairs = [...many(200, 0.95, true, 'paraphrase'), ...many(50, 0.85, false, 'slot-swap')];
    const result = calibrate(pairs);
    expect(result).toMatchObject({ pairs: 250, samePairs: 200, targetPrecision: 0.98, staticThreshold: 0.86 });
    expect(result.rows).toHaveLength(50);
    expect(result.policy).toMatchObject({ delta: 0.02, passes: 5, seed: 1, lookups: 1250, entries: 1 });
  });

  it('refuses no pairs and a similarity outside [-1, 1], naming the pair', () => {
    expect(() => calibrate([])).toThrow(CalibrationInputError);
    expect(() => calibrate([pair(0.9, true), pair(1.5, false)])).toThrow(/pair 2: similarity must be a cosine in \[-1, 1\], got 1.5/);
  });
});

describe('parsePairsJsonl and scorePairs', () => {
  it('reads one pair per line, skipping blank lines, and names the first bad line and field', () => {
    const pairs = parsePairsJsonl('{"a":"x","b":"y","same":true,"kind":"paraphrase"}\n\n{"a":"x","b":"z","same":false}\r\n');
    expect(pairs).toEqual([
      { a: 'x', b: 'y', same: true, kind: 'paraphrase' },
      { a: 'x', b: 'z', same: false },
    ]);
    expect(() => parsePairsJsonl('{"a":"x","b":"y","same":true}\n{"a":"x","b":"y","same":"yes"}')).toThrow(/line 2: "same" must be true or false/);
    expect(() => parsePairsJsonl('{"a":"","b":"y","same":true}')).toThrow(/line 1: "a" must be a non-empty string/);
    expect(() => parsePairsJsonl('not json')).toThrow(/line 1: not JSON/);
    expect(() => parsePairsJsonl('\n\n')).toThrow(/no pairs/);
    expect(() => parsePairsJsonl('{"a":"x","b":"y","same":true,"kind":""}')).toThrow(/line 1: "kind" must be a string of 1 to 100 characters/);
    const tooManyKinds = Array.from({ length: 51 }, (_, index) => JSON.stringify({ a: 'x', b: `y${index}`, same: false, kind: `k${index}` })).join('\n');
    expect(() => parsePairsJsonl(tooManyKinds)).toThrow(/51 distinct kinds; use at most 50/);
  });

  it('scores pairs by the cosine of their embeddings, clamped to [-1, 1], and names a prompt without one', () => {
    expect(cosineSimilarity([1, 0], [0, 3])).toBe(0);
    expect(cosineSimilarity([0.1, 0.2, 0.3], [0.1, 0.2, 0.3])).toBeLessThanOrEqual(1);
    expect(cosineSimilarity([1, 2], [-2, -4])).toBeCloseTo(-1, 12);
    expect(() => cosineSimilarity([1], [1, 2])).toThrow(RangeError);
    const embeddings = new Map([
      ['x', [1, 0]],
      ['y', [1, 1]],
    ]);
    expect(scorePairs([{ a: 'x', b: 'y', same: true }], embeddings)[0]!.similarity).toBeCloseTo(Math.SQRT1_2, 12);
    expect(() => scorePairs([{ a: 'x', b: 'missing', same: true }], embeddings)).toThrow(/no embedding for the prompt "missing"/);
    expect(() => scorePairs([{ a: 'x', b: 'y', same: true }], new Map([['x', [0, 0]], ['y', [1, 1]]]))).toThrow(CalibrationInputError);
  });
});

describe('the shipped set, evals/cache-calibration.jsonl', () => {
  const pairs = parsePairsJsonl(readFileSync(new URL('../../../evals/cache-calibration.jsonl', import.meta.url), 'utf8'));
  const entries = groupByEntry(pairs.map((each) => ({ ...each, similarity: 0 })));

  it('has about 120 pairs grouped by entry, each entry with several neighbours of both labels', () => {
    expect(pairs.length).toBeGreaterThanOrEqual(110);
    expect(entries.length).toBeGreaterThanOrEqual(15);
    for (const neighbours of entries) {
      const entry = neighbours[0]!.a;
      expect(neighbours.length, entry).toBeGreaterThanOrEqual(5);
      expect(neighbours.some((each) => each.same), entry).toBe(true);
      expect(neighbours.some((each) => !each.same), entry).toBe(true);
    }
  });

  it('labels paraphrases same and every slot swap, negation and unrelated prompt not same', () => {
    expect(new Set(pairs.map((each) => each.kind))).toEqual(new Set(['paraphrase', 'slot-swap', 'negation', 'unrelated']));
    for (const each of pairs) expect(each.same, `${each.a} / ${each.b}`).toBe(each.kind === 'paraphrase');
    expect(new Set(pairs.map((each) => `${each.a}\u0000${each.b}`)).size).toBe(pairs.length);
  });
});
