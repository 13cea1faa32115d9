export { SpanRecorder, type RecordedCall, type RecorderListener, type SpanRecorderOptions, type SpanRecorderStats } from './span-recorder.ts';
export { buildCallRows, type CallAttempt, type CallRecord, type CalledTool } from './call-rows.ts';
export { readRunContext, type RunContext } from './run-context.ts';
export { canAccessRun, findVisibleRun, type RunCaller } from './run-access.ts';
export { RunRegistry, type ActiveRun } from './run-registry.ts';
