import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runResearchAgent, type ResearchAgentTruth } from '../agents/research-agent.ts';
import { registerResearchScripts, researchScript } from '../agents/research-agent-script.ts';
import { flattenTree, requestJson, type RunNode } from '../agents/run-tree.ts';
import { adminCall } from '../support/budget-helpers.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

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

/**
 * `GET /v1/runs/:id/trace.json`: the research agent's run tree in the Chrome trace event format,
 * as Perfetto and chrome://tracing read it — one event per span with its exact timing, each
 * thread's events nested or apart (parallel tool calls on lanes of their own), threads named
 * after their runs.
 */
describe('a run as a Chrome trace', () => {
  let stack: Stack;
  let truth: ResearchAgentTruth;
  let tree: RunNode;
  let trace: { traceEvents: TraceEvent[]; displayTimeUnit: string };
  let headers: Headers;
  const script = researchScript(randomBytes(4).toString('hex'));

  beforeAll(async () => {
    stack = await startStack({ config: { pricing: script.pricing } });
    registerResearchScripts(stack.mock, script.tag);
    truth = await runResearchAgent({ baseURL: `${stack.url}/v1`, apiKey: MASTER_KEY, runId: `trace-${randomUUID()}`, stream: true, model: script.model });
    await stack.flush();
    tree = (await requestJson<RunNode>(`${stack.url}/v1/runs/${truth.rootRunId}`, MASTER_KEY)).body;
    const response = await requestJson<typeof trace>(`${stack.url}/v1/runs/${truth.rootRunId}/trace.json`, MASTER_KEY);
    expect(response.status).toBe(200);
    trace = response.body;
    headers = response.headers;
  });
  afterAll(async () => {
    await stack?.close();
  });

  const complete = () => trace.traceEvents.filter((event) => event.ph === 'X');

  it('has one complete event per span of the tree, timed exactly, from the tree’s start', () => {
    const spans = flattenTree(tree).flatMap((run) => run.spans);
    expect(complete()).toHaveLength(spans.length);
    const origin = Math.min(Date.parse(tree.started_at), ...spans.map((span) => Date.parse(span.started_at)));
    for (const span of spans) {
      const event = complete().find((each) => each.args.span_id === span.id)!;
      expect(event.cat).toBe(span.kind);
      expect(event.ts).toBe(Math.round((Date.parse(span.started_at) - origin) * 1000));
      if (span.ended_at !== null) expect(event.dur).toBe(Math.round((Date.parse(span.ended_at) - origin) * 1000) - event.ts!);
    }
    expect(trace.displayTimeUnit).toBe('ms');
    expect(headers.get('content-disposition')).toMatch(/^attachment; filename="run-trace-[\w-]+\.trace\.json"$/);
  });

  it('keeps each thread’s events nested or apart, so a viewer can stack them', () => {
    const byThread = new Map<number, TraceEvent[]>();
    for (const event of complete()) byThread.set(event.tid, [...(byThread.get(event.tid) ?? []), event]);
    for (const events of byThread.values()) {
      for (const a of events) {
        for (const b of events) {
          if (a === b) continue;
          const [aStart, aEnd, bStart, bEnd] = [a.ts!, a.ts! + a.dur!, b.ts!, b.ts! + b.dur!];
          const apart = aEnd <= bStart || bEnd <= aStart;
          const nested = (aStart <= bStart && bEnd <= aEnd) || (bStart <= aStart && aEnd <= bEnd);
          expect(apart || nested, `${a.name} and ${b.name} half-overlap on thread ${a.tid}`).toBe(true);
        }
      }
    }
  });

  it('puts the parallel tool calls on lanes of their own, and names threads after their runs', () => {
    const rootTools = complete().filter((event) => event.cat === 'tool' && event.args.run_id === truth.rootRunId);
    const parallel = rootTools.filter((event) => ['web_search', 'delegate_research'].includes(event.name));
    expect(parallel).toHaveLength(3);
    expect(new Set(parallel.map((event) => event.tid)).size).toBe(3);
    const names = trace.traceEvents.filter((event) => event.ph === 'M' && event.name === 'thread_name').map((event) => event.args.name);
    expect(names).toEqual(expect.arrayContaining(['researcher', 'analyst (depth 1)', 'fact-checker (depth 2)']));
    const llm = complete().find((event) => event.cat === 'llm')!;
    expect(llm.args).toMatchObject({ model: script.models.researcher, input_tokens: expect.any(Number), cost_usd: expect.any(Number) });
  });

  it('is another team’s secret: a key of another team is told the run does not exist', async () => {
    const team = await adminCall<{ id: string }>(stack.url, 'POST', '/admin/teams', { name: `trace-outsider-${script.tag}` });
    const key = await adminCall<{ key: string }>(stack.url, 'POST', '/admin/keys', { name: 'outsider', team_id: team.json.id });
    const response = await requestJson(`${stack.url}/v1/runs/${truth.rootRunId}/trace.json`, key.json.key);
    expect(response.status).toBe(404);
  });
});
