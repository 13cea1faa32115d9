import { describe, expect, it, vi } from 'vitest';
import { JSON_CHUNK_CHARS, jsonLength, jsonTextChunks, keepJsonText, KEPT_JSON_TEXT_CHARS, knownJsonText, textSlices } from '../src/json-text.ts';

const long = (unit: string, chars: number) => unit.repeat(Math.ceil(chars / unit.length));

describe('jsonTextChunks', () => {
  it('builds exactly the text JSON.stringify builds', () => {
    const sparse: unknown[] = [1];
    sparse[3] = 'x';
    const values: unknown[] = [
      null,
      true,
      -0,
      1e21,
      Number.NaN,
      'short "quoted" \\ \n\t\u0001 text',
      { a: undefined, b: () => 1, c: Symbol('s'), d: [undefined, () => 1, Symbol('s')], e: sparse },
      { date: new Date(Date.UTC(2030, 0, 2)), custom: { toJSON: (key: string) => `key:${key}` }, boxed: [Object(1), Object('s'), Object(false)] },
      { nested: { deeper: [{ deepest: [[[]], {}] }] }, 'quoted "key"\n': 1 },
      [{ toJSON: () => undefined }, { toJSON: () => ({ inner: 'value' }) }],
      // Long strings: escapes and two-byte characters throughout, a surrogate pair on a slice boundary, a lone surrogate at the end.
      { text: `${'a'.repeat(JSON_CHUNK_CHARS - 1)}😀${long('é"\\\n\u0002', 3 * JSON_CHUNK_CHARS)}\ud800`, more: long('😀', 2 * JSON_CHUNK_CHARS + 1) },
      Array.from({ length: 5000 }, (_, index) => ({ index, role: 'user', content: `message ${index}` })),
      // Slices with nothing to escape beside slices with one character of each escaped kind, and
      // characters JSON.stringify leaves as they are (DEL, U+2028, a pair, non-Latin text).
      ['"', '\\', '\u001f', '\u0000', '\udc00', '\ud800', '\u007f\u2028😀ж'].map((special) => `${'a'.repeat(JSON_CHUNK_CHARS)}${'b'.repeat(JSON_CHUNK_CHARS >> 1)}${special}${'c'.repeat(JSON_CHUNK_CHARS)}`).join(''),
    ];
    for (const value of values) {
      const chunks = [...jsonTextChunks(value)];
      expect(chunks.join('')).toBe(JSON.stringify(value));
      // A chunk passes the size by at most one token (a string of up to a chunk, quoted and escaped).
      for (const chunk of chunks) expect(chunk.length).toBeLessThanOrEqual(JSON_CHUNK_CHARS * 7 + 2);
    }
    expect([...jsonTextChunks({ text: 'x'.repeat(10 * JSON_CHUNK_CHARS) })].length).toBeGreaterThanOrEqual(10);
  });

  it('makes each chunk only when it is asked for', () => {
    const later = vi.fn(() => 'later');
    const chunks = jsonTextChunks(['x'.repeat(3 * JSON_CHUNK_CHARS), { toJSON: later }]);
    expect(chunks.next().value).toBe(`["${'x'.repeat(JSON_CHUNK_CHARS)}`);
    expect(later).not.toHaveBeenCalled();
    expect([...chunks].join('')).toBe(`${'x'.repeat(2 * JSON_CHUNK_CHARS)}","later"]`);
    expect(later).toHaveBeenCalledTimes(1);
  });

  it('writes nothing where JSON.stringify returns undefined, and throws where it throws', () => {
    expect([...jsonTextChunks(undefined)]).toEqual([]);
    expect([...jsonTextChunks(() => 1)]).toEqual([]);
    expect([...jsonTextChunks({ toJSON: () => undefined })]).toEqual([]);
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = { back: cycle };
    expect(() => [...jsonTextChunks(cycle)]).toThrow(TypeError);
    expect(() => [...jsonTextChunks({ n: 1n })]).toThrow(TypeError);
    // The same object twice, not nested in itself, is no cycle.
    const shared = { x: 1 };
    expect([...jsonTextChunks([shared, shared])].join('')).toBe('[{"x":1},{"x":1}]');
  });
});

describe('textSlices', () => {
  it('slices a long text without cutting a surrogate pair', () => {
    const text = `${'a'.repeat(JSON_CHUNK_CHARS - 1)}😀${'b'.repeat(JSON_CHUNK_CHARS)}`;
    const slices = [...textSlices(text)];
    expect(slices.join('')).toBe(text);
    expect(slices[0]).toBe('a'.repeat(JSON_CHUNK_CHARS - 1));
    expect(slices.every((slice) => slice.length <= JSON_CHUNK_CHARS)).toBe(true);
  });
});

describe('kept texts and jsonLength', () => {
  it('keeps a text whole or in pieces, only when long enough to matter', () => {
    const body = { content: 'x'.repeat(KEPT_JSON_TEXT_CHARS) };
    const bytes = [Buffer.from(JSON.stringify(body))];
    keepJsonText(body, bytes);
    expect(knownJsonText(body)).toBe(bytes);
    const other = { content: 'y'.repeat(KEPT_JSON_TEXT_CHARS) };
    keepJsonText(other, JSON.stringify(other));
    expect(knownJsonText(other)).toEqual([JSON.stringify(other)]);
    const small = { content: 'short' };
    keepJsonText(small, JSON.stringify(small));
    expect(knownJsonText(small)).toBeUndefined();
  });

  it('estimates at most a comma per array and object above the text’s length, and at most six times below it', () => {
    for (const value of [{ a: 'plain', n: [1, 2.5, null, true] }, { escaped: '\n\u0001"'.repeat(100) }, ['😀é'.repeat(50)]]) {
      const length = JSON.stringify(value).length;
      const estimate = jsonLength(value, Number.POSITIVE_INFINITY);
      expect(estimate).toBeLessThanOrEqual(length + 3);
      expect(estimate * 6).toBeGreaterThanOrEqual(length);
    }
  });
});
