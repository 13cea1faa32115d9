/*
 * JSON texts of large values, built and kept in pieces. On this machine kind every fresh page of
 * memory costs about 10 µs to fault in, so a 10 MB string costs ~25 ms before a byte of it is
 * used, and `JSON.stringify` returns a string that V8 flattens into yet another 10 MB the first
 * time it is read whole (`Buffer.byteLength`, `hash.update`). Built in pieces, the text is never
 * copied whole, and the work on it can be spread over several turns of the loop.
 */

/**
 * Longest piece {@link jsonTextPieces} builds, in characters (a piece may pass it by one token).
 * Past 128 KiB a string is allocated in V8's large-object space, which young-generation
 * collections never copy: with 64 Ki pieces, a 10 MB text that lived across a few turns of the
 * loop was copied by scavenges (in the big-body probe, 1.13 s of GC pauses against 0.63 s).
 */
export const JSON_PIECE_CHARS = 256 * 1024;

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

/** `text` in slices of at most {@link JSON_PIECE_CHARS} characters, none ending in half a surrogate pair. */
export function* textSlices(text: string): Generator<string> {
  for (let start = 0; start < text.length; ) {
    let end = Math.min(text.length, start + JSON_PIECE_CHARS);
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
 * `JSON.stringify(value)`'s text, exactly, as pieces of about {@link JSON_PIECE_CHARS} characters
 * (long strings are split between pieces, never inside a surrogate pair or an escape), built
 * without the whole text ever being one string. Empty where `JSON.stringify` returns undefined;
 * throws where it throws (a cycle, a BigInt).
 */
export function jsonTextPieces(value: unknown): string[] {
  const pieces: string[] = [];
  const ancestors: object[] = [];
  let current = '';
  const push = (text: string) => {
    current += text;
    if (current.length >= JSON_PIECE_CHARS) {
      pieces.push(current);
      current = '';
    }
  };
  const string = (text: string) => {
    if (text.length <= JSON_PIECE_CHARS) return push(JSON.stringify(text));
    push('"');
    // Escaped slice by slice: a pair cut in two would have been escaped as two lone surrogates.
    for (const slice of textSlices(text)) push(JSON.stringify(slice).slice(1, -1));
    push('"');
  };
  const write = (item: unknown): void => {
    switch (typeof item) {
      case 'string':
        return string(item);
      case 'number':
        return push(Number.isFinite(item) ? String(item) : 'null');
      case 'boolean':
        return push(item ? 'true' : 'false');
      case 'bigint':
        throw new TypeError('Do not know how to serialize a BigInt');
    }
    if (item === null) return push('null');
    const object = item as object;
    if (ancestors.includes(object)) throw new TypeError('Converting circular structure to JSON');
    ancestors.push(object);
    if (Array.isArray(object)) {
      push('[');
      for (let index = 0; index < object.length; index++) {
        if (index > 0) push(',');
        const element = resolved(object[index], String(index));
        if (serializable(element)) write(element);
        else push('null');
      }
      push(']');
    } else {
      push('{');
      let first = true;
      for (const key of Object.keys(object)) {
        const member = resolved((object as Record<string, unknown>)[key], key);
        if (!serializable(member)) continue;
        push(`${first ? '' : ','}${JSON.stringify(key)}:`);
        first = false;
        write(member);
      }
      push('}');
    }
    ancestors.pop();
  };
  const top = resolved(value, '');
  if (!serializable(top)) return pieces;
  write(top);
  if (current !== '') pieces.push(current);
  return pieces;
}

/**
 * JSON texts already built for large values — the body a provider was sent — so that what needs
 * the text again (the recorder sizing and hashing a body too large to store whole) does not
 * stringify megabytes a second time. Keyed weakly: a text lives as long as its value.
 */
const texts = new WeakMap<object, readonly string[]>();

/** Keeps `text`, which must be exactly `JSON.stringify(value)` (whole, or its pieces in order), for {@link knownJsonText}. */
export function keepJsonText(value: unknown, text: string | readonly string[]): void {
  if (typeof value !== 'object' || value === null) return;
  const pieces = typeof text === 'string' ? [text] : text;
  let length = 0;
  for (const piece of pieces) length += piece.length;
  if (length >= KEPT_JSON_TEXT_CHARS) texts.set(value, pieces);
}

/** `JSON.stringify(value)` as built earlier, in its pieces, if it was kept. */
export function knownJsonText(value: unknown): readonly string[] | undefined {
  return typeof value === 'object' && value !== null ? texts.get(value) : undefined;
}
