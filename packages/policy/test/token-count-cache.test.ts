import { describe, expect, it } from 'vitest';
import { TokenCountCache } from '../src/index.ts';

/** A counter that says how often it was asked: one token per character. */
function counting() {
  const asked: string[] = [];
  return { asked, count: (text: string) => (asked.push(text), text.length) };
}

describe('TokenCountCache', () => {
  it('counts a long text once, however often it is sent again (an agent resending its context)', () => {
    const counter = counting();
    const cache = new TokenCountCache({ minChars: 10, maxChars: 1_000, count: counter.count });
    const context = 'x'.repeat(200);
    // A copy built from other pieces is another string object with the same text.
    const resent = ['x'.repeat(100), 'x'.repeat(100)].join('');
    expect(cache.count(context)).toBe(200);
    expect(cache.count(resent)).toBe(200);
    expect(counter.asked).toHaveLength(1);
  });

  it('does not remember short texts, nor one longer than the whole cache', () => {
    const counter = counting();
    const cache = new TokenCountCache({ minChars: 10, maxChars: 200, count: counter.count });
    cache.count('short');
    cache.count('short');
    cache.count('y'.repeat(137)); // 137 + 64 > 200
    cache.count('y'.repeat(137));
    expect(counter.asked).toHaveLength(4);
    expect(cache.size).toBe(0);
  });

  it('forgets the oldest texts first once it holds maxChars characters', () => {
    const counter = counting();
    // Each entry weighs its length + 64: two of 40 characters fit in 220, not three.
    const cache = new TokenCountCache({ minChars: 10, maxChars: 220, count: counter.count });
    const [a, b, c] = ['a', 'b', 'c'].map((letter) => letter.repeat(40));
    cache.count(a!);
    cache.count(b!);
    cache.count(c!); // 312 > 220: a goes
    expect(cache.size).toBe(2);
    counter.asked.length = 0;
    cache.count(b!);
    cache.count(c!);
    expect(counter.asked).toEqual([]);
    expect(cache.count(a!)).toBe(40);
    expect(counter.asked).toEqual([a]);
  });
});
