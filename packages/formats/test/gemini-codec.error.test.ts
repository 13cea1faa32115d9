import { InvalidRequestError, ProviderHttpError, ProviderUnreachableError } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { decodeGeminiEmbeddingResponse, decodeGeminiError, encodeGeminiEmbeddingRequest } from '../src/gemini/index.ts';
import { loadJsoncFixture } from './load-fixture.ts';

describe('gemini codec › errors', () => {
  it('decodes the recorded 404 NOT_FOUND into a non-retryable 404 that names the provider and quotes Google', () => {
    const body = loadJsoncFixture('gemini/error-404-NOT_FOUND.jsonc');
    const error = decodeGeminiError(404, body, 'google');
    expect(error).toBeInstanceOf(ProviderHttpError);
    expect(error).toMatchObject({ provider: 'google', upstreamStatus: 404, status: 404, code: 'provider_error', retryable: false, body });
    expect(error.message).toBe(
      'provider google returned HTTP 404 NOT_FOUND: models/custom-gemini-2.0-flash is not found for API version v1beta, or is not supported for generateContent. Call ListModels to see the list of available models and their supported methods.',
    );
  });

  it('makes RESOURCE_EXHAUSTED a retryable 429 and turns its RetryInfo into retry-after', () => {
    const body = {
      error: {
        code: 429,
        message: 'You exceeded your current quota.',
        status: 'RESOURCE_EXHAUSTED',
        details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '37.2s' }],
      },
    };
    expect(decodeGeminiError(429, body)).toMatchObject({ upstreamStatus: 429, status: 429, code: 'rate_limited', retryable: true, headers: { 'retry-after': '38' } });
    expect(decodeGeminiError(429, body, 'gemini', { 'retry-after': '5' }).headers).toEqual({ 'retry-after': '5' });
  });

  it.each([
    ['UNAVAILABLE', 503, 502, true],
    ['INTERNAL', 500, 502, true],
    ['INVALID_ARGUMENT', 400, 400, false],
    ['PERMISSION_DENIED', 403, 403, false],
    ['NOT_FOUND', 404, 404, false],
  ])('maps %s to upstream %i (client status %i, retryable %s)', (status, upstream, client, retryable) => {
    const error = decodeGeminiError(upstream, { error: { code: upstream, message: 'm', status } });
    expect(error).toMatchObject({ upstreamStatus: upstream, status: client, retryable });
  });

  it('trusts the status name over a 200 HTTP status for an error found inside a stream', () => {
    const error = decodeGeminiError(200, { error: { code: 500, message: 'Internal error', status: 'INTERNAL' } });
    expect(error).toMatchObject({ upstreamStatus: 500, retryable: true });
    expect(error.message).toContain('mid-stream');
  });

  it('keeps the HTTP status for a body that is not google.rpc.Status', () => {
    expect(decodeGeminiError(502, '<html>bad gateway</html>')).toMatchObject({ upstreamStatus: 502, body: '<html>bad gateway</html>' });
  });
});

describe('gemini codec › embeddings', () => {
  it('sends one text to embedContent and a list to batchEmbedContents with the model resource', () => {
    expect(encodeGeminiEmbeddingRequest({ model: 'g/e', input: 'hi', dimensions: 4 }, 'gemini-embedding-001')).toEqual({
      method: 'embedContent',
      body: { content: { parts: [{ text: 'hi' }] }, outputDimensionality: 4 },
    });
    expect(encodeGeminiEmbeddingRequest({ model: 'g/e', input: ['a', 'b'] }, 'gemini-embedding-001')).toEqual({
      method: 'batchEmbedContents',
      body: {
        requests: [
          { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'a' }] } },
          { model: 'models/gemini-embedding-001', content: { parts: [{ text: 'b' }] } },
        ],
      },
    });
  });

  it('refuses token arrays, which Gemini cannot embed', () => {
    expect(() => encodeGeminiEmbeddingRequest({ model: 'g/e', input: [1, 2, 3] }, 'm')).toThrow(InvalidRequestError);
  });

  it('decodes both response shapes, and base64 as float32 little-endian', () => {
    const request = { model: 'g/e', input: ['a', 'b'] };
    expect(decodeGeminiEmbeddingResponse({ embeddings: [{ values: [1, 2] }, { values: [3, 4] }] }, 'gemini', request, 'm')).toEqual({
      model: 'm',
      embeddings: [[1, 2], [3, 4]],
      usage: { inputTokens: 0 },
    });
    const single = decodeGeminiEmbeddingResponse({ embedding: { values: [0.5] } }, 'gemini', { model: 'g/e', input: 'a', encodingFormat: 'base64' }, 'm');
    expect(single.embeddings).toEqual([Buffer.from(new Float32Array([0.5]).buffer).toString('base64')]);
    expect(() => decodeGeminiEmbeddingResponse({ nope: 1 }, 'gemini', request, 'm')).toThrow(ProviderUnreachableError);
  });
});
