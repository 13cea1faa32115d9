/*
 * The nesting-depth scan of JSON request bodies, in plain JavaScript: the gateway's body parser
 * (json-depth.ts) runs it on the event loop for small bodies, and the body-parse worker
 * (json-body-worker.mjs) runs it off the event loop for large ones.
 */

/**
 * Deepest nesting of arrays and objects in a JSON request body, the body itself being level 1: the
 * `MAX_JSON_DEPTH` the chat decoders of packages/formats enforce on parsed bodies, with the same message.
 */
export const MAX_BODY_DEPTH = 128;
/** Keys and indexes a too-deep error names: enough to find the field, not the hundred levels below it. */
export const NAMED_SEGMENTS = 6;

/** Whether the quote at `quote` is escaped: an odd number of backslashes before it. */
function isEscaped(text, quote) {
  let backslashes = 0;
  for (let index = quote - 1; text.charCodeAt(index) === 0x5c; index--) backslashes++;
  return backslashes % 2 === 1;
}

/**
 * The first `NAMED_SEGMENTS` keys and indexes on the way to the first value of a JSON text nested
 * deeper than `maxDepth`, or undefined. One pass over the text without recursion or allocation
 * beyond the named segments; string contents are skipped with indexOf. Malformed text is left for
 * JSON.parse to report.
 */
export function tooDeepPath(text, maxDepth) {
  let depth = 0;
  // Per container at depths 1..NAMED_SEGMENTS: is it an object, is its next string a key, and the
  // key or index of the child being read.
  /** @type {boolean[]} */
  const isObject = [];
  /** @type {boolean[]} */
  const expectingKey = [];
  /** @type {(string | number)[]} */
  const segment = [];
  for (let index = 0; index < text.length; index++) {
    const code = text.charCodeAt(index);
    if (code === 0x22) {
      let end = index;
      do {
        end = text.indexOf('"', end + 1);
        if (end < 0) return undefined;
      } while (isEscaped(text, end));
      if (depth >= 1 && depth <= NAMED_SEGMENTS && expectingKey[depth] === true) {
        const quoted = text.slice(index, end + 1);
        try {
          segment[depth] = JSON.parse(quoted);
        } catch {
          segment[depth] = quoted.slice(1, -1);
        }
        expectingKey[depth] = false;
      }
      index = end;
    } else if (code === 0x7b || code === 0x5b) {
      depth++;
      if (depth > maxDepth) return segment.slice(1, Math.min(depth, NAMED_SEGMENTS + 1));
      if (depth <= NAMED_SEGMENTS) {
        isObject[depth] = code === 0x7b;
        expectingKey[depth] = code === 0x7b;
        segment[depth] = 0;
      }
    } else if (code === 0x7d || code === 0x5d) {
      depth--;
    } else if (code === 0x2c && depth >= 1 && depth <= NAMED_SEGMENTS) {
      if (isObject[depth] === true) expectingKey[depth] = true;
      else segment[depth] = /** @type {number} */ (segment[depth]) + 1;
    }
  }
  return undefined;
}
