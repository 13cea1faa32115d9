import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';
import { OtelRecorderListener, type OtelRecorderListenerOptions } from './otel-recorder-listener.ts';

export interface CreateOtelListenerOptions extends Pick<OtelRecorderListenerOptions, 'providerTypes' | 'lookupRun'> {
  /** Where the OTEL_* settings are read; defaults to process.env. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Milliseconds between batch exports (OTel's default: 5000). */
  scheduledDelayMillis?: number;
}

function positive(text: string | undefined): number | undefined {
  const value = Number(text);
  return text !== undefined && Number.isInteger(value) && value > 0 ? value : undefined;
}

/** The OTLP/HTTP traces URL from the standard variables, or undefined when export is off. */
export function otlpTracesUrl(env: Readonly<Record<string, string | undefined>>): string | undefined {
  if (env.OTEL_SDK_DISABLED?.trim().toLowerCase() === 'true' || env.OTEL_TRACES_EXPORTER?.trim() === 'none') return undefined;
  const tracesEndpoint = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (tracesEndpoint) return tracesEndpoint;
  const endpoint = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  // The generic endpoint is a base URL: the signal path is appended, as the OTLP spec says.
  return endpoint ? `${endpoint.replace(/\/+$/, '')}/v1/traces` : undefined;
}

/**
 * The trace exporter, when `OTEL_EXPORTER_OTLP_ENDPOINT` (or `..._TRACES_ENDPOINT`) is set:
 * OTLP over HTTP with JSON bodies, batched. `OTEL_SERVICE_NAME` names the service (default
 * `gantry`); `OTEL_EXPORTER_OTLP_HEADERS`, `..._TIMEOUT` and `..._COMPRESSION` are read by the
 * exporter itself, `OTEL_RESOURCE_ATTRIBUTES` by the resource, `OTEL_BSP_SCHEDULE_DELAY`,
 * `OTEL_BSP_MAX_QUEUE_SIZE` and `OTEL_BSP_MAX_EXPORT_BATCH_SIZE` size the batches.
 */
export function createOtelListener(options: CreateOtelListenerOptions = {}): OtelRecorderListener | undefined {
  const env = options.env ?? process.env;
  const url = otlpTracesUrl(env);
  if (url === undefined) return undefined;
  const serviceName = env.OTEL_SERVICE_NAME?.trim();
  const resource = defaultResource()
    .merge(resourceFromAttributes({ [ATTR_SERVICE_NAME]: 'gantry' }))
    .merge(detectResources({ detectors: [envDetector] }))
    .merge(serviceName ? resourceFromAttributes({ [ATTR_SERVICE_NAME]: serviceName }) : null);
  const processor = new BatchSpanProcessor({
    exporter: new OTLPTraceExporter({ url }),
    scheduledDelayMillis: options.scheduledDelayMillis ?? positive(env.OTEL_BSP_SCHEDULE_DELAY) ?? 5000,
    // A gateway records in bursts: a larger queue than OTel's default 2048 before spans are dropped.
    maxQueueSize: positive(env.OTEL_BSP_MAX_QUEUE_SIZE) ?? 8192,
    maxExportBatchSize: positive(env.OTEL_BSP_MAX_EXPORT_BATCH_SIZE) ?? 512,
  });
  return new OtelRecorderListener({
    processor,
    resource,
    ...(options.providerTypes === undefined ? {} : { providerTypes: options.providerTypes }),
    ...(options.lookupRun === undefined ? {} : { lookupRun: options.lookupRun }),
  });
}
