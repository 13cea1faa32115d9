export { createOtelListener, otlpTracesUrl, type CreateOtelListenerOptions } from './create-otel-listener.ts';
export { OtelRecorderListener, type EndedRunInfo, type OtelRecorderListenerOptions } from './otel-recorder-listener.ts';
export { otelRunSpanId, otelSpanId, traceIdOfRootRun } from './otel-ids.ts';
