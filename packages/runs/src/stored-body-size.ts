import { createHash } from 'node:crypto';
import { JSON_PIECE_CHARS, jsonTextPieces, knownJsonText, textSlices } from '@gantry/spec';

/*
 * Sizing what a span stores, and shortening what is too large to store whole: the recorder's
 * bounds (buffered bytes, statement size, largest body) are counted with these.
 */

/**
 * How a request, result or raw exchange too large to store whole is stored (README, "What is
 * recorded"): its JSON text's size, hash and beginning.
 */
export interface TruncatedBody {
  truncated: true;
  /** Size of the whole value's JSON text, in UTF-8 bytes. */
  bytes: number;
  /** SHA-256 of that text (UTF-8), hex. */
  sha256: string;
  /** The text's first {@link TRUNCATED_HEAD_CHARACTERS} characters. */
  head: string;
}

/** Characters of a truncated body's JSON text kept in its `head`. */
export const TRUNCATED_HEAD_CHARACTERS = 16_384;

/** A copy of the first `length` characters of `text`, not ending in half a surrogate pair, holding no reference to `text`. */
function headOf(text: string, length: number): string {
  let end = Math.min(text.length, length);
  const last = text.charCodeAt(end - 1);
  if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
  // A slice of a long string keeps the whole string alive in V8; the round trip copies it (UTF-16, so every code unit stays).
  return Buffer.from(text.slice(0, end), 'utf16le').toString('utf16le');
}

/**
 * Size in UTF-8 bytes and SHA-256 of the text made of `parts`, a piece of at most
 * `JSON_PIECE_CHARS` at a time: neither a Buffer of the whole text nor a flat copy of a long part
 * is ever made (each cost 25 ms or more for 10 MB on this machine, in page faults alone).
 */
function sizeAndHash(parts: readonly string[]): { bytes: number; sha256: string } {
  const hash = createHash('sha256');
  let bytes = 0;
  for (const part of parts) {
    for (const piece of part.length <= JSON_PIECE_CHARS ? [part] : textSlices(part)) {
      bytes += Buffer.byteLength(piece, 'utf8');
      hash.update(piece, 'utf8');
    }
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * `JSON.stringify(value)` in parts (`jsonTextPieces`): a value whose text was kept (the body sent
 * to a provider, `keepJsonText`), or a plain object some of whose fields' texts were (an exchange
 * holding that body), is not stringified again — 10 MB cost about 40 ms each time.
 */
function jsonTextParts(value: unknown): readonly string[] {
  const whole = knownJsonText(value);
  if (whole !== undefined) return whole;
  const plain = value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype && !('toJSON' in value);
  const fields = plain ? Object.entries(value) : [];
  if (!fields.some(([, field]) => knownJsonText(field) !== undefined)) {
    const pieces = jsonTextPieces(value);
    return pieces.length === 0 ? ['null'] : pieces;
  }
  const parts = ['{'];
  for (const [key, field] of fields) {
    const text = knownJsonText(field) ?? jsonTextPieces(field);
    if (text.length === 0) continue; // undefined, functions and symbols: left out, as JSON.stringify does
    parts.push(`${parts.length === 1 ? '' : ','}${JSON.stringify(key)}:`, ...text);
  }
  parts.push('}');
  return parts;
}

/** The stored form of a body too large to keep whole. */
export function truncatedBody(value: unknown): TruncatedBody {
  const parts = jsonTextParts(value);
  let head = '';
  for (const part of parts) {
    head += part.slice(0, TRUNCATED_HEAD_CHARACTERS + 1 - head.length);
    if (head.length > TRUNCATED_HEAD_CHARACTERS) break;
  }
  return { truncated: true, ...sizeAndHash(parts), head: headOf(head, TRUNCATED_HEAD_CHARACTERS) };
}

/** A tool output too long to store whole: its beginning, then its size and hash. */
export function shortenedOutput(output: string): string {
  const { bytes, sha256 } = sizeAndHash([output]);
  return `${headOf(output, TRUNCATED_HEAD_CHARACTERS)}… [truncated: ${bytes} bytes, sha256 ${sha256}]`;
}
