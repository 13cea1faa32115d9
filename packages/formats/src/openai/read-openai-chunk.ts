import type { OpenAIChatChunk } from './openai-wire-schemas.ts';

/**
 * Checks one parsed OpenAI stream chunk where the decoder reads it, without a schema parse: the
 * same rules as `openaiChatChunkSchema` (test/openai-chunk-reader.test.ts holds them equal), but
 * no copy of the chunk and no allocation when it is well-formed — this runs for every event of
 * every stream. Returns the chunk, or what is wrong with it (`choices[0].delta.content: expected
 * string, received number`). Unknown fields are left in place and never read.
 */
export function readOpenAIChatChunk(json: unknown): OpenAIChatChunk | string {
  if (!isObject(json)) return mismatch('', 'object', json);
  const problem =
    optional(json, 'id', 'string') ??
    optional(json, 'model', 'string') ??
    optional(json, 'created', 'number') ??
    nullish(json, 'system_fingerprint', 'string') ??
    nullish(json, 'service_tier', 'string') ??
    choicesProblem(json.choices) ??
    (json.usage == null ? undefined : usageProblem(json.usage, 'usage'));
  return problem ?? (json as OpenAIChatChunk);
}

type Json = Record<string, unknown>;
type Primitive = 'string' | 'number';

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function typeName(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value;
}

function mismatch(path: string, expected: string, value: unknown): string {
  return `${path === '' ? '' : `${path}: `}expected ${expected}, received ${typeName(value)}`;
}

/** `key` absent or of `type` (null is refused, as zod's `.optional()` does). */
function optional(object: Json, key: string, type: Primitive, path = key): string | undefined {
  const value = object[key];
  return value === undefined || typeof value === type ? undefined : mismatch(path, type, value);
}

/** `key` absent, null, or of `type`. */
function nullish(object: Json, key: string, type: Primitive, path = key): string | undefined {
  const value = object[key];
  return value == null || typeof value === type ? undefined : mismatch(path, type, value);
}

function choicesProblem(choices: unknown): string | undefined {
  if (choices === undefined) return undefined;
  if (!Array.isArray(choices)) return mismatch('choices', 'array', choices);
  for (let index = 0; index < choices.length; index++) {
    const choice: unknown = choices[index];
    const path = `choices[${index}]`;
    if (!isObject(choice)) return mismatch(path, 'object', choice);
    const problem = optional(choice, 'index', 'number', `${path}.index`) ?? nullish(choice, 'finish_reason', 'string', `${path}.finish_reason`) ?? deltaProblem(choice.delta, `${path}.delta`);
    if (problem !== undefined) return problem;
  }
  return undefined;
}

function deltaProblem(delta: unknown, path: string): string | undefined {
  if (delta == null) return undefined;
  if (!isObject(delta)) return mismatch(path, 'object', delta);
  for (const key of ['content', 'refusal', 'reasoning_content', 'reasoning']) {
    const problem = nullish(delta, key, 'string', `${path}.${key}`);
    if (problem !== undefined) return problem;
  }
  const calls = delta.tool_calls;
  if (calls == null) return undefined;
  if (!Array.isArray(calls)) return mismatch(`${path}.tool_calls`, 'array', calls);
  for (let index = 0; index < calls.length; index++) {
    const call: unknown = calls[index];
    const at = `${path}.tool_calls[${index}]`;
    if (!isObject(call)) return mismatch(at, 'object', call);
    const problem = optional(call, 'index', 'number', `${at}.index`) ?? nullish(call, 'id', 'string', `${at}.id`);
    if (problem !== undefined) return problem;
    const fn = call.function;
    if (fn == null) continue;
    if (!isObject(fn)) return mismatch(`${at}.function`, 'object', fn);
    const fnProblem = nullish(fn, 'name', 'string', `${at}.function.name`) ?? nullish(fn, 'arguments', 'string', `${at}.function.arguments`);
    if (fnProblem !== undefined) return fnProblem;
  }
  return undefined;
}

function usageProblem(usage: unknown, path: string): string | undefined {
  if (!isObject(usage)) return mismatch(path, 'object', usage);
  if (typeof usage.prompt_tokens !== 'number') return mismatch(`${path}.prompt_tokens`, 'number', usage.prompt_tokens);
  return (
    optional(usage, 'completion_tokens', 'number', `${path}.completion_tokens`) ??
    optional(usage, 'total_tokens', 'number', `${path}.total_tokens`) ??
    detailsProblem(usage.prompt_tokens_details, 'cached_tokens', `${path}.prompt_tokens_details`) ??
    detailsProblem(usage.completion_tokens_details, 'reasoning_tokens', `${path}.completion_tokens_details`)
  );
}

function detailsProblem(details: unknown, key: string, path: string): string | undefined {
  if (details == null) return undefined;
  if (!isObject(details)) return mismatch(path, 'object', details);
  return nullish(details, key, 'number', `${path}.${key}`);
}
