/** The gateway's default body limit, in bytes: the longest text a client can send. */
export const BODY_LIMIT_CHARS = 10 * 1024 * 1024;

/** A deterministic generator of numbers in [0, 1) (mulberry32), so every run sees the same texts. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state + 0x6d2b79f5) | 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed = (mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed)) ^ mixed;
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** `length` UTF-16 code units drawn from `alphabet` (whole code points; the last may be cut short). */
function drawn(alphabet: readonly string[], length: number, seed: number): string {
  const next = random(seed);
  // A random block repeated: random within reach of any piece, and quick to build at 10 MiB.
  const parts: string[] = [];
  let blockLength = 0;
  while (blockLength < Math.min(length, 1 << 20)) {
    const character = alphabet[Math.floor(next() * alphabet.length)]!;
    parts.push(character);
    blockLength += character.length;
  }
  const block = parts.join('');
  return block.repeat(Math.ceil(length / block.length)).slice(0, length);
}

const letters = (from: string, to: string) => Array.from({ length: to.charCodeAt(0) - from.charCodeAt(0) + 1 }, (_, index) => String.fromCharCode(from.charCodeAt(0) + index));
const lowercase = letters('a', 'z');
const base64 = [...letters('A', 'Z'), ...lowercase, ...letters('0', '9'), '+', '/'];
const hex = [...letters('0', '9'), ...letters('a', 'f')];
const cjk = Array.from({ length: 20_000 }, (_, index) => String.fromCodePoint(0x4e00 + index));
// Any code point but surrogates: letters, marks, symbols, spaces and astral planes mixed.
const unicode = Array.from({ length: 60_000 }, (_, index) => String.fromCodePoint(index * 3 + 1)).filter((character) => {
  const code = character.codePointAt(0)!;
  return code < 0xd800 || code > 0xdfff;
});

/**
 * Texts that make a BPE tokenizer quadratic or its pre-tokenizer produce one huge piece, each
 * `length` UTF-16 code units long.
 */
export function adversarialTexts(length: number): Record<string, string> {
  return {
    'one character repeated': 'a'.repeat(length),
    'spaces': ' '.repeat(length),
    'newlines': '\n'.repeat(length),
    '`=`': '='.repeat(length),
    'hex': drawn(hex, length, 1),
    'base64': drawn(base64, length, 2),
    'one long lowercase word': drawn(lowercase, length, 3),
    'random unicode': drawn(unicode, length, 4),
    'CJK without punctuation': drawn(cjk, length, 5),
    'spaces and tabs': drawn([' ', '\t'], length, 6),
    'punctuation': drawn([...'!"#$%&()*+,-.:;<=>?@[]^_`{|}~'], length, 7),
  };
}
