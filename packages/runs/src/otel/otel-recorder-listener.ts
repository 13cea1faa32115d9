import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type Link, type SpanContext } from '@opentelemetry/api';
import { hrTimeDuration, millisToHrTime } from '@opentelemetry/core';
import type { Resource } from '@opentelemetry/resources';
import type { ReadableSpan, SpanProcessor } from '@opentelemetry/sdk-trace';
import { agentSpanId, type NewSpan, type ToolSpanClose } from '@gantry/db';
import type { RecordedCall, RecorderListener } from '../span-recorder.ts';
import { BoundedMap } from './bounded-map.ts';
import { attemptAttributes, gantryAttributes, llmAttributes, operationOf, providerNameOf, runAttributes, toolAttributes } from './gen-ai-attributes.ts';
import { otelRunSpanId, otelSpanId, traceIdOfRootRun } from './otel-ids.ts';

/** What the run span needs from the run row, looked up when the run ends. */
export interface EndedRunInfo {
  name: string | null;
  startedAt: Date;
  parentRunId: string | null;
  rootRunId: string;
}

export interface OtelRecorderListenerOptions {
  /** Receives every finished span (a BatchSpanProcessor in front of the OTLP exporter). */
  processor: SpanProcessor;
  resource: Resource;
  /** Provider config name → provider type, for `gen_ai.provider.name`. */
  providerTypes?: ReadonlyMap<string, string>;
  /** Reads an ended run's row (name, start, parent); without it, what this instance saw is used. */
  lookupRun?: (id: string) => Promise<EndedRunInfo | undefined>;
  /** Runs, run trees and sub-run placements remembered per instance. */
  maxRememberedRuns?: number;
  /** Open tool spans remembered until their result arrives; past this the oldest are forgotten. */
  maxOpenToolSpans?: number;
}

/** The trace a run tree was given on first sight: the caller's, or one derived from the root run id. */
interface TreeTrace {
  traceId: string;
  /** The caller span of the tree's first traced request: the root run span's parent. */
  callerSpanId?: string;
}

interface CallerTrace {
  traceId: string;
  spanId: string;
}

interface SpanInput {
  name: string;
  kind: SpanKind;
  traceId: string;
  spanId: string;
  parentSpanId?: string | undefined;
  startedAt: Date;
  endedAt: Date;
  attributes: Attributes;
  error?: { message: string } | null | undefined;
  links?: Link[];
}

const SCOPE = { name: '@gantry/runs' } as const;

function spanContext(traceId: string, spanId: string, isRemote = false): SpanContext {
  return { traceId, spanId, traceFlags: TraceFlags.SAMPLED, isRemote };
}

function callerTraceOf(span: NewSpan): CallerTrace | undefined {
  const traceId = span.attributes?.trace_id;
  const spanId = span.attributes?.trace_parent_span_id;
  return typeof traceId === 'string' && typeof spanId === 'string' ? { traceId, spanId } : undefined;
}

/**
 * Turns recorded rows into OpenTelemetry spans with the GenAI conventions: `chat {model}` per llm
 * span (its upstream attempts as children), `execute_tool {name}` once a tool span closes, and
 * `invoke_agent {run}` once a run ends. Span ids are derived from Gantry's ids, so parents are
 * named before they are exported and every instance agrees on them. Listener calls are O(1) and
 * only hand finished spans to the processor, which batches and exports them off the request path.
 */
export class OtelRecorderListener implements RecorderListener {
  private readonly trees: BoundedMap<string, TreeTrace>;
  /** Run id → root run id and first sight, for runs seen on this instance. */
  private readonly runs: BoundedMap<string, { rootRunId: string; firstSeenAt: Date }>;
  /** Sub-run id → the Gantry span id its run span hangs under (a tool span, or the parent's run). */
  private readonly placements: BoundedMap<string, string>;
  private readonly openTools: BoundedMap<string, { span: NewSpan; traceId: string }>;
  private readonly pending = new Set<Promise<void>>();
  private readonly providerTypes: ReadonlyMap<string, string>;

  constructor(private readonly options: OtelRecorderListenerOptions) {
    const maxRuns = options.maxRememberedRuns ?? 50_000;
    this.trees = new BoundedMap(maxRuns);
    this.runs = new BoundedMap(maxRuns);
    this.placements = new BoundedMap(maxRuns);
    this.openTools = new BoundedMap(options.maxOpenToolSpans ?? 10_000);
    this.providerTypes = options.providerTypes ?? new Map();
  }

  recorded(call: RecordedCall): void {
    // A request that named no run is a run of its own, this one call (its llm span says so).
    const implicitRunId = call.spans.find((span) => span.kind === 'llm' && span.oneCallRun === true)?.runId;
    const chatTraces = new Map<string, string>();
    for (const span of call.spans) {
      if (span.kind === 'llm') chatTraces.set(span.id, this.exportLlm(span, span.runId === implicitRunId));
    }
    for (const span of call.spans) {
      if (span.kind === 'attempt') {
        const traceId = span.parentSpanId == null ? undefined : chatTraces.get(span.parentSpanId);
        if (traceId !== undefined) this.exportAttempt(span, traceId);
      } else if (span.kind === 'tool' && span.runId !== implicitRunId) {
        // Answers to an implicit run's tool calls arrive in other runs: they never close.
        this.openTools.set(span.id, { span, traceId: this.treeOf(span.runId).traceId });
      } else if (span.kind === 'agent') {
        const childRunId = span.attributes?.child_run_id;
        if (typeof childRunId !== 'string') continue;
        this.placements.set(childRunId, span.parentSpanId ?? agentSpanId(span.runId));
        this.runs.set(childRunId, { rootRunId: this.rootOf(span.runId), firstSeenAt: span.startedAt });
      }
    }
  }

  toolSpansClosed(closes: readonly ToolSpanClose[]): void {
    for (const close of closes) {
      const open = this.openTools.get(close.id);
      if (open === undefined) continue;
      this.openTools.delete(close.id);
      this.exportTool(open, close.endedAt, true);
    }
  }

  runEnded(run: { id: string; status: string; endedAt: Date }): void {
    const task = this.exportRun(run).catch(() => {
      // Export is best effort; a failed lookup must not surface anywhere.
    });
    this.pending.add(task);
    void task.finally(() => this.pending.delete(task));
  }

  /** Exports what is buffered now. */
  async forceFlush(): Promise<void> {
    await Promise.all([...this.pending]);
    await this.options.processor.forceFlush();
  }

  /** Flushes and stops the exporter (gateway close). */
  async shutdown(): Promise<void> {
    await Promise.all([...this.pending]);
    await this.options.processor.shutdown();
  }

  private rootOf(runId: string): string {
    return this.runs.get(runId)?.rootRunId ?? runId;
  }

  private treeOf(runId: string, caller?: CallerTrace): TreeTrace {
    const root = this.rootOf(runId);
    let tree = this.trees.get(root);
    if (tree === undefined) {
      tree = caller === undefined ? { traceId: traceIdOfRootRun(root) } : { traceId: caller.traceId, callerSpanId: caller.spanId };
      this.trees.set(root, tree);
    }
    return tree;
  }

  /** Exports a `chat` (or `embeddings`) span and returns its trace id, for its attempts. */
  private exportLlm(span: NewSpan, implicit: boolean): string {
    const caller = callerTraceOf(span);
    const rootRunId = span.attributes?.root_run_id;
    if (!implicit && !this.runs.has(span.runId)) {
      this.runs.set(span.runId, { rootRunId: typeof rootRunId === 'string' ? rootRunId : span.runId, firstSeenAt: span.startedAt });
    }
    const links: Link[] = [];
    let traceId: string;
    let parentSpanId: string | undefined;
    if (implicit) {
      // The run is this one call: the span stands alone, or under the caller's span.
      traceId = caller?.traceId ?? traceIdOfRootRun(span.runId);
      parentSpanId = caller?.spanId;
    } else {
      const tree = this.treeOf(span.runId, caller);
      const runSpanId = otelRunSpanId(span.runId);
      if (caller === undefined) {
        traceId = tree.traceId;
        parentSpanId = runSpanId;
      } else {
        // A traced request is a server span of its caller's span, as W3C trace context has it;
        // the link leads to the run span all the same.
        traceId = caller.traceId;
        parentSpanId = caller.spanId;
        links.push({ context: spanContext(tree.traceId, runSpanId), attributes: { 'gantry.link': 'run' } });
      }
    }
    const attributes = llmAttributes(span, span.provider == null ? undefined : providerNameOf(span.provider, this.providerTypes));
    this.emit({
      name: `${operationOf(span)} ${span.model ?? 'unknown'}`,
      kind: SpanKind.SERVER,
      traceId,
      spanId: otelSpanId(span.id),
      parentSpanId,
      startedAt: span.startedAt,
      endedAt: span.endedAt ?? span.startedAt,
      attributes: { ...gantryAttributes(span, implicit ? undefined : this.rootOf(span.runId)), ...attributes },
      error: span.error,
      links,
    });
    return traceId;
  }

  private exportAttempt(span: NewSpan, traceId: string): void {
    this.emit({
      name: `attempt ${span.name ?? span.model ?? 'upstream'}`,
      kind: SpanKind.CLIENT,
      traceId,
      spanId: otelSpanId(span.id),
      parentSpanId: span.parentSpanId == null ? undefined : otelSpanId(span.parentSpanId),
      startedAt: span.startedAt,
      endedAt: span.endedAt ?? span.startedAt,
      attributes: { ...gantryAttributes(span, undefined), ...attemptAttributes(span, span.provider == null ? undefined : providerNameOf(span.provider, this.providerTypes)) },
      error: span.error,
    });
  }

  private exportTool(open: { span: NewSpan; traceId: string }, endedAt: Date, answered: boolean): void {
    const { span, traceId } = open;
    this.emit({
      name: `execute_tool ${span.name ?? 'tool'}`,
      kind: SpanKind.INTERNAL,
      traceId,
      spanId: otelSpanId(span.id),
      parentSpanId: otelRunSpanId(span.runId),
      startedAt: span.startedAt,
      endedAt,
      attributes: { ...gantryAttributes(span, this.rootOf(span.runId)), ...toolAttributes(span), 'gantry.tool.answered': answered },
    });
  }

  private async exportRun(run: { id: string; status: string; endedAt: Date }): Promise<void> {
    const row = await this.options.lookupRun?.(run.id);
    const known = this.runs.get(run.id);
    if (row !== undefined && known === undefined) this.runs.set(run.id, { rootRunId: row.rootRunId, firstSeenAt: row.startedAt });
    const tree = this.treeOf(run.id);
    const placement = this.placements.get(run.id) ?? (row?.parentRunId == null ? undefined : agentSpanId(row.parentRunId));
    const isRoot = this.rootOf(run.id) === run.id;
    const name = row?.name ?? null;
    this.emit({
      name: `invoke_agent ${name ?? run.id}`,
      kind: SpanKind.INTERNAL,
      traceId: tree.traceId,
      spanId: otelRunSpanId(run.id),
      parentSpanId: placement !== undefined ? otelSpanId(placement) : isRoot ? tree.callerSpanId : undefined,
      startedAt: row?.startedAt ?? known?.firstSeenAt ?? run.endedAt,
      endedAt: run.endedAt,
      attributes: { 'gantry.run.id': run.id, 'gantry.root_run.id': this.rootOf(run.id), ...runAttributes({ id: run.id, name, status: run.status }) },
      error: run.status === 'failed' ? { message: `run ${run.id} failed` } : undefined,
    });
    // Ending a run closes its unanswered tool calls at its end, as the database does.
    for (const [id, open] of this.openTools) {
      if (open.span.runId !== run.id) continue;
      this.openTools.delete(id);
      this.exportTool(open, run.endedAt, false);
    }
    this.runs.delete(run.id);
    this.placements.delete(run.id);
  }

  private emit(input: SpanInput): void {
    const start = millisToHrTime(input.startedAt.getTime());
    const end = millisToHrTime(Math.max(input.endedAt.getTime(), input.startedAt.getTime()));
    const context = spanContext(input.traceId, input.spanId);
    const span: ReadableSpan = {
      name: input.name,
      kind: input.kind,
      spanContext: () => context,
      ...(input.parentSpanId === undefined ? {} : { parentSpanContext: spanContext(input.traceId, input.parentSpanId, true) }),
      startTime: start,
      endTime: end,
      duration: hrTimeDuration(start, end),
      status: input.error == null ? { code: SpanStatusCode.UNSET } : { code: SpanStatusCode.ERROR, message: input.error.message },
      attributes: input.attributes,
      links: input.links ?? [],
      events: [],
      ended: true,
      resource: this.options.resource,
      instrumentationScope: SCOPE,
      droppedAttributesCount: 0,
      droppedEventsCount: 0,
      droppedLinksCount: 0,
    };
    this.options.processor.onEnd(span);
  }
}
