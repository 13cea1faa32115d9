import { describe, expect, it } from 'vitest';
import { layoutFlame, type FlameNode } from '../console/src/run/flame-layout.ts';
import type { RunNodeView, SpanView } from '../src/routes/runs-view.ts';

const T0 = Date.parse('2026-12-01T10:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

function span(id: string, kind: SpanView['kind'], from: number, to: number | null, extra: Partial<SpanView> = {}): SpanView {
  return {
    id,
    run_id: 'root',
    parent_span_id: null,
    kind,
    name: id,
    status: 'ok',
    started_at: at(from),
    ended_at: to === null ? null : at(to),
    first_token_at: null,
    model: null,
    upstream_model: null,
    provider: null,
    tool_call_id: null,
    usage: { input_tokens: 0, output_tokens: 0, cached_input_tokens: 0, reasoning_tokens: 0 },
    cost_usd: 0,
    cost_micros: 0,
    http_status: null,
    error: null,
    attributes: {},
    ...extra,
  };
}

const totals = { cost_usd: 0, cost_micros: 0, input_tokens: 0, output_tokens: 0, llm_calls: 0, tool_calls: 0, runs: 1, duration_ms: 0 };

function run(id: string, from: number, to: number | null, spans: SpanView[], children: RunNodeView[] = [], parent: string | null = null): RunNodeView {
  return {
    id,
    client_run_id: id,
    parent_run_id: parent,
    root_run_id: 'root',
    name: id,
    status: to === null ? 'running' : 'succeeded',
    depth: parent === null ? 0 : 1,
    api_key_id: null,
    team_id: null,
    metadata: {},
    started_at: at(from),
    ended_at: to === null ? null : at(to),
    last_activity_at: at(to ?? from),
    totals: { ...totals, cost_usd: id === 'child' ? 0.5 : 1 },
    own_totals: totals,
    spans: spans.map((each) => ({ ...each, run_id: id })),
    children,
  };
}

const byKey = (nodes: FlameNode[], key: string) => nodes.find((node) => node.key === key)!;

describe('flame layout', () => {
  // An llm call with an attempt, three parallel tool calls, the third spawning a sub-agent, then a
  // second llm call after the tools returned.
  const child = run('child', 160, 320, [span('child-llm', 'llm', 170, 300)], [], 'root');
  const tree = run('root', 0, 500, [
    span('llm-1', 'llm', 0, 100),
    span('attempt-1', 'attempt', 2, 99, { parent_span_id: 'llm-1' }),
    span('tool-a', 'tool', 100, 200),
    span('tool-b', 'tool', 100, 150),
    span('tool-c', 'tool', 100, 400),
    span('agent', 'agent', 160, null, { parent_span_id: 'tool-c', attributes: { child_run_id: 'child' } }),
    span('llm-2', 'llm', 400, 480),
  ], [child]);
  const layout = layoutFlame(tree);

  it('puts the run on row 0 and sequential calls on one row, their attempts below them', () => {
    expect(layout.root.row).toBe(0);
    expect(byKey(layout.nodes, 'llm-1').row).toBe(1);
    expect(byKey(layout.nodes, 'llm-2').row).toBe(1);
    expect(byKey(layout.nodes, 'attempt-1').row).toBe(2);
    expect([layout.start, layout.end]).toEqual([T0, T0 + 500]);
  });

  it('gives parallel tool calls lanes of their own, each below the blocks above it', () => {
    const rows = ['tool-a', 'tool-b', 'tool-c'].map((key) => byKey(layout.nodes, key).row);
    expect(new Set(rows).size).toBe(3);
    // tool-a shares a row with llm-1 (it starts where llm-1 ends) only if nothing else is there.
    expect(Math.min(...rows)).toBe(1);
  });

  it('hangs the sub-agent under the tool call that spawned it, standing for its run with the run’s spans below', () => {
    const tool = byKey(layout.nodes, 'tool-c');
    const agent = byKey(layout.nodes, 'agent');
    expect(tool.children.map((node) => node.key)).toEqual(['agent']);
    expect(agent.row).toBe(tool.row + 1);
    expect(agent).toMatchObject({ label: 'child', costUsd: 0.5, start: T0 + 160, end: T0 + 320, open: false });
    expect(byKey(layout.nodes, 'child-llm').row).toBe(agent.row + 1);
    expect(agent.run.id).toBe('child');
    expect(layout.rows).toBe(Math.max(...layout.nodes.map((node) => node.row)) + 1);
  });

  it('ends an open span where its run was last active, and marks it open', () => {
    const open = layoutFlame(run('root', 0, null, [span('tool', 'tool', 10, null)]));
    expect(byKey(open.nodes, 'tool')).toMatchObject({ open: true, end: T0 + 10 });
    const running = layoutFlame({ ...run('root', 0, null, [span('tool', 'tool', 10, null)]), last_activity_at: at(90) });
    expect(byKey(running.nodes, 'tool')).toMatchObject({ open: true, end: T0 + 90 });
  });

  it('hangs a sub-run that no agent span names under its parent run', () => {
    const orphan = layoutFlame(run('root', 0, 100, [], [run('child', 10, 50, [span('c', 'llm', 10, 50)], [], 'root')]));
    expect(byKey(orphan.nodes, 'run:child')).toMatchObject({ row: 1, depth: 1 });
    expect(byKey(orphan.nodes, 'c')).toMatchObject({ row: 2, depth: 2 });
  });

  it('lays out 2,000 sequential calls with tool calls on a handful of rows', () => {
    const many: SpanView[] = [];
    for (let index = 0; index < 1000; index++) {
      many.push(span(`llm-${index}`, 'llm', index * 10, index * 10 + 6), span(`tool-${index}`, 'tool', index * 10 + 6, index * 10 + 10));
    }
    const big = layoutFlame(run('root', 0, 10_000, many));
    expect(big.nodes).toHaveLength(2001);
    expect(big.rows).toBe(2);
  });
});
