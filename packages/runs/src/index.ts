export { SpanRecorder, type SpanRecorderOptions, type SpanRecorderStats } from './span-recorder.ts';
export { newSpanId } from './span-id.ts';
export { buildCallRows, type CallAttempt, type CallRecord } from './call-rows.ts';
