export { decodeOpenAIChatRequest } from './decode-openai-chat-request.ts';
export { encodeOpenAIChatRequest, type EncodeOpenAIChatRequestOptions } from './encode-openai-chat-request.ts';
export { decodeOpenAIChatResponse } from './decode-openai-chat-response.ts';
export { encodeOpenAIChatResponse } from './encode-openai-chat-response.ts';
export { createOpenAIStreamDecoder, type OpenAIStreamDecoder } from './decode-openai-stream.ts';
export { createOpenAIStreamEncoder, type OpenAIStreamEncoder, type OpenAIStreamEncoderOptions } from './encode-openai-stream.ts';
export { encodeOpenAIError } from './encode-openai-error.ts';
export { mapOpenAIFinishReason, toOpenAIFinishReason } from './map-openai-finish-reason.ts';
export { decodeOpenAIEmbeddingRequest, decodeOpenAIEmbeddingResponse, encodeOpenAIEmbeddingRequest, encodeOpenAIEmbeddingResponse } from './openai-embeddings.ts';
