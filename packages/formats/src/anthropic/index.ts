export { encodeAnthropicRequest, DEFAULT_ANTHROPIC_MAX_TOKENS, type EncodeAnthropicRequestOptions } from './encode-anthropic-request.ts';
export { decodeAnthropicResponse, decodeAnthropicCountTokensResponse } from './decode-anthropic-response.ts';
export { createAnthropicStreamDecoder, type AnthropicStreamDecoder } from './decode-anthropic-stream.ts';
export { decodeAnthropicRequest } from './decode-anthropic-request.ts';
export { encodeAnthropicResponse, type EncodeAnthropicResponseOptions } from './encode-anthropic-response.ts';
export { createAnthropicStreamEncoder, type AnthropicStreamEncoder, type AnthropicStreamEncoderOptions } from './encode-anthropic-stream.ts';
export { encodeAnthropicError, anthropicErrorType, type AnthropicErrorBody } from './anthropic-error.ts';
export { mapAnthropicStopReason, toAnthropicStopReason } from './map-anthropic-stop-reason.ts';
export { ANTHROPIC_THINKING_BUDGETS, effortForThinkingBudget } from './anthropic-thinking.ts';
