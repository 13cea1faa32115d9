/*
 * JSON texts of large values, made a small chunk at a time and kept in parts. On this machine kind
 * every fresh page of memory costs about 10 µs to fault in, so a 10 MB string costs ~25 ms before
 * a byte of it is used; and V8 puts every string past 128 KiB in a large-object space of its own
 * fresh pages. Chunks of 16 Ki characters are made in the young generation, whose pages are
 * reused, and die there once read: 10 MB stringified that way cost 12 ms on the event loop, where
 * pieces of 256 Ki cost 50 ms (most of it in page faults) and `JSON.stringify` of the whole 15-60
 * ms in one go. The work can also stop between chunks, so it is spread over turns of the loop.
 */

/**
 * Longest slice of a long string {@link jsonTextChunks} escapes at once, and about the longest
 * chunk it makes, in characters (a chunk may pass it by one escaped slice).
 */
export const JSON_CHUNK_CHARS = 16 * 1024;

/** A JSON text kept in parts, in order: strings, or its UTF-8 bytes (the body a provider was sent). */
export type JsonTextParts = readonly (string | Uint8Array)[];

/** Texts shorter than this are not kept: building them again costs less than keeping them. */
export const KEPT_JSON_TEXT_CHARS = 64 * 1024;

/**
 * The length of `JSON.stringify(value)`, give or take: strings, keys and numbers by their length,
 * escapes not counted (so never more than six times too low), and a comma too many for each array
 * and object (so never more than that too high). Stops counting
 * once past `limit`. Walks the value without building the text, so a typical request costs a
 * microsecond or two.
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

/** `text` in slices of at most {@link JSON_CHUNK_CHARS} characters, none ending in half a surrogate pair. */
export function* textSlices(text: string): Generator<string> {
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + JSON_CHUNK_CHARS);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end -= 1;
    yield text.slice(start, end);
    start = end;
  }
}

/** What `JSON.stringify` serializes in `value`'s place under `key`: `toJSON`'s answer, primitives unboxed. */
function resolved(value: unknown, key: string): unknown {
  let result = value;
  if ((typeof result === 'object' && result !== null) || typeof result === 'bigint') {
    const toJSON = (result as { toJSON?: unknown }).toJSON;
    if (typeof toJSON === 'function') result = toJSON.call(result, key);
  }
  if (typeof result !== 'object' || result === null) return result;
  if (result instanceof Number) return Number(result);
  if (result instanceof String) return String(result);
  if (result instanceof Boolean) return result.valueOf();
  return result;
}

/** Whether `JSON.stringify` writes a (resolved) value at all: undefined, functions and symbols it leaves out of objects. */
function serializable(value: unknown): boolean {
  return value !== undefined && typeof value !== 'function' && typeof value !== 'symbol';
}

/**
 * `JSON.stringify(value)`'s text, exactly, in chunks of about {@link JSON_CHUNK_CHARS} characters
 * made as they are asked for (long strings are split between chunks, never inside a surrogate pair
 * or an escape); the whole text is never one string. Nothing where `JSON.stringify` returns
 * undefined; throws where it throws (a cycle, a BigInt, nesting past the stack).
 */
export function* jsonTextChunks(value: unknown): Generator<string, void, undefined> {
  const top = resolved(value, '');
  if (!serializable(top)) return;
  const ancestors: object[] = [];
  let current = '';
  /** Writes an object or a long string (each its own generator); anything else is `shortText`'s. */
  function* write(item: object | string): Generator<string, void, undefined> {
    if (typeof item === 'string') {
      current += '"';
      // Escaped slice by slice: a pair cut in two would have been escaped as two lone surrogates.
      // A slice with nothing to escape (most of a long prompt) is its own JSON text: a scan, not a copy.
      for (const slice of textSlices(item)) {
        current += ESCAPED.test(slice) ? JSON.stringify(slice).slice(1, -1) : slice;
        if (current.length >= JSON_CHUNK_CHARS) {
          yield current;
          current = '';
        }
      }
      current += '"';
      return;
    }
    if (ancestors.includes(item)) throw new TypeError('Converting circular structure to JSON');
    ancestors.push(item);
    const array = Array.isArray(item);
    current += array ? '[' : '{';
    let first = true;
    for (const key of array ? item.keys() : Object.keys(item)) {
      const member = resolved((item as Record<string | number, unknown>)[key], String(key));
      if (array) current += first ? '' : ',';
      else if (!serializable(member)) continue;
      else current += `${first ? '' : ','}${JSON.stringify(key)}:`;
      first = false;
      const text = shortText(member);
      if (text !== undefined) current += text;
      else yield* write(member as object | string);
      if (current.length >= JSON_CHUNK_CHARS) {
        yield current;
        current = '';
      }
    }
    current += array ? ']' : '}';
    ancestors.pop();
  }
  const text = shortText(top);
  if (text !== undefined) current += text;
  else yield* write(top as object | string);
  if (current !== '') yield current;
}

/** A character `JSON.stringify` writes escaped in a string: `"`, `\\`, a control character, a surrogate (when lone). */
const ESCAPED = /["\\\u0000-\u001f\ud800-\udfff]/;

/** The JSON text of a resolved value that is neither an object nor a long string (undefined and the like in an array: `null`). */
function shortText(item: unknown): string | undefined {
  switch (typeof item) {
    case 'string':
      return item.length <= JSON_CHUNK_CHARS ? JSON.stringify(item) : undefined;
    case 'number':
      return Number.isFinite(item) ? String(item) : 'null';
    case 'boolean':
      return item ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('Do not know how to serialize a BigInt');
    case 'object':
      return item === null ? 'null' : undefined;
    default:
      return 'null';
  }
}

/**
 * JSON texts already built for large values — the body a provider was sent — so that what needs
 * the text again (the recorder sizing and hashing a body too large to store whole) does not
 * stringify megabytes a second time. Keyed weakly: a text lives as long as its value.
 */
const texts = new WeakMap<object, JsonTextParts>();

/** Keeps `text`, which must be exactly `JSON.stringify(value)` (whole, or its parts in order), for {@link knownJsonText}. */
export function keepJsonText(value: unknown, text: string | JsonTextParts): void {
  if (typeof value !== 'object' || value === null) return;
  const pieces = typeof text === 'string' ? [text] : text;
  let length = 0;
  for (const piece of pieces) length += piece.length;
  if (length >= KEPT_JSON_TEXT_CHARS) texts.set(value, pieces);
}

/** `JSON.stringify(value)` as built earlier, in its parts, if it was kept. */
export function knownJsonText(value: unknown): JsonTextParts | undefined {
  return typeof value === 'object' && value !== null ? texts.get(value) : undefined;
}
