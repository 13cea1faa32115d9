import { createHash } from 'node:crypto';
import { jsonTextPieces, knownJsonText, textSlices } from '@gantry/spec';

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

/** Characters hashed between two pauses of a truncation made in slices. */
const SLICE_CHARS = 1024 * 1024;

/**
 * Size in UTF-8 bytes and SHA-256 of the text made of `parts`, a piece of at most
 * `JSON_PIECE_CHARS` at a time: neither a Buffer of the whole text nor a flat copy of a long part
 * is ever made (each cost 25 ms or more for 10 MB on this machine, in page faults alone). Yields
 * after each megabyte, where a caller may let other work in (see {@link truncatedBodyInSlices}).
 */
function* sizeAndHash(parts: readonly string[]): Generator<void, { bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let sinceYield = 0;
  for (const part of parts) {
    for (const piece of textSlices(part)) {
      bytes += Buffer.byteLength(piece, 'utf8');
      hash.update(piece, 'utf8');
      sinceYield += piece.length;
      if (sinceYield >= SLICE_CHARS) {
        sinceYield = 0;
        yield;
      }
    }
  }
  return { bytes, sha256: hash.digest('hex') };
}

/** Runs `steps` to its end at once. */
function finish<T>(steps: Generator<void, T>): T {
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
  }
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

/** The stored form of a body too large to keep whole, its hashing in steps (see `sizeAndHash`). */
function* truncation(value: unknown): Generator<void, TruncatedBody> {
  const parts = jsonTextParts(value);
  let head = '';
  for (const part of parts) {
    head += part.slice(0, TRUNCATED_HEAD_CHARACTERS + 1 - head.length);
    if (head.length > TRUNCATED_HEAD_CHARACTERS) break;
  }
  const { bytes, sha256 } = yield* sizeAndHash(parts);
  return { truncated: true, bytes, sha256, head: headOf(head, TRUNCATED_HEAD_CHARACTERS) };
}

/** The stored form of a body too large to keep whole. */
export function truncatedBody(value: unknown): TruncatedBody {
  return finish(truncation(value));
}

/**
 * `truncatedBody`, its hashing a megabyte at a time with other work let in between: 10 MB took
 * about 30 ms of the event loop in one go, delaying every call in flight.
 */
export async function truncatedBodyInSlices(value: unknown): Promise<TruncatedBody> {
  const steps = truncation(value);
  for (;;) {
    const step = steps.next();
    if (step.done) return step.value;
    await new Promise((resolve) => setImmediate(resolve));
  }
}

/** A tool output too long to store whole: its beginning, then its size and hash. */
export function shortenedOutput(output: string): string {
  const { bytes, sha256 } = finish(sizeAndHash([output]));
  return `${headOf(output, TRUNCATED_HEAD_CHARACTERS)}… [truncated: ${bytes} bytes, sha256 ${sha256}]`;
}
