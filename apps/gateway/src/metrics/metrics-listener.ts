import type { NewSpan } from '@gantry/db';
import type { RecordedCall, RecorderListener } from '@gantry/runs';
import type { GatewayMetrics } from './gateway-metrics.ts';
import type { MetricLabels } from './metric-labels.ts';

function millis(from: Date, to: Date | null | undefined): number {
  return to == null ? 0 : Math.max(0, to.getTime() - from.getTime());
}

/** One llm span and its attempts, into the counters and histograms. O(attempts). */
function observeCall(metrics: GatewayMetrics, labels: MetricLabels, call: NewSpan, attempts: readonly NewSpan[]): void {
  const stream = call.attributes?.stream === true ? 'true' : 'false';
  const last = attempts.at(-1);
  const winner = attempts.findLast((attempt) => attempt.status === 'ok');
  const provider = labels.provider(call.provider ?? last?.provider ?? 'none');
  // The model sent upstream (the configured name, not an alias nor the provider's dated variant);
  // a name the configuration does not know counts as `other`, so clients cannot add series.
  const model = labels.model(provider, (winner ?? last)?.model ?? call.model ?? 'unknown');

  metrics.llmCalls.inc({ provider, model, status: call.status });
  let upstreamMs = 0;
  for (const attempt of attempts) {
    const duration = millis(attempt.startedAt, attempt.endedAt);
    upstreamMs += duration;
    const attemptProvider = labels.provider(attempt.provider ?? 'none');
    metrics.upstreamLatency.observe({ provider: attemptProvider, outcome: attempt.error == null ? 'ok' : 'error', stream }, duration);
    if (attempt.error != null) metrics.errors.inc({ provider: attemptProvider, code: attempt.error.code });
  }
  // A failure not already counted with an attempt: none was made, or the stream broke after one succeeded.
  if (call.error != null && (last === undefined || last.error == null)) metrics.errors.inc({ provider, code: call.error.code });
  if (attempts.length > 0) metrics.addedLatency.observe({ stream }, Math.max(0, millis(call.startedAt, call.endedAt) - upstreamMs));
  if (call.firstTokenAt != null) metrics.timeToFirstToken.observe({ provider }, millis(call.startedAt, call.firstTokenAt));

  if (call.attributes?.usage_reported !== false) {
    metrics.tokens.inc({ provider, model, type: 'input' }, call.inputTokens ?? 0);
    metrics.tokens.inc({ provider, model, type: 'output' }, call.outputTokens ?? 0);
    metrics.tokens.inc({ provider, model, type: 'cached' }, call.cachedInputTokens ?? 0);
  }
  if ((call.costMicros ?? 0) > 0) metrics.cost.inc({ provider, model }, (call.costMicros ?? 0) / 1_000_000);
}

/**
 * Feeds the metrics from what the recorder records: no work on the request path beyond this.
 * Provider and model labels pass through `labels`, which keeps their values to the configured set.
 */
export function metricsListener(metrics: GatewayMetrics, labels: MetricLabels): RecorderListener {
  return {
    recorded(call: RecordedCall) {
      for (const span of call.spans) {
        if (span.kind !== 'llm') continue;
        observeCall(metrics, labels, span, call.spans.filter((each) => each.kind === 'attempt' && each.parentSpanId === span.id));
      }
    },
    runEnded(run) {
      metrics.runsEnded.inc({ status: run.status });
    },
  };
}
