/**
 * Text Postgres refuses, made storable and given back unchanged.
 *
 * Postgres cannot hold U+0000 in text, json or jsonb, nor a lone UTF-16 surrogate (`"\ud800"`,
 * valid JSON and valid in a JS string) in text or jsonb: one such character in a client's
 * `user`, message text or tool arguments used to fail the whole batch holding it. On the way in,
 * each such code unit is written as {@link STORABLE_MARKER} followed by its four lowercase hex
 * digits (`"\ud800"` → `"\ufdd0d800"`); so is the marker itself, so a stored marker always starts
 * an escape and decoding cannot mistake a client's text for one. U+FDD0 is a Unicode
 * noncharacter, reserved for exactly this kind of internal use: legitimate text almost never
 * holds it, and when it does it still round-trips. Readers undo it with {@link fromStorable}.
 *
 * Raw SQL over the stored columns sees the escaped form; read through the repository functions.
 */
export const STORABLE_MARKER = '\ufdd0';

/**
 * A JSON `\u` escape JSON.stringify writes for NUL or a lone surrogate (it writes paired
 * surrogates as the characters themselves), not preceded by an odd number of backslashes (which
 * would make it the text `\u…` after an escaped backslash); or the marker itself.
 */
const REFUSED_IN_JSON = /(?<!\\)((?:\\\\)*)\\u(0000|d[89a-f][0-9a-f]{2})|\ufdd0/g;

const ESCAPED = /\ufdd0([0-9a-f]{4})/g;

/** NUL, the marker, and a surrogate that is not half of a pair, in a JS string. */
const REFUSED_IN_TEXT = /[\u0000\ufdd0]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The storable form of JSON text produced by `JSON.stringify`: every NUL, lone surrogate and
 * marker, in keys and values alike, escaped as above. Text with none of them (nearly all of it)
 * is returned as it is, after three substring scans.
 */
export function toStorableJson(json: string): string {
  if (!json.includes('\\u0000') && !json.includes('\\ud') && !json.includes(STORABLE_MARKER)) return json;
  return json.replace(REFUSED_IN_JSON, (match: string, backslashes: string | undefined, hex: string | undefined) =>
    hex === undefined ? `${STORABLE_MARKER}fdd0` : `${backslashes ?? ''}${STORABLE_MARKER}${hex}`,
  );
}

/**
 * The storable form of one string bound as a parameter (an id to look up, say): what the same text
 * became when it was written inside a JSON batch.
 */
export function toStorableText(text: string): string {
  return text.replace(REFUSED_IN_TEXT, (unit) => `${STORABLE_MARKER}${unit.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** One stored string as it was written (the inverse of the escaping above). */
export function fromStorableText(text: string): string {
  return text.includes(STORABLE_MARKER) ? text.replace(ESCAPED, (_match, hex: string) => String.fromCharCode(Number.parseInt(hex, 16))) : text;
}

function isPlainObject(value: object): value is Record<string, unknown> {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/**
 * A value read back from the database as it was written: every string in it (object keys
 * included, recursively through plain objects and arrays) decoded. Dates and other class
 * instances are left alone. Returns the same object when nothing in it was escaped, so the common
 * case allocates nothing.
 */
export function fromStorable<T>(value: T): T {
  if (typeof value === 'string') return fromStorableText(value) as T;
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let index = 0; index < value.length; index++) {
      const item: unknown = value[index];
      const decoded = fromStorable(item);
      if (decoded !== item) {
        copy ??= value.slice();
        copy[index] = decoded;
      }
    }
    return (copy ?? value) as T;
  }
  if (!isPlainObject(value)) return value;
  let changed = false;
  const entries = Object.entries(value).map(([key, item]): [string, unknown] => {
    const decodedKey = fromStorableText(key);
    const decoded = fromStorable(item);
    if (decodedKey !== key || decoded !== item) changed = true;
    return [decodedKey, decoded];
  });
  // fromEntries defines properties (a key `__proto__` stays a key, as JSON.parse made it).
  return changed ? (Object.fromEntries(entries) as T) : value;
}
