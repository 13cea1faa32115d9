import { describe, expect, it } from 'vitest';
import { seededSample } from '../src/datasets/seeded-sample.ts';

const letters = Array.from({ length: 26 }, (_, index) => String.fromCharCode(97 + index));

/** How many times each index of `size` items is picked, `count` at a time, over seeds 0..seeds-1. */
function pickCounts(size: number, count: number, seeds: number): number[] {
  const items = Array.from({ length: size }, (_, index) => index);
  const counts = items.map(() => 0);
  for (let seed = 0; seed < seeds; seed++) {
    for (const index of seededSample(items, count, seed)) counts[index]! += 1;
  }
  return counts;
}

describe('seededSample', () => {
  it('picks the same items for the same seed', () => {
    for (const seed of [0, 1, 42, 2 ** 31, 4_294_967_295]) {
      expect(seededSample(letters, 7, seed)).toEqual(seededSample(letters, 7, seed));
    }
  });

  it('picks `count` distinct items and keeps their original order', () => {
    for (let seed = 0; seed < 50; seed++) {
      const picked = seededSample(letters, 7, seed);
      expect(picked).toHaveLength(7);
      expect(new Set(picked).size).toBe(7);
      expect(picked).toEqual([...picked].sort());
      for (const letter of picked) expect(letters).toContain(letter);
    }
  });

  it('picks differently for different seeds', () => {
    expect(seededSample(letters, 7, 1)).not.toEqual(seededSample(letters, 7, 2));
    const distinct = new Set(Array.from({ length: 100 }, (_, seed) => seededSample(letters, 7, seed).join('')));
    // C(26, 7) = 657,800 possible picks: a hundred seeds landing on fewer than 95 of them would be a broken generator.
    expect(distinct.size).toBeGreaterThanOrEqual(95);
  });

  it('returns every item, in order, when asked for as many or more', () => {
    expect(seededSample(letters, 26, 9)).toEqual(letters);
    expect(seededSample(letters, 1_000, 9)).toEqual(letters);
    expect(seededSample([], 3, 9)).toEqual([]);
  });

  it('returns a copy, never the array it was given', () => {
    const all = seededSample(letters, 26, 0);
    all.pop();
    expect(letters).toHaveLength(26);
  });

  it('returns nothing when asked for none', () => {
    expect(seededSample(letters, 0, 3)).toEqual([]);
  });

  it('spreads its picks: over many seeds every item is picked about as often as any other', () => {
    const counts = pickCounts(10, 3, 3_000);
    // Each index is expected 3,000 × 3/10 = 900 times (sd ≈ 25); the bounds are 8 sd wide.
    for (const count of counts) {
      expect(count).toBeGreaterThan(700);
      expect(count).toBeLessThan(1_100);
    }
  });

  it('picks the first and the last item too (no edge is out of reach)', () => {
    const counts = pickCounts(50, 1, 2_000);
    expect(counts.every((count) => count > 0)).toBe(true);
  });
});
