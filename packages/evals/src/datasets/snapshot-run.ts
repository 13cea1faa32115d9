import type { Run, Span } from '@gantry/db';
import { readStoredRequest, readStoredResult, type ChatRequest, type ChatResult } from '@gantry/spec';
import { SNAPSHOT_VERSION, type ItemSnapshot, type SnapshotStep, type SnapshotTool } from '../eval-types.ts';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The canonical chat request and result of an `llm` span that answered, or undefined (failed, embeddings, unreadable). */
function chatCallOf(span: Span): { request: ChatRequest; result: ChatResult } | undefined {
  if (span.kind !== 'llm' || span.status !== 'ok' || span.request === null || span.result === null) return undefined;
  try {
    const request = readStoredRequest(span.request);
    const result = readStoredResult(span.result);
    if (request.type !== 'chat' || result.type !== 'chat') return undefined;
    const { type: _requestType, version: _requestVersion, ...chatRequest } = request;
    const { type: _resultType, version: _resultVersion, ...chatResult } = result;
    return { request: chatRequest, result: chatResult };
  } catch {
    return undefined;
  }
}

function millisBetween(from: Date | null, to: Date | null): number | null {
  return from === null || to === null ? null : Math.max(0, to.getTime() - from.getTime());
}

/**
 * One recorded run tree as a dataset item: its runs (root first), every LLM call that answered
 * (failed tries are the agent's business and are left out) in start order across the tree, and
 * every tool call with the output the agent sent back and the sub-agent run it spawned.
 */
export function snapshotRunTree(runs: readonly Run[], spans: readonly Span[]): ItemSnapshot {
  const root = runs.find((run) => run.parentRunId === null) ?? runs[0];
  if (root === undefined) throw new Error('snapshotRunTree: a run tree has at least its root run');
  const ordered = [...spans].sort((a, b) => a.startedAt.getTime() - b.startedAt.getTime() || a.id.localeCompare(b.id));
  const steps: SnapshotStep[] = [];
  const stepOfSpan = new Map<string, number>();
  for (const span of ordered) {
    const call = chatCallOf(span);
    if (call === undefined) continue;
    stepOfSpan.set(span.id, steps.length);
    steps.push({
      index: steps.length,
      runId: span.runId,
      spanId: span.id,
      model: span.model ?? call.request.model,
      target: span.provider === null ? null : `${span.provider}/${span.upstreamModel ?? call.result.model}`,
      request: call.request,
      result: call.result,
      costMicros: span.costMicros,
      inputTokens: span.inputTokens,
      outputTokens: span.outputTokens,
      latencyMs: millisBetween(span.startedAt, span.endedAt) ?? 0,
      ttftMs: millisBetween(span.startedAt, span.firstTokenAt),
    });
  }
  const childOfToolCall = new Map<string, string>();
  const parentToolCallOfRun = new Map<string, string>();
  for (const span of ordered) {
    if (span.kind !== 'agent' || span.toolCallId === null) continue;
    const child = isRecord(span.attributes) && typeof span.attributes.child_run_id === 'string' ? span.attributes.child_run_id : undefined;
    if (child === undefined) continue;
    childOfToolCall.set(`${span.runId}\n${span.toolCallId}`, child);
    parentToolCallOfRun.set(child, span.toolCallId);
  }
  const tools: SnapshotTool[] = [];
  for (const span of ordered) {
    if (span.kind !== 'tool' || span.toolCallId === null || !isRecord(span.request)) continue;
    const llmSpanId = isRecord(span.attributes) && typeof span.attributes.llm_span_id === 'string' ? span.attributes.llm_span_id : undefined;
    const calledIn = llmSpanId === undefined ? undefined : stepOfSpan.get(llmSpanId);
    if (calledIn === undefined) continue;
    tools.push({
      runId: span.runId,
      toolCallId: span.toolCallId,
      name: typeof span.request.name === 'string' ? span.request.name : (span.name ?? ''),
      arguments: typeof span.request.arguments === 'string' ? span.request.arguments : '',
      output: isRecord(span.result) && typeof span.result.output === 'string' ? span.result.output : null,
      calledIn,
      childRunId: childOfToolCall.get(`${span.runId}\n${span.toolCallId}`) ?? null,
    });
  }
  const costMicros = steps.reduce((sum, step) => sum + step.costMicros, 0);
  return {
    version: SNAPSHOT_VERSION,
    source: {
      runId: root.id,
      name: root.name,
      apiKeyId: root.apiKeyId,
      teamId: root.teamId,
      status: root.status,
      startedAt: root.startedAt.toISOString(),
      costMicros,
    },
    runs: runs.map((run) => ({
      id: run.id,
      parentRunId: run.parentRunId,
      parentToolCallId: parentToolCallOfRun.get(run.id) ?? null,
      name: run.name,
      depth: run.depth,
      status: run.status,
    })),
    steps,
    tools,
  };
}
