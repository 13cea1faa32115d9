import { Buffer } from 'node:buffer';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { O200K_TOKEN_SPLIT_REGEX } from 'gpt-tokenizer/encodingParams/constants';
import { describe, expect, it } from 'vitest';
import { EXACT_FLOOR_CHARS, MAX_PIECE_CHARS, TextTokenCounter, WINDOW_CHARS, isWhitespace } from '../src/count-text-tokens.ts';
import { TokenCountCache } from '../src/index.ts';
import { adversarialTexts, BODY_LIMIT_CHARS } from './support/adversarial-texts.ts';

const asText = { disallowedSpecial: new Set<string>() };
const repository = join(import.meta.dirname, '../../..');

/** A counter with no time limit: every character is counted with the BPE. */
const untimed = (bpe?: (text: string) => number) => new TextTokenCounter({ sliceMs: Number.POSITIVE_INFINITY, ...(bpe ? { bpe } : {}) });

/** A BPE that counts nothing and remembers what it was handed. */
function recordingBpe() {
  const inputs: string[] = [];
  return { inputs, bpe: (text: string) => (inputs.push(text), 0) };
}

/** A clock that moves on 1 ms each time the BPE is called. */
function tickingCounter(options: { sliceMs: number; floorChars?: number }) {
  let now = 0;
  const counter = new TextTokenCounter({ ...options, now: () => now, bpe: (text) => ((now += 1), countTokens(text, asText)) });
  return counter;
}

function ordinaryTexts(): Record<string, string> {
  const docs = join(repository, 'docs');
  const policy = join(repository, 'packages/policy/src');
  const texts: Record<string, string> = { 'README.md': readFileSync(join(repository, 'README.md'), 'utf8') };
  for (const name of readdirSync(docs).filter((file) => file.endsWith('.md'))) texts[`docs/${name}`] = readFileSync(join(docs, name), 'utf8');
  for (const name of readdirSync(policy)) texts[`policy/${name}`] = readFileSync(join(policy, name), 'utf8');
  // Chinese has no spaces: windows find no safe cut and are split with the regex instead.
  texts['Chinese prose'] = '网关在每次调用之前预留最坏情况的费用：提示词的令牌数乘以输入价格，加上最大输出令牌数乘以输出价格。调用结束后，按照供应商报告的实际用量结算。'.repeat(40);
  // A tool list as the prompt counter sees it: JSON.stringify, no spaces outside strings.
  texts['tools JSON'] = JSON.stringify(Array.from({ length: 150 }, (_, index) => ({ name: `tool_${index}`, description: 'Looks up the weather in a city', parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } })));
  texts['indented lines'] = Array.from({ length: 400 }, (_, index) => `${' '.repeat(index % 24)}line ${index}:\t${'-'.repeat(index % 90)}\n`).join('');
  return texts;
}

describe('bounded token counting', () => {
  it('counts ordinary prose, code, Chinese and tool JSON exactly as gpt-tokenizer does', () => {
    const texts = ordinaryTexts();
    expect(Object.keys(texts).length).toBeGreaterThan(10);
    for (const [name, text] of Object.entries(texts)) {
      expect({ name, tokens: untimed().count(text).tokens }).toEqual({ name, tokens: countTokens(text, asText) });
    }
  });

  it('hands the BPE no piece longer than MAX_PIECE_CHARS and each character once, whatever the text', () => {
    for (const [name, text] of Object.entries(adversarialTexts(1 << 20))) {
      const recorded = recordingBpe();
      const counter = untimed(recorded.bpe);
      expect(counter.count(text).progress.end).toBe(text.length);
      // Each character once, each call bounded: the BPE's work is linear in the text.
      expect({ name, handed: recorded.inputs.join('') === text }).toEqual({ name, handed: true });
      expect(counter.stats.longestBpeInput).toBeLessThanOrEqual(WINDOW_CHARS);
      let longestPiece = 0;
      for (const input of recorded.inputs) {
        for (const [piece] of input.matchAll(O200K_TOKEN_SPLIT_REGEX)) longestPiece = Math.max(longestPiece, piece.length);
      }
      expect({ name, longestPiece: Math.min(longestPiece, MAX_PIECE_CHARS + 1) }).toEqual({ name, longestPiece: Math.min(longestPiece, MAX_PIECE_CHARS) });
      // Finding cuts, then pieces, looks at each character twice, and again at most a window's
      // last piece (kept for the next window when the window had no safe cut).
      expect(counter.stats.scannedChars).toBeLessThanOrEqual(2.5 * text.length + WINDOW_CHARS);
    }
  });

  it('counts adversarial text within 2% above gpt-tokenizer, never below', () => {
    for (const [name, text] of Object.entries(adversarialTexts(8_000))) {
      const exact = countTokens(text, asText);
      const counted = untimed().count(text).tokens;
      expect({ name, atLeastExact: counted >= exact, within2Percent: counted <= exact * 1.02 }).toEqual({ name, atLeastExact: true, within2Percent: true });
    }
  });

  it('counts exactly only within its slice, then bounds the rest by UTF-8 bytes, never below the tokens', () => {
    for (const [name, text] of Object.entries(adversarialTexts(BODY_LIMIT_CHARS))) {
      const counter = tickingCounter({ sliceMs: 3 });
      const counted = counter.count(text);
      // The floor, then at most one window per millisecond of the slice.
      expect(counter.stats.bpeChars).toBeLessThanOrEqual(EXACT_FLOOR_CHARS + 4 * WINDOW_CHARS);
      expect(counter.stats.boundedChars).toBe(text.length - counted.progress.end);
      expect({ name, tokens: counted.tokens }).toEqual({ name, tokens: counted.progress.tokens + Buffer.byteLength(text.slice(counted.progress.end), 'utf8') });
    }
    for (const [name, text] of Object.entries(adversarialTexts(8_000))) {
      const bounded = new TextTokenCounter({ sliceMs: 0, floorChars: 0 }).count(text).tokens;
      expect({ name, atLeastExact: bounded >= countTokens(text, asText) }).toEqual({ name, atLeastExact: true });
    }
  });

  it('always counts the first EXACT_FLOOR_CHARS characters of a call exactly, however slow the clock says it is', () => {
    const text = 'The gateway reserves the worst case before every call. '.repeat(18);
    expect(text.length).toBeLessThanOrEqual(EXACT_FLOOR_CHARS);
    let now = 0;
    const counter = new TextTokenCounter({ sliceMs: 0, now: () => (now += 1e9) });
    expect(counter.count(text)).toEqual({ tokens: countTokens(text), progress: { end: text.length, tokens: countTokens(text) } });
  });

  it('goes on where an earlier count stopped, so a context sent again on every turn becomes exact', () => {
    const context = readFileSync(join(repository, 'docs/budgets.md'), 'utf8').repeat(4);
    const exact = countTokens(context, asText);
    const handed: string[] = [];
    const cache = new TokenCountCache({ minChars: 8, maxChars: 1 << 24, count: () => Number.NaN });
    const counts: number[] = [];
    for (let turn = 0; turn < 100 && counts.at(-1) !== exact; turn++) {
      let now = 0;
      const counter = new TextTokenCounter({ sliceMs: 3, floorChars: 0, now: () => now, bpe: (text) => (handed.push(text), (now += 1), countTokens(text, asText)) });
      counts.push(cache.count(context, (text, resumeFrom) => counter.count(text, resumeFrom)));
    }
    expect(counts.length).toBeGreaterThan(2);
    // Never below the tokens, falling to them, and each character handed to the BPE once overall.
    for (const count of counts) expect(count).toBeGreaterThanOrEqual(exact);
    expect(counts.at(-1)).toBe(exact);
    expect(handed.join('')).toBe(context);
    expect(cache.count(context, () => Number.NaN)).toBe(exact);
  });

  it('counts special tokens such as <|endoftext|> in a text as text', () => {
    const text = 'ignore this <|endoftext|><|im_start|>system';
    expect(untimed().count(text).tokens).toBe(countTokens(text, asText));
    expect(() => countTokens(text)).toThrow(/special token/);
  });

  it('takes as whitespace exactly what the o200k regex does (JavaScript’s \\s)', () => {
    const differing: number[] = [];
    for (let code = 0; code <= 0xffff; code++) if (isWhitespace(code) !== /\s/u.test(String.fromCharCode(code))) differing.push(code);
    expect(differing).toEqual([]);
  });
});
