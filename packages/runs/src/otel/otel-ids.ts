import { createHash } from 'node:crypto';
import { agentSpanId } from '@gantry/db';

function hashHex(text: string, bytes: number): string {
  const hex = createHash('sha256').update(text).digest('hex').slice(0, bytes * 2);
  // All-zero ids are invalid in W3C trace context; one in 2^64 at worst, but never emit one.
  return /^0+$/.test(hex) ? `${hex.slice(0, -1)}1` : hex;
}

/**
 * The trace id of a run tree that joined no caller's trace: the first 16 bytes of
 * sha256(root run id), so every instance exports the same trace id for one run, uncoordinated.
 */
export function traceIdOfRootRun(rootRunId: string): string {
  return hashHex(rootRunId, 16);
}

/**
 * The OTel span id of a Gantry span id: the first 8 bytes of sha256(id). Derived, so a child can
 * name its parent before (or without) the parent being exported by this instance.
 */
export function otelSpanId(gantrySpanId: string): string {
  return hashHex(gantrySpanId, 8);
}

/**
 * The OTel span id of a run's `invoke_agent` span. It is the id of the run's `agent` span row in
 * its parent (`agent:<runId>`), so a sub-run's place in its parent and its own run span are one span.
 */
export function otelRunSpanId(runId: string): string {
  return otelSpanId(agentSpanId(runId));
}
