export type * from './chat-request.ts';
export type * from './chat-result.ts';
export type * from './stream-event.ts';
export type * from './embedding.ts';
export * from './errors.ts';
