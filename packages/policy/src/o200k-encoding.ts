import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { TextDecoder } from 'node:util';
import { GptEncoding } from 'gpt-tokenizer/GptEncoding';

/*
 * The o200k encoding, built from the token list gpt-tokenizer ships as data
 * (`data/o200k_base.tiktoken`: each line a token's bytes in base64 and its rank) rather than from
 * its JavaScript module of the same list (`gpt-tokenizer/encoding/o200k_base`). That module is a
 * 2.4 MB array literal: V8 parsing and running it left the process 45–50 MiB larger (RSS, after a
 * full collection), where this parse leaves it 23 MiB larger, in about the same time (~95 ms,
 * once, at start). The list is the same, entry for entry (`o200k-encoding.test.ts` compares
 * them): a token is its text where its bytes are UTF-8 that decodes and encodes back to the same
 * length (a leading byte-order mark does not: a decoder drops it), else its bytes, as the module's
 * generator decides.
 */

const BASE64_VALUES = new Uint8Array(128);
for (const [value, letter] of [...'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/'].entries()) BASE64_VALUES[letter.charCodeAt(0)] = value;
const [SPACE, NEWLINE, EQUALS, ZERO] = [0x20, 0x0a, 0x3d, 0x30];
const BYTE_ORDER_MARK = [0xef, 0xbb, 0xbf];

/** A token's value in the encoding's list: its text, or its bytes where they are not text that survives a round trip. */
function tokenValue(bytes: Buffer, strict: TextDecoder): string | number[] {
  const text = bytes.toString('utf8');
  // Node writes U+FFFD for bytes that are not UTF-8; the strict decoder tells those from a real U+FFFD.
  let valid = !text.includes('\ufffd');
  if (!valid) {
    try {
      strict.decode(bytes);
      valid = true;
    } catch {
      valid = false;
    }
  }
  const withMark = BYTE_ORDER_MARK.every((byte, index) => bytes[index] === byte);
  return valid && !withMark ? text : Array.from(bytes);
}

/**
 * The tokens of a `.tiktoken` file, by rank. Read straight from its bytes: no string per line, so
 * the parse leaves little garbage behind it. Throws on a rank out of order (the list has none).
 */
export function parseTiktokenRanks(file: Buffer): (string | number[])[] {
  const strict = new TextDecoder('utf-8', { fatal: true });
  const ranks: (string | number[])[] = [];
  // The longest o200k token is 128 bytes.
  const token = Buffer.allocUnsafe(1024);
  let at = 0;
  while (at < file.length) {
    let length = 0;
    let bits = 0;
    let pending = 0;
    let index = at;
    for (; index < file.length && file[index] !== SPACE; index++) {
      const letter = file[index]!;
      if (letter === EQUALS) continue;
      pending = ((pending << 6) | BASE64_VALUES[letter]!) & 0xffff;
      bits += 6;
      if (bits >= 8) {
        if (length === token.length) throw new Error(`o200k token list: a token of more than ${token.length} bytes (line at byte ${at})`);
        bits -= 8;
        token[length++] = (pending >> bits) & 0xff;
      }
    }
    let rank = 0;
    for (index++; index < file.length && file[index] !== NEWLINE; index++) rank = rank * 10 + file[index]! - ZERO;
    if (rank !== ranks.length) throw new Error(`o200k token list: rank ${rank} where ${ranks.length} was expected (line at byte ${at})`);
    ranks.push(tokenValue(token.subarray(0, length), strict));
    at = index + 1;
  }
  return ranks;
}

const tokenFile = createRequire(import.meta.url).resolve('gpt-tokenizer/data/o200k_base.tiktoken');

/** gpt-tokenizer's o200k encoding (that of `gpt-tokenizer/encoding/o200k_base`), its token list read from the package's data. */
export const o200k = GptEncoding.getEncodingApi('o200k_base', () => parseTiktokenRanks(readFileSync(tokenFile)));
