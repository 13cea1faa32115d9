export * from './openai/index.ts';
export * from './anthropic/index.ts';
export * from './gemini/index.ts';
export { ChatResultBuilder } from './fold-stream-events.ts';
export { unfoldChatResult } from './unfold-chat-result.ts';
export { RAW_ARGUMENTS_KEY } from './tool-arguments.ts';
export { toInvalidRequestError, formatIssuePath } from './format-zod-error.ts';
