export * from './openai/index.ts';
export { ChatResultBuilder } from './fold-stream-events.ts';
export { toInvalidRequestError, formatIssuePath } from './format-zod-error.ts';
