import { InvalidRequestError } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { decodeAnthropicRequest, decodeOpenAIChatRequest } from '../src/index.ts';
import { checkJsonDepth, findJsonProblem, MAX_JSON_DEPTH } from '../src/check-json-value.ts';

/** `levels` arrays nested in one another, the innermost holding `inner`: built with a loop, as JSON.parse builds them. */
function nestedArrays(levels: number, inner: unknown = 1): unknown {
  let value: unknown = inner;
  for (let level = 0; level < levels; level++) value = [value];
  return value;
}

function rejectionOf(decode: () => unknown): InvalidRequestError {
  try {
    decode();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error('expected the body to be rejected');
}

describe('checking the nesting depth of a request body', () => {
  it('accepts a body nested exactly to the limit and rejects one level more, naming the path', () => {
    // The body is level 1, so `extra` may hold MAX_JSON_DEPTH - 1 levels.
    expect(findJsonProblem({ extra: nestedArrays(MAX_JSON_DEPTH - 1) }, { maxDepth: MAX_JSON_DEPTH })).toBeUndefined();
    const problem = findJsonProblem({ extra: nestedArrays(MAX_JSON_DEPTH) }, { maxDepth: MAX_JSON_DEPTH });
    expect(problem?.kind).toBe('too-deep');
    expect(problem?.path).toEqual(['extra', ...Array.from({ length: MAX_JSON_DEPTH - 1 }, () => 0)]);
  });

  it('walks a body nested 200 000 levels deep, past what recursion survives, without overflowing the stack', () => {
    const deep = JSON.parse(`{"model":"m","extra":${'['.repeat(200_000)}${']'.repeat(200_000)}}`) as unknown;
    expect(() => JSON.stringify(deep)).toThrow(RangeError);
    expect(findJsonProblem(deep, { maxDepth: 400_000 })).toBeUndefined();
    expect(findJsonProblem(deep, { maxDepth: MAX_JSON_DEPTH })?.path[0]).toBe('extra');
  });

  it('finds the deep field among wide siblings, through objects and arrays', () => {
    const body = { model: 'm', messages: Array.from({ length: 1000 }, () => ({ role: 'user', content: 'hi' })), tools: [{ function: { parameters: { properties: { a: nestedArrays(200) } } } }] };
    expect(findJsonProblem(body, { maxDepth: MAX_JSON_DEPTH })?.path.slice(0, 6)).toEqual(['tools', 0, 'function', 'parameters', 'properties', 'a']);
  });

  it('throws a 400 naming the field and the limit, cutting a long path', () => {
    const error = rejectionOf(() => checkJsonDepth({ extra: nestedArrays(1000) }));
    expect(error).toMatchObject({ status: 400, code: 'invalid_request', param: 'extra[0][0][0][0][0]' });
    expect(error.message).toBe(
      `request body nests arrays and objects more than ${MAX_JSON_DEPTH} levels deep at extra[0][0][0][0][0]…; flatten that field, or send deeply nested data as a JSON string`,
    );
  });

  it('reports NUL and lone surrogates in keys and strings only when asked to', () => {
    expect(findJsonProblem({ a: ['x\u0000y'] }, { maxDepth: 10 })).toBeUndefined();
    expect(findJsonProblem({ a: ['x\u0000y'] }, { maxDepth: 10, text: true })).toEqual({ kind: 'nul', path: ['a', 0] });
    expect(findJsonProblem({ a: { '\ud800': 1 } }, { maxDepth: 10, text: true })).toEqual({ kind: 'lone-surrogate', path: ['a', '\ud800'] });
    expect(findJsonProblem({ a: 'tail \udc00' }, { maxDepth: 10, text: true })).toEqual({ kind: 'lone-surrogate', path: ['a'] });
    // A whole pair is a character like any other.
    expect(findJsonProblem({ a: 'emoji \ud83d\ude00' }, { maxDepth: 10, text: true })).toBeUndefined();
  });
});

describe('decoding a chat request nested too deeply', () => {
  const deepExtra = JSON.parse(`{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"extra":${'['.repeat(100_000)}${']'.repeat(100_000)}}`) as unknown;

  it('rejects an OpenAI body whose unknown parameter nests past the limit, naming it', () => {
    const error = rejectionOf(() => decodeOpenAIChatRequest(deepExtra));
    expect(error.param).toBe('extra[0][0][0][0][0]');
    expect(error.message).toContain(`more than ${MAX_JSON_DEPTH} levels deep at extra[0]`);
  });

  it('rejects an Anthropic body whose unknown key nests past the limit, naming it', () => {
    const error = rejectionOf(() => decodeAnthropicRequest(deepExtra));
    expect(error.param).toBe('extra[0][0][0][0][0]');
  });

  it('still passes a deep but bounded unknown parameter through verbatim', () => {
    const extra = nestedArrays(MAX_JSON_DEPTH - 1);
    expect(decodeOpenAIChatRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }], extra }).providerOptions).toEqual({ openai: { extra } });
  });
});
