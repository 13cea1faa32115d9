import { describe, expect, it } from 'vitest';
import { BoundedMap } from '../src/otel/bounded-map.ts';

describe('bounded map', () => {
  it('forgets the oldest entry once full, and keeps size at the limit', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('a', 1).set('b', 2).set('c', 3);
    expect([...map.keys()]).toEqual(['b', 'c']);
    // Updating a key it holds evicts nothing.
    map.set('b', 20);
    expect([...map.entries()]).toEqual([['b', 20], ['c', 3]]);
  });
});
