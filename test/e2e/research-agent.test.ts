import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runResearchAgent, type ResearchAgentTruth, type RunTruth } from '../agents/research-agent.ts';
import { RESEARCH_ARGUMENTS, RESEARCH_PRICE, registerResearchScripts, researchScript, type ResearchScript } from '../agents/research-agent-script.ts';
import { flattenTree, requestJson, type RunNode, type SpanDetail, type SpanView } from '../agents/run-tree.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

const time = (iso: string | null) => {
  expect(iso).toEqual(expect.any(String));
  return new Date(iso!).getTime();
};
const costOf = (usage: { inputTokens: number; outputTokens: number }) => usage.inputTokens * RESEARCH_PRICE.input + usage.outputTokens * RESEARCH_PRICE.output;

/** What the agent did in `runIds`, summed: the expected totals of a subtree. */
function expectedTotals(truth: ResearchAgentTruth, runIds: Set<string>) {
  const calls = truth.llmCalls.filter((call) => runIds.has(call.runId));
  return {
    llm_calls: calls.length,
    tool_calls: truth.toolCalls.filter((call) => runIds.has(call.runId)).length,
    input_tokens: calls.reduce((sum, call) => sum + call.usage.inputTokens, 0),
    output_tokens: calls.reduce((sum, call) => sum + call.usage.outputTokens, 0),
    cost_micros: calls.reduce((sum, call) => sum + costOf(call.usage), 0),
    runs: runIds.size,
  };
}

function subtreeIds(truth: ResearchAgentTruth, runId: string): Set<string> {
  const ids = new Set([runId]);
  for (const run of truth.runs) if (run.parentRunId !== null && ids.has(run.parentRunId)) ids.add(run.runId);
  return ids;
}

describe('research agent run tree', () => {
  let stack: Stack;
  const newScript = () => researchScript(randomBytes(4).toString('hex'));
  // Every invocation has models of its own, all priced, so runs never share a script.
  const scripts = { streaming: newScript(), plain: newScript(), concurrentFirst: newScript(), concurrentSecond: newScript() };
  beforeAll(async () => {
    const pricing = Object.assign({}, ...Object.values(scripts).map((script) => script.pricing)) as Record<string, unknown>;
    stack = await startStack({ config: { pricing } });
  });
  afterAll(async () => {
    await stack?.close();
  });

  async function runAgent(stream: boolean, script: ResearchScript): Promise<{ truth: ResearchAgentTruth; tree: RunNode }> {
    registerResearchScripts(stack.mock, script.tag);
    const truth = await runResearchAgent({ baseURL: `${stack.url}/v1`, apiKey: MASTER_KEY, runId: `research-${randomUUID()}`, stream, model: script.model });
    await stack.flush();
    const { status, body } = await requestJson<RunNode>(`${stack.url}/v1/runs/${truth.rootRunId}`, MASTER_KEY);
    expect(status).toBe(200);
    return { truth, tree: body };
  }

  /** The agent did what its script says; otherwise comparing trees would prove little. */
  function expectScriptFollowed(truth: ResearchAgentTruth, script: ResearchScript): void {
    const ids = script.toolCallIds;
    expect(truth.runs.map((run) => [run.name, run.depth, run.toolCallInHeader])).toEqual([
      ['researcher', 0, false],
      ['analyst', 1, true],
      ['fact-checker', 2, false],
    ]);
    expect(truth.llmCalls.map((call) => [call.model, call.toolCallIds])).toEqual([
      [script.models.researcher, [ids.searchFirst, ids.searchSecond, ids.delegate]],
      [script.models.analyst, [ids.factCheck]],
      [script.models.factChecker, []],
      [script.models.analyst, []],
      [script.models.researcher, [ids.notes]],
      [script.models.researcher, []],
    ]);
    expect(truth.toolCalls.map((call) => [call.toolCallId, call.arguments])).toEqual([
      [ids.searchFirst, RESEARCH_ARGUMENTS.searchFirst],
      [ids.searchSecond, RESEARCH_ARGUMENTS.searchSecond],
      [ids.delegate, RESEARCH_ARGUMENTS.delegate],
      [ids.factCheck, RESEARCH_ARGUMENTS.factCheck],
      [ids.notes, RESEARCH_ARGUMENTS.notes],
    ]);
    expect(truth.llmCalls.every((call) => call.usage.inputTokens > 0 && call.usage.outputTokens > 0 && call.spanId !== null)).toBe(true);
    expect(truth.finalAnswer).toMatch(/durable/);
  }

  function expectRuns(truth: ResearchAgentTruth, tree: RunNode): Map<string, RunNode> {
    const nodes = flattenTree(tree);
    const byId = new Map(nodes.map((node) => [node.id, node]));
    expect(nodes.map((node) => node.id).sort()).toEqual(truth.runs.map((run) => run.runId).sort());
    for (const run of truth.runs) {
      const node = byId.get(run.runId)!;
      expect(node).toMatchObject({ name: run.name, parent_run_id: run.parentRunId, root_run_id: truth.rootRunId, depth: run.depth, status: 'succeeded' });
      expect(node.ended_at).not.toBeNull();
      const childIds = truth.runs.filter((child) => child.parentRunId === run.runId).map((child) => child.runId);
      expect(node.children.map((child) => child.id)).toEqual(childIds);
      // Rolled up over the subtree, and own.
      expect(node.totals).toMatchObject(expectedTotals(truth, subtreeIds(truth, run.runId)));
      expect(node.own_totals).toMatchObject(expectedTotals(truth, new Set([run.runId])));
      expect(node.totals.cost_usd).toBeCloseTo(node.totals.cost_micros / 1_000_000, 12);
      if (run.parentRunId !== null) expect(time(node.ended_at)).toBeLessThanOrEqual(time(byId.get(run.parentRunId)!.ended_at));
    }
    // The root's totals are the sum of every run's own totals and of every llm span in the tree.
    const llmSpans = nodes.flatMap((node) => node.spans.filter((span) => span.kind === 'llm'));
    const sum = (pick: (node: RunNode) => number) => nodes.reduce((total, node) => total + pick(node), 0);
    expect(tree.totals).toMatchObject({
      llm_calls: sum((node) => node.own_totals.llm_calls),
      tool_calls: sum((node) => node.own_totals.tool_calls),
      input_tokens: sum((node) => node.own_totals.input_tokens),
      output_tokens: sum((node) => node.own_totals.output_tokens),
      cost_micros: sum((node) => node.own_totals.cost_micros),
    });
    expect(tree.totals.llm_calls).toBe(llmSpans.length);
    expect(tree.totals.input_tokens).toBe(llmSpans.reduce((total, span) => total + span.usage.input_tokens, 0));
    expect(tree.totals.output_tokens).toBe(llmSpans.reduce((total, span) => total + span.usage.output_tokens, 0));
    expect(tree.totals.cost_micros).toBe(llmSpans.reduce((total, span) => total + span.cost_micros, 0));
    expect(tree.totals.tool_calls).toBe(nodes.reduce((total, node) => total + node.spans.filter((span) => span.kind === 'tool').length, 0));
    return byId;
  }

  function expectLlmSpans(truth: ResearchAgentTruth, byId: Map<string, RunNode>): SpanView[] {
    const spans = truth.llmCalls.map((call) => {
      const node = byId.get(call.runId)!;
      const span = node.spans.find((each) => each.id === call.spanId);
      expect(span, `llm span ${call.spanId} in run ${call.runId}`).toBeDefined();
      expect(span).toMatchObject({ kind: 'llm', run_id: call.runId, model: call.model, status: 'ok', http_status: 200, cost_micros: costOf(call.usage) });
      expect(span!.usage).toMatchObject({ input_tokens: call.usage.inputTokens, output_tokens: call.usage.outputTokens });
      expect(span!.attributes).toMatchObject({ stream: truth.stream, attempts: 1 });
      expect(node.spans.filter((each) => each.kind === 'attempt' && each.parent_span_id === span!.id)).toHaveLength(1);
      return span!;
    });
    // Each run holds exactly its own calls, in the order the agent made them.
    for (const [runId, node] of byId) {
      const own = node.spans.filter((span) => span.kind === 'llm').sort((a, b) => time(a.started_at) - time(b.started_at));
      expect(own.map((span) => span.id)).toEqual(truth.llmCalls.filter((call) => call.runId === runId).map((call) => call.spanId));
    }
    // Across the tree: each call is over before the next one starts.
    for (let index = 1; index < spans.length; index++) expect(time(spans[index - 1]!.ended_at)).toBeLessThanOrEqual(time(spans[index]!.started_at));
    return spans;
  }

  async function expectToolSpans(truth: ResearchAgentTruth, byId: Map<string, RunNode>, llmSpans: SpanView[]): Promise<Map<string, SpanView>> {
    const toolSpans = new Map<string, SpanView>();
    for (const call of truth.toolCalls) {
      const id = `tool:${call.runId}:${call.toolCallId}`;
      const span = byId.get(call.runId)!.spans.find((each) => each.id === id);
      expect(span, `tool span ${id}`).toBeDefined();
      expect(span).toMatchObject({ kind: 'tool', name: call.name, tool_call_id: call.toolCallId, status: 'ok', attributes: { llm_span_id: llmSpans[call.calledIn]!.id } });
      // Opens when the response that made the call is over; closes when the request carrying the result arrives.
      expect(time(span!.started_at)).toBe(time(llmSpans[call.calledIn]!.ended_at));
      expect(time(span!.ended_at)).toBeGreaterThanOrEqual(time(llmSpans[call.answeredIn]!.started_at));
      expect(time(span!.ended_at)).toBeLessThanOrEqual(time(llmSpans[call.answeredIn]!.ended_at));
      const detail = await requestJson<SpanDetail>(`${stack.url}/v1/runs/${call.runId}/spans/${encodeURIComponent(id)}`, MASTER_KEY);
      expect(detail.status).toBe(200);
      expect(detail.body.request).toEqual({ name: call.name, arguments: call.arguments });
      expect(detail.body.result).toEqual({ output: call.output });
      toolSpans.set(id, span!);
    }
    for (const [runId, node] of byId) {
      expect(node.spans.filter((span) => span.kind === 'tool')).toHaveLength(truth.toolCalls.filter((call) => call.runId === runId).length);
    }
    // Calls made by one response run in parallel: every one starts before any ends.
    const parallel = truth.toolCalls.filter((call) => call.calledIn === 0).map((call) => toolSpans.get(`tool:${call.runId}:${call.toolCallId}`)!);
    expect(parallel).toHaveLength(3);
    const latestStart = Math.max(...parallel.map((span) => time(span.started_at)));
    expect(parallel.every((span) => time(span.ended_at) >= latestStart)).toBe(true);
    return toolSpans;
  }

  function expectAgentSpans(truth: ResearchAgentTruth, byId: Map<string, RunNode>, toolSpans: Map<string, SpanView>): void {
    const children = truth.runs.filter((run): run is RunTruth & { parentRunId: string } => run.parentRunId !== null);
    for (const child of children) {
      const parent = byId.get(child.parentRunId)!;
      const toolSpanId = `tool:${child.parentRunId}:${child.parentToolCallId}`;
      const span = parent.spans.find((each) => each.id === `agent:${child.runId}`);
      expect(span, `agent span of ${child.name} in ${parent.name}`).toBeDefined();
      expect(span).toMatchObject({ kind: 'agent', name: child.name, parent_span_id: toolSpanId, tool_call_id: child.parentToolCallId, attributes: { child_run_id: child.runId } });
      // It lives inside its tool call and ends with the sub-run.
      const tool = toolSpans.get(toolSpanId)!;
      expect(time(span!.started_at)).toBeGreaterThanOrEqual(time(tool.started_at));
      expect(time(span!.started_at)).toBeLessThanOrEqual(time(tool.ended_at));
      expect(time(span!.ended_at)).toBe(time(byId.get(child.runId)!.ended_at));
    }
    for (const [runId, node] of byId) {
      expect(node.spans.filter((span) => span.kind === 'agent')).toHaveLength(truth.runs.filter((run) => run.parentRunId === runId).length);
    }
  }

  async function expectTreeEqualsTruth(truth: ResearchAgentTruth, tree: RunNode, script: ResearchScript): Promise<void> {
    expectScriptFollowed(truth, script);
    const byId = expectRuns(truth, tree);
    const llmSpans = expectLlmSpans(truth, byId);
    const toolSpans = await expectToolSpans(truth, byId, llmSpans);
    expectAgentSpans(truth, byId, toolSpans);
  }

  it('stores the tree a streaming agent made, call for call', async () => {
    const { truth, tree } = await runAgent(true, scripts.streaming);
    await expectTreeEqualsTruth(truth, tree, scripts.streaming);
  });

  it('stores the tree a non-streaming agent made, call for call', async () => {
    const { truth, tree } = await runAgent(false, scripts.plain);
    await expectTreeEqualsTruth(truth, tree, scripts.plain);
  });

  it('keeps two agent trees apart when they run at the same time', async () => {
    const [first, second] = await Promise.all([runAgent(true, scripts.concurrentFirst), runAgent(false, scripts.concurrentSecond)]);
    expect(first.truth.rootRunId).not.toBe(second.truth.rootRunId);
    await expectTreeEqualsTruth(first.truth, first.tree, scripts.concurrentFirst);
    await expectTreeEqualsTruth(second.truth, second.tree, scripts.concurrentSecond);
  });
});
