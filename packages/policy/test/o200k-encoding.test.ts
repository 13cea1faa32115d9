import { Buffer } from 'node:buffer';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import bpeRanks from 'gpt-tokenizer/bpeRanks/o200k_base';
import { countTokens } from 'gpt-tokenizer/encoding/o200k_base';
import { describe, expect, it } from 'vitest';
import { o200k, parseTiktokenRanks } from '../src/o200k-encoding.ts';

const asText = { disallowedSpecial: new Set<string>() };
const line = (bytes: number[], rank: number) => `${Buffer.from(bytes).toString('base64')} ${rank}\n`;

describe('the o200k encoding read from gpt-tokenizer’s data', () => {
  it('holds the same tokens as gpt-tokenizer’s module, entry for entry', () => {
    const ranks = parseTiktokenRanks(readFileSync(createRequire(import.meta.url).resolve('gpt-tokenizer/data/o200k_base.tiktoken')));
    expect(ranks.length).toBe(bpeRanks.length);
    const differing = ranks.flatMap((value, rank) => (JSON.stringify(value) === JSON.stringify(bpeRanks[rank]) ? [] : [rank]));
    expect(differing).toEqual([]);
  });

  it('keeps as bytes what is not text that survives a round trip: invalid UTF-8 and a leading byte-order mark', () => {
    const file = Buffer.from(line([0x61, 0x62], 0) + line([0xff], 1) + line([0xef, 0xbb, 0xbf, 0x61], 2) + line([0xef, 0xbf, 0xbd], 3) + line([0xed, 0xa0, 0x80], 4) + line([0x61, 0xef, 0xbb, 0xbf], 5));
    expect(parseTiktokenRanks(file)).toEqual(['ab', [0xff], [0xef, 0xbb, 0xbf, 0x61], '\ufffd', [0xed, 0xa0, 0x80], 'a\ufeff']);
  });

  it('refuses a list whose ranks are out of order, or a line without a rank', () => {
    expect(() => parseTiktokenRanks(Buffer.from(line([0x61], 0) + line([0x62], 2)))).toThrow(/rank 2 where 1 was expected/);
    expect(() => parseTiktokenRanks(Buffer.from(`${line([0x61], 0)}YQ==\n${line([0x62], 1)}`))).toThrow(/a line without a rank/);
  });

  it('reads a token longer than any o200k has, and a last line without its newline', () => {
    const long = Array.from({ length: 2000 }, (_, index) => 0x61 + (index % 26));
    expect(parseTiktokenRanks(Buffer.from(line(long, 0) + line([0x62], 1).trimEnd()))).toEqual([String.fromCharCode(...long), 'b']);
  });

  it('counts as gpt-tokenizer’s module does', () => {
    for (const text of ['hello world', 'Ünïcödé — 中文 🎉', '﻿BOM first', 'x'.repeat(300), '{"tool":"lookup","args":{"q":1}}', '<|endoftext|> as text'])
      expect(o200k.countTokens(text, asText)).toBe(countTokens(text, asText));
  });
});

