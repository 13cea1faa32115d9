import { createHash } from 'node:crypto';
import { jsonTextChunks, knownJsonText, textSlices } from '@gantry/spec';

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
 * Characters (or bytes) hashed between two pauses of a truncation made in slices: about a
 * millisecond of work. Slices of a megabyte held the loop for 2–3 ms each, and a steady tenant's
 * median call beside a client sending 9.9 MB bodies took 6.3–7.1 ms against 3.5–4.4 with these.
 */
const SLICE_CHARS = 256 * 1024;

/** Part of a JSON text: characters, or their UTF-8 bytes (a provider body kept as it was sent). */
type TextPart = string | Uint8Array;

/**
 * Size in UTF-8 bytes and SHA-256 of the text made of `parts`, read as they are made, a slice of
 * at most `JSON_CHUNK_CHARS` of a string at a time: neither a Buffer of the whole text nor a flat
 * copy of a long part is ever made (each cost 25 ms or more for 10 MB on this machine, in page
 * faults alone). Yields after each {@link SLICE_CHARS}, where a caller may let other work in (see
 * {@link truncatedBodyInSlices}); making the parts is part of that work.
 */
function* sizeAndHash(parts: Iterable<TextPart>): Generator<void, { bytes: number; sha256: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  let sinceYield = 0;
  for (const part of parts) {
    for (const piece of typeof part === 'string' ? textSlices(part) : [part]) {
      if (typeof piece === 'string') {
        bytes += Buffer.byteLength(piece, 'utf8');
        hash.update(piece, 'utf8');
      } else {
        bytes += piece.length;
        hash.update(piece);
      }
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
 * `JSON.stringify(value)` in parts, made as they are read (`jsonTextChunks`): a value whose text
 * was kept (the body sent to a provider, `keepJsonText`), or a plain object some of whose fields'
 * texts were (an exchange holding that body), is not stringified again.
 */
function* jsonTextParts(value: unknown): Generator<TextPart, void, undefined> {
  const whole = knownJsonText(value);
  if (whole !== undefined) return yield* whole;
  const plain = value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype && !('toJSON' in value);
  const fields = plain ? Object.entries(value) : [];
  if (!fields.some(([, field]) => knownJsonText(field) !== undefined)) {
    let empty = true;
    for (const chunk of jsonTextChunks(value)) {
      empty = false;
      yield chunk;
    }
    if (empty) yield 'null';
    return;
  }
  let first = true;
  yield '{';
  for (const [key, field] of fields) {
    const parts = (knownJsonText(field) ?? jsonTextChunks(field))[Symbol.iterator]();
    let part = parts.next();
    if (part.done === true) continue; // undefined, functions and symbols: left out, as JSON.stringify does
    yield `${first ? '' : ','}${JSON.stringify(key)}:`;
    first = false;
    for (; part.done !== true; part = parts.next()) yield part.value;
  }
  yield '}';
}

/** The first `count` characters of `part` (or a few more: `headOf` cuts). Bytes kept whole never end inside a character. */
function headChars(part: TextPart, count: number): string {
  if (typeof part === 'string') return part.slice(0, count);
  // A UTF-16 code unit is at most three bytes of UTF-8: count + 1 of them hold `count` whole characters.
  return Buffer.from(part.buffer, part.byteOffset, Math.min(part.length, (count + 1) * 3)).toString('utf8').slice(0, count);
}

/** The stored form of a body too large to keep whole, its hashing in steps (see `sizeAndHash`). */
function* truncation(value: unknown): Generator<void, TruncatedBody> {
  let head = '';
  function* withHead(parts: Iterable<TextPart>): Generator<TextPart> {
    for (const part of parts) {
      if (head.length <= TRUNCATED_HEAD_CHARACTERS) head += headChars(part, TRUNCATED_HEAD_CHARACTERS + 1 - head.length);
      yield part;
    }
  }
  const { bytes, sha256 } = yield* sizeAndHash(withHead(jsonTextParts(value)));
  return { truncated: true, bytes, sha256, head: headOf(head, TRUNCATED_HEAD_CHARACTERS) };
}

/** The stored form of a body too large to keep whole. */
export function truncatedBody(value: unknown): TruncatedBody {
  return finish(truncation(value));
}

/**
 * `truncatedBody`, its hashing a slice at a time with other work let in between: 10 MB took
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
