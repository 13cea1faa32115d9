export { encodeGeminiRequest, GEMINI_THINKING_BUDGETS } from './encode-gemini-request.ts';
export { decodeGeminiResponse } from './decode-gemini-response.ts';
export { createGeminiStreamDecoder, type GeminiStreamDecoder } from './decode-gemini-stream.ts';
export { decodeGeminiError } from './gemini-error.ts';
export { mapGeminiFinishReason, decodeGeminiUsage } from './map-gemini-finish-reason.ts';
export { encodeGeminiEmbeddingRequest, decodeGeminiEmbeddingResponse, geminiModelResource, type GeminiEmbeddingCall } from './gemini-embeddings.ts';
export { GEMINI_SKIP_SIGNATURE_VALIDATION } from './place-thought-signatures.ts';
