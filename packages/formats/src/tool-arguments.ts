/**
 * Tool-call arguments between the canonical form (JSON text exactly as the model produced it) and
 * the wire families that carry them as an object (Anthropic `tool_use.input`, Gemini
 * `functionCall.args`). One behaviour for every adapter: text that is not a JSON object is kept
 * under RAW_ARGUMENTS_KEY rather than dropped, and unwrapped again on the way back.
 */

/** Key under which tool-call arguments that are not a JSON object are kept, so nothing is dropped. */
export const RAW_ARGUMENTS_KEY = '_raw_arguments';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Arguments text → the object a wire family takes. A JSON object is parsed as it is; empty text
 * becomes `{}`; anything else (a model's truncated or malformed JSON, an array, a scalar) is
 * wrapped as `{"_raw_arguments": "<text as sent>"}`.
 * @see https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/implement-tool-use
 * @see https://ai.google.dev/api/caching#FunctionCall
 */
export function encodeToolArguments(text: string): Record<string, unknown> {
  if (text.trim() === '') return {};
  try {
    const value: unknown = JSON.parse(text);
    if (isPlainObject(value)) return value;
  } catch {
    // Not JSON: wrapped below.
  }
  return { [RAW_ARGUMENTS_KEY]: text };
}

/**
 * A wire family's arguments object → canonical arguments text. A missing input (`undefined` or
 * `null`) is `{}`; an object that is exactly the wrapper `encodeToolArguments` makes gives back
 * the text it wraps, so arguments survive a trip through an object-only wire unchanged.
 */
export function decodeToolArguments(input: unknown): string {
  if (input === undefined || input === null) return '{}';
  if (isPlainObject(input)) {
    const keys = Object.keys(input);
    const raw = input[RAW_ARGUMENTS_KEY];
    if (keys.length === 1 && typeof raw === 'string') return raw;
  }
  return JSON.stringify(input);
}
