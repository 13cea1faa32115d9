import { InvalidRequestError } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { MAX_METADATA_DEPTH, readRunContext } from '../src/run-context.ts';

function rejectionOf(metadata: string): InvalidRequestError {
  try {
    readRunContext({ 'x-gantry-metadata': metadata });
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidRequestError);
    return error as InvalidRequestError;
  }
  throw new Error(`expected ${metadata} to be rejected`);
}

describe('run context › x-gantry-metadata', () => {
  it('rejects a NUL character in a value or a key, naming the header and the key', () => {
    for (const [metadata, key] of [
      ['{"task":"a\\u0000b"}', 'task'],
      ['{"outer":{"\\u0000":1}}', '\\u0000'],
      ['{"list":["ok","\\u0000"]}', '1'],
    ] as const) {
      const error = rejectionOf(metadata);
      expect(error, metadata).toMatchObject({ status: 400, param: 'x-gantry-metadata' });
      expect(error.message, metadata).toBe(`header x-gantry-metadata: "${key}" holds a NUL character (\\u0000), which cannot be stored; send text without it`);
    }
  });

  it('rejects lone UTF-16 surrogates, leaving whole pairs alone', () => {
    for (const metadata of ['{"a":"\\ud800"}', '{"a":"x\\udfff"}', '{"\\udbff":"key"}']) {
      expect(rejectionOf(metadata).message, metadata).toMatch(/holds a lone UTF-16 surrogate/);
    }
    expect(readRunContext({ 'x-gantry-metadata': '{"a":"\\ud83d\\ude00"}' }).metadata).toEqual({ a: '😀' });
  });

  it(`accepts metadata nested ${MAX_METADATA_DEPTH} levels and rejects one level more`, () => {
    const nested = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
    expect(readRunContext({ 'x-gantry-metadata': nested(MAX_METADATA_DEPTH) }).metadata).toBeDefined();
    expect(rejectionOf(nested(MAX_METADATA_DEPTH + 1)).message).toBe(`header x-gantry-metadata: "a" nests arrays and objects more than ${MAX_METADATA_DEPTH} levels deep; flatten it`);
    // A header's worth of brackets is deeper than recursion survives; the walk is iterative.
    expect(rejectionOf(`{"a":${'['.repeat(8000)}${']'.repeat(8000)}}`).message).toMatch(/more than 32 levels deep/);
  });
});
