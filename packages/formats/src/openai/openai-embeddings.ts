import { InvalidRequestError, ProviderUnreachableError, type EmbeddingRequest, type EmbeddingResult } from '@gantry/spec';
import { toInvalidRequestError } from '../format-zod-error.ts';
import { openaiEmbeddingRequestSchema, openaiEmbeddingResponseSchema } from './openai-wire-schemas.ts';

/** @see https://platform.openai.com/docs/api-reference/embeddings/create */
export function decodeOpenAIEmbeddingRequest(body: unknown): EmbeddingRequest {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw new InvalidRequestError('request body must be a JSON object with "model" and "input"');
  }
  const parsed = openaiEmbeddingRequestSchema.safeParse(body, { reportInput: true });
  if (!parsed.success) throw toInvalidRequestError(parsed.error, 'embeddings request');
  const wire = parsed.data;
  const request: EmbeddingRequest = { model: wire.model, input: wire.input };
  if (wire.dimensions !== undefined) request.dimensions = wire.dimensions;
  if (wire.encoding_format !== undefined) request.encodingFormat = wire.encoding_format;
  if (wire.user !== undefined) request.user = wire.user;
  return request;
}

export function encodeOpenAIEmbeddingRequest(request: EmbeddingRequest, model: string): Record<string, unknown> {
  const body: Record<string, unknown> = { model, input: request.input };
  if (request.dimensions !== undefined) body.dimensions = request.dimensions;
  if (request.encodingFormat !== undefined) body.encoding_format = request.encodingFormat;
  if (request.user !== undefined) body.user = request.user;
  return body;
}

export function decodeOpenAIEmbeddingResponse(body: unknown, provider: string): EmbeddingResult {
  const parsed = openaiEmbeddingResponseSchema.safeParse(body);
  if (!parsed.success) throw new ProviderUnreachableError(provider, `provider ${provider} returned a malformed embeddings response`);
  const embeddings = [...parsed.data.data].sort((a, b) => a.index - b.index).map((item) => item.embedding);
  return { model: parsed.data.model ?? '', embeddings, usage: { inputTokens: parsed.data.usage?.prompt_tokens ?? 0 } };
}

export function encodeOpenAIEmbeddingResponse(result: EmbeddingResult): Record<string, unknown> {
  return {
    object: 'list',
    data: result.embeddings.map((embedding, index) => ({ object: 'embedding', index, embedding })),
    model: result.model,
    usage: { prompt_tokens: result.usage.inputTokens, total_tokens: result.usage.inputTokens },
  };
}
