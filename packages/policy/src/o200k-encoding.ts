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

const [SPACE, NEWLINE] = [0x20, 0x0a];
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

/** The tokens of a `.tiktoken` file, by rank. Throws on a line without a rank, or a rank out of order (the list has neither). */
export function parseTiktokenRanks(file: Buffer): (string | number[])[] {
  const strict = new TextDecoder('utf-8', { fatal: true });
  const ranks: (string | number[])[] = [];
  for (let at = 0; at < file.length; ) {
    const space = file.indexOf(SPACE, at);
    let end = file.indexOf(NEWLINE, at);
    if (end === -1) end = file.length;
    if (space === -1 || space > end) throw new Error(`o200k token list: a line without a rank (at byte ${at})`);
    const rank = Number(file.toString('latin1', space + 1, end));
    if (rank !== ranks.length) throw new Error(`o200k token list: rank ${rank} where ${ranks.length} was expected (line at byte ${at})`);
    ranks.push(tokenValue(Buffer.from(file.toString('latin1', at, space), 'base64'), strict));
    at = end + 1;
  }
  return ranks;
}

const tokenFile = createRequire(import.meta.url).resolve('gpt-tokenizer/data/o200k_base.tiktoken');

/** gpt-tokenizer's o200k encoding (that of `gpt-tokenizer/encoding/o200k_base`), its token list read from the package's data. */
export const o200k = GptEncoding.getEncodingApi('o200k_base', () => parseTiktokenRanks(readFileSync(tokenFile)));
