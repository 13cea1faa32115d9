export type * from './chat-request.ts';
export type * from './chat-result.ts';
export type * from './stream-event.ts';
export type * from './embedding.ts';
export type * from './call-middleware.ts';
export * from './stored-call.ts';
export * from './errors.ts';
export * from './json-text.ts';
