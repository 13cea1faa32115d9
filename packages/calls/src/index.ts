export { callChat, type ChatCallOutcome } from './call-chat.ts';
export { callCost } from './call-cost.ts';
export { callEmbeddings } from './call-embeddings.ts';
export { traceOf, type CallHeaders, type CallInput, type CallServices, type CallSettings, type CallTrace, type ChatCallInput, type EmbeddingCallInput, type RecordedCall } from './call-services.ts';
export { isContentEvent } from './observe-stream.ts';
