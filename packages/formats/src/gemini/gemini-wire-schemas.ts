import { z } from 'zod';

/**
 * Zod schemas for the Gemini generateContent responses we parse. Loose: Google adds fields
 * (`avgLogprobs`, `turnToken`, `safetyRatings`, …); we keep what we map.
 * @see https://ai.google.dev/api/generate-content#v1beta.GenerateContentResponse
 */

/** @see https://ai.google.dev/api/caching#Part */
export const geminiPartSchema = z
  .object({
    text: z.string().optional(),
    thought: z.boolean().optional(),
    thoughtSignature: z.string().optional(),
    functionCall: z
      .object({ id: z.string().optional(), name: z.string(), args: z.record(z.string(), z.unknown()).nullish() })
      .loose()
      .optional(),
    executableCode: z.object({ language: z.string().optional(), code: z.string() }).loose().optional(),
    codeExecutionResult: z.object({ outcome: z.string().optional(), output: z.string().optional() }).loose().optional(),
  })
  .loose();

export type GeminiPart = z.infer<typeof geminiPartSchema>;

/** @see https://ai.google.dev/api/generate-content#UsageMetadata */
export const geminiUsageSchema = z
  .object({
    promptTokenCount: z.number().optional(),
    cachedContentTokenCount: z.number().optional(),
    candidatesTokenCount: z.number().optional(),
    toolUsePromptTokenCount: z.number().optional(),
    thoughtsTokenCount: z.number().optional(),
    totalTokenCount: z.number().optional(),
  })
  .loose();

export type GeminiUsage = z.infer<typeof geminiUsageSchema>;

export const geminiCandidateSchema = z
  .object({
    index: z.number().optional(),
    content: z.object({ role: z.string().optional(), parts: z.array(geminiPartSchema).optional() }).loose().optional(),
    finishReason: z.string().optional(),
    finishMessage: z.string().optional(),
  })
  .loose();

export type GeminiCandidate = z.infer<typeof geminiCandidateSchema>;

/** One `generateContent` response, and equally one `streamGenerateContent` chunk. */
export const geminiResponseSchema = z
  .object({
    candidates: z.array(geminiCandidateSchema).optional(),
    promptFeedback: z.object({ blockReason: z.string().optional() }).loose().optional(),
    usageMetadata: geminiUsageSchema.optional(),
    modelVersion: z.string().optional(),
    responseId: z.string().optional(),
  })
  .loose();

export type GeminiResponse = z.infer<typeof geminiResponseSchema>;

/** google.rpc.Status inside `{error: …}`. @see https://ai.google.dev/gemini-api/docs/troubleshooting#error-codes */
export const geminiErrorSchema = z
  .object({
    error: z
      .object({
        code: z.number().optional(),
        message: z.string().optional(),
        status: z.string().optional(),
        details: z.array(z.object({ '@type': z.string().optional(), retryDelay: z.string().optional() }).loose()).optional(),
      })
      .loose(),
  })
  .loose();

/** @see https://ai.google.dev/api/embeddings#method:-models.embedcontent */
export const geminiEmbedContentResponseSchema = z
  .object({
    embedding: z.object({ values: z.array(z.number()) }).loose(),
    usageMetadata: z.object({ promptTokenCount: z.number().optional() }).loose().optional(),
  })
  .loose();

/** @see https://ai.google.dev/api/embeddings#method:-models.batchembedcontents */
export const geminiBatchEmbedContentsResponseSchema = z
  .object({
    embeddings: z.array(z.object({ values: z.array(z.number()) }).loose()),
    usageMetadata: z.object({ promptTokenCount: z.number().optional() }).loose().optional(),
  })
  .loose();
