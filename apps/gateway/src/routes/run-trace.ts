import type { Run, Span } from '@gantry/db';
import { usdOf } from './runs-view.ts';

/**
 * A run tree in the Chrome trace event format (`GET /v1/runs/:id/trace.json`), which Perfetto and
 * `chrome://tracing` open: one process for the tree, one or more threads (lanes) per run, named
 * after it, and one complete event (`ph: "X"`) per span, timed in microseconds from the root run's
 * start. A viewer draws the events of a thread as a stack, so it needs each thread's events nested
 * or apart, never half-overlapping: spans that overlap without nesting (parallel tool calls) go to
 * lanes of their own.
 */

interface TraceEvent {
  name: string;
  cat?: string;
  ph: 'X' | 'M';
  pid: number;
  tid: number;
  ts?: number;
  dur?: number;
  args: Record<string, unknown>;
}

interface Timed {
  span: Span;
  start: number;
  end: number;
}

/**
 * Lanes of a run: each a stack of the intervals still open at the point reached. A span goes on
 * a lane where nothing is open, or on top of its own parent span (an attempt in its call): spans
 * that merely overlap — parallel tool calls, even with the same times — get lanes of their own.
 */
function laneOf(lanes: Timed[][], timed: Timed): number {
  for (const [index, stack] of lanes.entries()) {
    while (stack.length > 0 && stack.at(-1)!.end <= timed.start) stack.pop();
    const top = stack.at(-1);
    if (top === undefined || (top.span.id === timed.span.parentSpanId && top.start <= timed.start && timed.end <= top.end)) {
      stack.push(timed);
      return index;
    }
  }
  lanes.push([timed]);
  return lanes.length - 1;
}

function spanArgs(span: Span, open: boolean): Record<string, unknown> {
  return {
    span_id: span.id,
    run_id: span.runId,
    status: span.status,
    ...(span.model === null ? {} : { model: span.model }),
    ...(span.provider === null ? {} : { provider: span.provider, upstream_model: span.upstreamModel }),
    ...(span.toolCallId === null ? {} : { tool_call_id: span.toolCallId }),
    ...(span.kind === 'llm' ? { input_tokens: span.inputTokens, output_tokens: span.outputTokens, cost_usd: usdOf(span.costMicros) } : {}),
    ...(span.firstTokenAt === null ? {} : { ttft_ms: span.firstTokenAt.getTime() - span.startedAt.getTime() }),
    ...(span.error === null ? {} : { error: span.error }),
    ...(open ? { open: true } : {}),
  };
}

/**
 * The trace of a tree: `runs` root first, `spans` of all of them. A span still open (a tool call
 * whose result never came) ends where its run ended, or now, and says `open: true`.
 */
export function runTrace(rootId: string, runs: readonly Run[], spans: readonly Span[], now = new Date()) {
  const root = runs.find((run) => run.id === rootId) ?? runs[0];
  // The root run's start, or its first span's if that came first (a run row is stamped as it is claimed).
  const origin = Math.min(root?.startedAt.getTime() ?? Number.POSITIVE_INFINITY, ...spans.map((span) => span.startedAt.getTime()));
  const runById = new Map(runs.map((run) => [run.id, run]));
  const micros = (date: Date) => Math.round((date.getTime() - origin) * 1000);
  const events: TraceEvent[] = [{ name: 'process_name', ph: 'M', pid: 1, tid: 0, args: { name: `run ${rootId}` } }];
  const lanesByRun = new Map<string, Timed[][]>();
  const threadIds = new Map<string, number>();
  const ordered = [...spans].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || (b.endedAt?.getTime() ?? 0) - (a.endedAt?.getTime() ?? 0));
  for (const span of ordered) {
    const run = runById.get(span.runId);
    const endedAt = span.endedAt ?? run?.endedAt ?? now;
    const timed = { span, start: micros(span.startedAt), end: Math.max(micros(span.startedAt), micros(endedAt)) };
    const lanes = lanesByRun.get(span.runId) ?? [];
    lanesByRun.set(span.runId, lanes);
    const lane = laneOf(lanes, timed);
    const threadKey = `${span.runId}\n${lane}`;
    let tid = threadIds.get(threadKey);
    if (tid === undefined) {
      tid = threadIds.size + 1;
      threadIds.set(threadKey, tid);
      const label = `${run?.name ?? span.runId}${run === undefined || run.depth === 0 ? '' : ` (depth ${run.depth})`}${lane === 0 ? '' : ` · lane ${lane + 1}`}`;
      events.push({ name: 'thread_name', ph: 'M', pid: 1, tid, args: { name: label } });
      events.push({ name: 'thread_sort_index', ph: 'M', pid: 1, tid, args: { sort_index: tid } });
    }
    events.push({
      name: span.name ?? span.kind,
      cat: span.kind,
      ph: 'X',
      pid: 1,
      tid,
      ts: timed.start,
      dur: timed.end - timed.start,
      args: spanArgs(span, span.endedAt === null),
    });
  }
  return { traceEvents: events, displayTimeUnit: 'ms', otherData: { gantry_run_id: rootId, origin: Number.isFinite(origin) ? new Date(origin).toISOString() : null } };
}
