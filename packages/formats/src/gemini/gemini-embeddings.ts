import { InvalidRequestError, ProviderUnreachableError, type EmbeddingRequest, type EmbeddingResult } from '@gantry/spec';
import { geminiBatchEmbedContentsResponseSchema, geminiEmbedContentResponseSchema } from './gemini-wire-schemas.ts';

export interface GeminiEmbeddingCall {
  /** The model method to call: one text → `embedContent`, a list → `batchEmbedContents`. */
  method: 'embedContent' | 'batchEmbedContents';
  body: Record<string, unknown>;
}

/** `gemini-embedding-001` → `models/gemini-embedding-001`; a full resource name stays as it is. */
export function geminiModelResource(model: string): string {
  return model.includes('/') ? model : `models/${model}`;
}

/**
 * A canonical embeddings request → the Gemini call. Gemini embeds text only: token arrays are
 * refused. `dimensions` → `outputDimensionality`.
 * @see https://ai.google.dev/api/embeddings
 */
export function encodeGeminiEmbeddingRequest(request: EmbeddingRequest, model: string): GeminiEmbeddingCall {
  const one = (text: string): Record<string, unknown> => ({
    content: { parts: [{ text }] },
    ...(request.dimensions === undefined ? {} : { outputDimensionality: request.dimensions }),
  });
  if (typeof request.input === 'string') return { method: 'embedContent', body: one(request.input) };
  if (!request.input.every((item): item is string => typeof item === 'string')) {
    throw new InvalidRequestError('gemini embeds text only; send input as a string or an array of strings, not token arrays', { param: 'input' });
  }
  const resource = geminiModelResource(model);
  return { method: 'batchEmbedContents', body: { requests: request.input.map((text) => ({ model: resource, ...one(text) })) } };
}

/** float32 little-endian bytes as base64, OpenAI's `encoding_format: "base64"`. */
function toBase64(values: number[]): string {
  return Buffer.from(new Float32Array(values).buffer).toString('base64');
}

/**
 * Either embeddings response → EmbeddingResult. Gemini reports no token count for embeddings
 * unless it sends `usageMetadata`; then `inputTokens` is 0.
 */
export function decodeGeminiEmbeddingResponse(body: unknown, provider: string, request: EmbeddingRequest, model: string): EmbeddingResult {
  const batch = geminiBatchEmbedContentsResponseSchema.safeParse(body);
  const single = batch.success ? undefined : geminiEmbedContentResponseSchema.safeParse(body);
  let vectors: number[][];
  let inputTokens = 0;
  if (batch.success) {
    vectors = batch.data.embeddings.map((embedding) => embedding.values);
    inputTokens = batch.data.usageMetadata?.promptTokenCount ?? 0;
  } else if (single?.success) {
    vectors = [single.data.embedding.values];
    inputTokens = single.data.usageMetadata?.promptTokenCount ?? 0;
  } else {
    throw new ProviderUnreachableError(provider, `provider ${provider} returned a malformed embeddings response`);
  }
  const embeddings = request.encodingFormat === 'base64' ? vectors.map(toBase64) : vectors;
  return { model, embeddings, usage: { inputTokens } };
}
