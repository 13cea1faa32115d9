import type { Run, Span } from '@gantry/db';
import { storeChatRequest, storeChatResult, storeEmbeddingRequest } from '@gantry/spec';
import { describe, expect, it } from 'vitest';
import { snapshotRunTree } from '../src/datasets/snapshot-run.ts';
import type { SnapshotStep } from '../src/eval-types.ts';
import { at, delegationSnapshot, RESEARCH_ANSWER, runRow, SEARCH_OUTPUT, spanRow, T0, textResult } from './snapshot-fixtures.ts';

const expected = delegationSnapshot();
const [step0, step1, step2, step3] = expected.steps as [SnapshotStep, SnapshotStep, SnapshotStep, SnapshotStep];

function runs(): Run[] {
  return [
    runRow({ id: 'run_root', name: 'planner', startedAt: T0, costMicros: 337 }),
    runRow({ id: 'run_child', parentRunId: 'run_root', rootRunId: 'run_root', depth: 1, name: 'researcher', startedAt: at(1_450) }),
  ];
}

/** An `llm` span that answered `step`, stored in the current version (`storeChatRequest`). */
function llmSpan(step: SnapshotStep, times: { start: number; end: number; firstToken?: number }, provider: string | null, upstreamModel: string | null): Span {
  return spanRow({
    id: step.spanId,
    runId: step.runId,
    kind: 'llm',
    startedAt: at(times.start),
    endedAt: at(times.end),
    firstTokenAt: times.firstToken === undefined ? null : at(times.firstToken),
    provider,
    model: step.model,
    upstreamModel,
    inputTokens: step.inputTokens,
    outputTokens: step.outputTokens,
    costMicros: step.costMicros,
    request: storeChatRequest(step.request),
    result: storeChatResult(step.result),
    attributes: { stream: step.request.stream, attempts: 1 },
  });
}

/** A tool span as the recorder writes it: opened by an answer, closed with the agent's output (or not). */
function toolSpan(runId: string, toolCallId: string, name: string, args: string, llmSpanId: string, start: number, output: string | null): Span {
  return spanRow({
    id: `tool_${toolCallId}`,
    runId,
    kind: 'tool',
    name,
    startedAt: at(start),
    toolCallId,
    request: { name, arguments: args },
    result: output === null ? null : { output },
    attributes: { llm_span_id: llmSpanId },
  });
}

/** The sub-agent's place in its parent run: an `agent` span under the tool call that spawned it. */
function agentSpan(parentRunId: string, toolCallId: string | null, childRunId: string, start: number): Span {
  return spanRow({ id: `agent_${childRunId}`, runId: parentRunId, kind: 'agent', name: 'researcher', startedAt: at(start), toolCallId, attributes: { child_run_id: childRunId } });
}

/**
 * The planner/researcher tree as the database holds it, with what a snapshot leaves out: an
 * upstream attempt, a failed `llm` span (with a cost), an embeddings call. Step 1 is stored in
 * version 0 (the canonical value alone, as spans were written before versioning).
 */
function spans(): Span[] {
  const delegate = expected.tools[0]!;
  const search = expected.tools[1]!;
  return [
    llmSpan(step0, { start: 0, end: 1_000 }, 'openai', 'gpt-recorded-1-0301'),
    spanRow({ id: 'attempt_0', runId: 'run_root', parentSpanId: 'span_0', kind: 'attempt', name: 'openai/gpt-recorded-1-0301', provider: 'openai', startedAt: at(1), endedAt: at(999) }),
    toolSpan('run_root', 'call_delegate', 'delegate', delegate.arguments, 'span_0', 1_000, RESEARCH_ANSWER),
    spanRow({
      id: 'span_failed',
      runId: 'run_root',
      kind: 'llm',
      status: 'error',
      startedAt: at(1_100),
      endedAt: at(1_400),
      provider: 'openai',
      model: 'recorded-alias',
      costMicros: 7,
      request: storeChatRequest(step0.request),
      // A stream cut off midway keeps what had arrived.
      result: storeChatResult(textResult('It waits')),
      error: { code: 'provider_timeout', message: 'timed out' },
    }),
    agentSpan('run_root', 'call_delegate', 'run_child', 1_450),
    { ...llmSpan(step1, { start: 1_500, end: 2_000, firstToken: 1_600 }, 'anthropic', null), request: structuredClone(step1.request), result: structuredClone(step1.result) },
    toolSpan('run_child', 'call_search', 'web_search', search.arguments, 'span_1', 2_000, SEARCH_OUTPUT),
    spanRow({
      id: 'span_embed',
      runId: 'run_child',
      kind: 'llm',
      startedAt: at(2_050),
      endedAt: at(2_080),
      provider: 'openai',
      model: 'embedder',
      costMicros: 1,
      request: storeEmbeddingRequest({ model: 'embedder', input: 'fsync latency' }),
      result: { type: 'embeddings', version: 1, model: 'embedder', count: 1, usage: { inputTokens: 3 } },
    }),
    llmSpan(step2, { start: 2_100, end: 2_700, firstToken: 2_250 }, null, null),
    // No model column (an older row): the request names what the client addressed.
    { ...llmSpan(step3, { start: 3_000, end: 4_200 }, 'openai', 'gpt-recorded-1-0301'), model: null },
  ];
}

describe('snapshotRunTree', () => {
  it('snapshots a root run and its sub-agent: runs, answered calls, tool calls and the source', () => {
    expect(snapshotRunTree(runs(), spans())).toEqual(expected);
  });

  it('orders steps by start time across the runs of the tree, whatever order the spans come in', () => {
    // Ids that sort against time, so that only the start times can give the order.
    const renamed: Record<string, string> = { span_0: 'span_z', span_1: 'span_y', span_2: 'span_x', span_3: 'span_w' };
    const rename = (id: unknown) => (typeof id === 'string' ? (renamed[id] ?? id) : id);
    const shuffled = spans()
      .reverse()
      .map((span) => ({ ...span, id: String(rename(span.id)), attributes: { ...span.attributes, llm_span_id: rename(span.attributes.llm_span_id) } }));
    const snapshot = snapshotRunTree(runs(), shuffled);
    expect(snapshot.steps.map((step) => [step.index, step.runId, step.spanId])).toEqual([
      [0, 'run_root', 'span_z'],
      [1, 'run_child', 'span_y'],
      [2, 'run_child', 'span_x'],
      [3, 'run_root', 'span_w'],
    ]);
    expect(snapshot.tools.map((tool) => tool.calledIn)).toEqual([0, 1]);
  });

  it('leaves out failed llm spans and embeddings calls, and sums the source cost over the steps kept', () => {
    const snapshot = snapshotRunTree(runs(), spans());
    expect(snapshot.steps.map((step) => step.spanId)).not.toContain('span_failed');
    expect(snapshot.steps.map((step) => step.spanId)).not.toContain('span_embed');
    // The root run's own total (337) includes the failed call; the item's cost is what its steps cost.
    expect(snapshot.source.costMicros).toBe(100 + 50 + 60 + 120);
  });

  it('reads version-0 and version-1 stored calls as canonical values, without the storage envelope', () => {
    const snapshot = snapshotRunTree(runs(), spans());
    expect(snapshot.steps[1]!.request).toEqual(step1.request);
    expect(snapshot.steps[1]!.result).toEqual(step1.result);
    for (const step of snapshot.steps) {
      expect(Object.keys(step.request)).not.toContain('version');
      expect(Object.keys(step.request)).not.toContain('type');
      expect(Object.keys(step.result)).not.toContain('version');
    }
  });

  it('gives each step its target, latency and time to first token from the span', () => {
    const snapshot = snapshotRunTree(runs(), spans());
    expect(snapshot.steps.map((step) => [step.target, step.latencyMs, step.ttftMs])).toEqual([
      ['openai/gpt-recorded-1-0301', 1_000, null],
      // No upstream model on the span: the answer's model names the target.
      ['anthropic/gpt-recorded-1', 500, 100],
      // No provider (answered by a middleware): no target.
      [null, 600, 150],
      ['openai/gpt-recorded-1-0301', 1_200, null],
    ]);
  });

  it("keeps tool calls with the agent's output, the step that made them and the sub-agent they spawned", () => {
    const snapshot = snapshotRunTree(runs(), spans());
    expect(snapshot.tools).toEqual([
      { runId: 'run_root', toolCallId: 'call_delegate', name: 'delegate', arguments: '{"topic":"fsync","depth":2}', output: RESEARCH_ANSWER, calledIn: 0, childRunId: 'run_child' },
      { runId: 'run_child', toolCallId: 'call_search', name: 'web_search', arguments: '{"query":"fsync latency","limit":3}', output: SEARCH_OUTPUT, calledIn: 1, childRunId: null },
    ]);
    expect(snapshot.runs.map((run) => [run.id, run.parentToolCallId])).toEqual([
      ['run_root', null],
      ['run_child', 'call_delegate'],
    ]);
  });

  it('gives a tool call no agent sent back a null output, and skips tool spans of calls it did not keep', () => {
    const search = expected.tools[1]!;
    const unclosed = spans().map((span) => (span.id === 'tool_call_search' ? { ...span, result: null, endedAt: null } : span));
    const orphans = [
      toolSpan('run_root', 'call_lost', 'web_search', '{}', 'span_failed', 1_400, 'never seen'),
      { ...toolSpan('run_root', 'call_bare', 'web_search', '{}', 'span_0', 1_000, 'no llm span named'), attributes: {} },
    ];
    const snapshot = snapshotRunTree(runs(), [...unclosed, ...orphans]);
    expect(snapshot.tools.map((tool) => tool.toolCallId)).toEqual(['call_delegate', 'call_search']);
    expect(snapshot.tools[1]).toMatchObject({ toolCallId: search.toolCallId, output: null, calledIn: 1 });
  });

  it('links no tool call to a sub-agent whose agent span names no tool call', () => {
    const unplaced = spans().map((span) => (span.kind === 'agent' ? { ...span, toolCallId: null } : span));
    const snapshot = snapshotRunTree(runs(), unplaced);
    expect(snapshot.runs[1]!.parentToolCallId).toBeNull();
    expect(snapshot.tools[0]!.childRunId).toBeNull();
  });

  it('leaves out a call stored in a version it cannot read', () => {
    const newer = spans().map((span) => (span.id === 'span_3' ? { ...span, request: { ...storeChatRequest(step3.request), version: 2 } } : span));
    const snapshot = snapshotRunTree(runs(), newer);
    expect(snapshot.steps.map((step) => step.spanId)).toEqual(['span_0', 'span_1', 'span_2']);
    expect(snapshot.source.costMicros).toBe(210);
  });

  it('takes the source from the root run even when a sub-agent run is listed first', () => {
    const snapshot = snapshotRunTree([...runs()].reverse(), spans());
    expect(snapshot.source).toMatchObject({ runId: 'run_root', name: 'planner', apiKeyId: 'key_1', teamId: 'team_1', startedAt: T0.toISOString() });
  });

  it('refuses a tree without runs', () => {
    expect(() => snapshotRunTree([], spans())).toThrow(/at least its root run/);
  });
});
