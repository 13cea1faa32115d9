import { createHash } from 'node:crypto';
import { knownJsonText } from '@gantry/spec';

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

/**
 * The length of `JSON.stringify(value)`, give or take: strings, keys and numbers by their length,
 * escapes not counted (so never more than six times too low). Stops counting once past `limit`.
 * Walks the value without building the text, so a typical request costs a microsecond or two.
 */
export function jsonLength(value: unknown, limit: number): number {
  if (typeof value === 'string') return value.length + 2;
  if (typeof value === 'number') return Number.isFinite(value) ? String(value).length : 4;
  // true, null (and undefined, left out of objects anyway): 4; false: 5.
  if (typeof value !== 'object' || value === null) return value === false ? 5 : 4;
  // An ISO time, quoted (the span's own times: not worth building the text).
  if (value instanceof Date) return 26;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return jsonLength((value as { toJSON(): unknown }).toJSON(), limit);
  let total = 2;
  if (Array.isArray(value)) {
    for (const item of value as unknown[]) {
      total += jsonLength(item, limit - total) + 1;
      if (total > limit) return total;
    }
    return total;
  }
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    total += key.length + 4 + jsonLength(item, limit - total);
    if (total > limit) return total;
  }
  return total;
}

/** A copy of the first `length` characters of `text`, not ending in half a surrogate pair, holding no reference to `text`. */
function headOf(text: string, length: number): string {
  let end = Math.min(text.length, length);
  const last = text.charCodeAt(end - 1);
  if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
  // A slice of a long string keeps the whole string alive in V8; the round trip copies it (UTF-16, so every code unit stays).
  return Buffer.from(text.slice(0, end), 'utf16le').toString('utf16le');
}

/**
 * Size in UTF-8 bytes and SHA-256 of the text made of `parts`, without a Buffer of it: allocating
 * and filling 10 MB (30–60 ms on this machine) cost more than counting and hashing the string
 * directly (about 8 ms).
 */
function sizeAndHash(parts: readonly string[]): { bytes: number; sha256: string } {
  const hash = createHash('sha256');
  let bytes = 0;
  for (const part of parts) {
    bytes += Buffer.byteLength(part, 'utf8');
    hash.update(part, 'utf8');
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * `JSON.stringify(value)` in parts: a value whose text was kept (the body sent to a provider,
 * `keepJsonText`), or a plain object some of whose fields' texts were (an exchange holding that
 * body), is not stringified again — 10 MB cost about 40 ms each time, stringifying and flattening.
 */
function jsonTextParts(value: unknown): string[] {
  const whole = knownJsonText(value);
  if (whole !== undefined) return [whole];
  const plain = value !== null && typeof value === 'object' && Object.getPrototypeOf(value) === Object.prototype && !('toJSON' in value);
  const fields = plain ? Object.entries(value) : [];
  if (!fields.some(([, field]) => knownJsonText(field) !== undefined)) return [JSON.stringify(value) ?? 'null'];
  const parts = ['{'];
  for (const [key, field] of fields) {
    const text = knownJsonText(field) ?? (JSON.stringify(field) as string | undefined);
    if (text === undefined) continue; // undefined, functions and symbols: left out, as JSON.stringify does
    parts.push(`${parts.length === 1 ? '' : ','}${JSON.stringify(key)}:`, text);
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
