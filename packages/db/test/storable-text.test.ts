import { describe, expect, it } from 'vitest';
import { fromStorable, fromStorableText, STORABLE_MARKER, toStorableJson, toStorableText } from '../src/storable-text.ts';

/** What Postgres refuses (NUL, lone surrogates), the marker, and text that looks like their escapes. */
const HOSTILE = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  '\udfff',
  'x\udc00\ud800y',
  '\ud83d\ude00',
  '\ud83d',
  STORABLE_MARKER,
  `${STORABLE_MARKER}d800`,
  `${STORABLE_MARKER}zz`,
  '\\u0000',
  '\\\\u0000',
  '\\ud800',
  '\\\u0000',
  'plain',
  '',
];

/** What a value looks like after a trip through JSON, as a driver hands a json column back. */
const stored = (value: unknown): unknown => JSON.parse(toStorableJson(JSON.stringify(value)));

describe('storable text', () => {
  it('round-trips NUL, lone surrogates and the marker itself, in keys and values', () => {
    for (const text of HOSTILE) {
      const value = { [text]: [text, { nested: text }], plain: 1 };
      expect(fromStorable(stored(value)), JSON.stringify(text)).toEqual(value);
    }
  });

  it('round-trips random strings over an alphabet of the troublesome code units', () => {
    const alphabet = ['\u0000', '\ud800', '\udbff', '\udc00', '\udfff', STORABLE_MARKER, '\\', 'u', '0', 'd', '8', 'f', '"', 'a'];
    let seed = 17;
    const next = () => (seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) % alphabet.length;
    for (let trial = 0; trial < 2_000; trial++) {
      const text = Array.from({ length: 1 + (trial % 12) }, () => alphabet[next()]).join('');
      expect(fromStorable(stored({ [text]: text }))).toEqual({ [text]: text });
    }
  });

  it('stores nothing Postgres refuses: no NUL or lone surrogate escape, no bare marker', () => {
    for (const text of HOSTILE) {
      const json = toStorableJson(JSON.stringify({ [text]: text }));
      expect(json).not.toMatch(/(?<!\\)(?:\\\\)*\\u(?:0000|d[89a-f])/);
      expect(json.split(STORABLE_MARKER).slice(1).every((after) => /^[0-9a-f]{4}/.test(after))).toBe(true);
    }
  });

  it('leaves text without those characters as it is', () => {
    const json = JSON.stringify({ text: 'héllo "world" \n\u2603 \ud83d\ude00 \\u0041', n: [1, 2.5, null, true] });
    expect(toStorableJson(json)).toBe(json);
    const value = { a: ['b', { c: new Date(0) }] };
    expect(fromStorable(value)).toBe(value);
  });

  it('escapes a bound string exactly as the same string is escaped inside JSON', () => {
    for (const text of HOSTILE) {
      expect(toStorableText(text)).toBe(JSON.parse(toStorableJson(JSON.stringify(text))));
      expect(fromStorableText(toStorableText(text))).toBe(text);
    }
  });

  it('keeps a __proto__ key a key when decoding an object', () => {
    const value = JSON.parse(`{"__proto__":"\\u0000","k":"\\ud800"}`) as Record<string, unknown>;
    const decoded = fromStorable(stored(value)) as Record<string, unknown>;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(decoded, '__proto__')?.value).toBe('\u0000');
    expect(decoded.k).toBe('\ud800');
  });
});
