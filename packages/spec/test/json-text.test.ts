import { describe, expect, it } from 'vitest';
import { JSON_PIECE_CHARS, jsonLength, jsonTextPieces, keepJsonText, KEPT_JSON_TEXT_CHARS, knownJsonText, textSlices } from '../src/json-text.ts';

const long = (unit: string, chars: number) => unit.repeat(Math.ceil(chars / unit.length));

describe('jsonTextPieces', () => {
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
      { text: `${'a'.repeat(JSON_PIECE_CHARS - 1)}😀${long('é"\\\n\u0002', 3 * JSON_PIECE_CHARS)}\ud800`, more: long('😀', 2 * JSON_PIECE_CHARS + 1) },
      Array.from({ length: 5000 }, (_, index) => ({ index, role: 'user', content: `message ${index}` })),
    ];
    for (const value of values) {
      const pieces = jsonTextPieces(value);
      expect(pieces.join('')).toBe(JSON.stringify(value));
      // A piece passes the size by at most one token (a string of up to a piece, quoted and escaped).
      for (const piece of pieces) expect(piece.length).toBeLessThanOrEqual(JSON_PIECE_CHARS * 7 + 2);
    }
    expect(jsonTextPieces({ text: 'x'.repeat(10 * JSON_PIECE_CHARS) }).length).toBeGreaterThanOrEqual(10);
  });

  it('writes nothing where JSON.stringify returns undefined, and throws where it throws', () => {
    expect(jsonTextPieces(undefined)).toEqual([]);
    expect(jsonTextPieces(() => 1)).toEqual([]);
    expect(jsonTextPieces({ toJSON: () => undefined })).toEqual([]);
    const cycle: Record<string, unknown> = { a: 1 };
    cycle.self = { back: cycle };
    expect(() => jsonTextPieces(cycle)).toThrow(TypeError);
    expect(() => jsonTextPieces({ n: 1n })).toThrow(TypeError);
    // The same object twice, not nested in itself, is no cycle.
    const shared = { x: 1 };
    expect(jsonTextPieces([shared, shared]).join('')).toBe('[{"x":1},{"x":1}]');
  });
});

describe('textSlices', () => {
  it('slices a long text without cutting a surrogate pair', () => {
    const text = `${'a'.repeat(JSON_PIECE_CHARS - 1)}😀${'b'.repeat(JSON_PIECE_CHARS)}`;
    const slices = [...textSlices(text)];
    expect(slices.join('')).toBe(text);
    expect(slices[0]).toBe('a'.repeat(JSON_PIECE_CHARS - 1));
    expect(slices.every((slice) => slice.length <= JSON_PIECE_CHARS)).toBe(true);
  });
});

describe('kept texts and jsonLength', () => {
  it('keeps a text whole or in pieces, only when long enough to matter', () => {
    const body = { content: 'x'.repeat(KEPT_JSON_TEXT_CHARS) };
    const pieces = jsonTextPieces(body);
    keepJsonText(body, pieces);
    expect(knownJsonText(body)).toBe(pieces);
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
