import type { RunNodeView, SpanView } from '../../../src/routes/runs-view.ts';

/** What a bar of the flame chart stands for: a span of one of the kinds, or a run (the root, or a sub-run no agent span placed). */
export type FlameKind = SpanView['kind'] | 'run';

/** One bar of the flame chart and one row of the tree beside it. Times are epoch milliseconds. */
export interface FlameNode {
  /** Unique in the chart: the span id, or `run:<id>` for a run's own bar. */
  key: string;
  kind: FlameKind;
  label: string;
  start: number;
  end: number;
  /** Still open (a tool call whose result has not come, a running run): it ends at the last moment known. */
  open: boolean;
  /** Cost of the bar: an llm call's own cost; a run's or sub-agent's with all its sub-runs. */
  costUsd: number;
  status: string;
  /** The run the bar belongs to (for a sub-agent's bar: the sub-run it stands for). */
  run: RunNodeView;
  span: SpanView | undefined;
  /** Depth in the tree (0 for the root run). */
  depth: number;
  /** Row of the chart, after packing: children under their parent, overlapping siblings in lanes of their own. */
  row: number;
  children: FlameNode[];
}

/** The laid-out chart: the root bar, every bar in tree order, the rows used and the time extent. */
export interface FlameLayout {
  root: FlameNode;
  nodes: FlameNode[];
  rows: number;
  start: number;
  end: number;
}

const time = (iso: string | null): number | undefined => (iso === null ? undefined : Date.parse(iso));

/** When a run was last known to be doing something: its end, else its last activity. */
function runEnd(run: RunNodeView): number {
  return time(run.ended_at) ?? time(run.last_activity_at) ?? Date.parse(run.started_at!);
}

function spanNode(span: SpanView, run: RunNodeView, fallbackEnd: number): FlameNode {
  const start = Date.parse(span.started_at!);
  const ended = time(span.ended_at);
  return {
    key: span.id,
    kind: span.kind,
    label: span.name ?? span.model ?? span.kind,
    start,
    end: Math.max(start, ended ?? fallbackEnd),
    open: ended === undefined,
    costUsd: span.cost_usd,
    status: span.status,
    run,
    span,
    depth: 0,
    row: 0,
    children: [],
  };
}

/**
 * The spans of `run` as a forest: each under its parent span, top-level ones returned. A sub-agent
 * span takes the top-level spans of the sub-run it stands for as its children, so a sub-agent sits
 * under the tool call that spawned it; sub-runs no agent span names hang under the run itself.
 */
function runForest(run: RunNodeView): { top: FlameNode[]; unplaced: RunNodeView[] } {
  const end = runEnd(run);
  const nodes = new Map(run.spans.map((span) => [span.id, spanNode(span, run, end)]));
  const childRuns = new Map(run.children.map((child) => [child.id, child]));
  const top: FlameNode[] = [];
  for (const node of nodes.values()) {
    const parent = node.span!.parent_span_id === null ? undefined : nodes.get(node.span!.parent_span_id);
    (parent?.children ?? top).push(node);
    if (node.kind !== 'agent') continue;
    const childRunId = node.span!.attributes?.child_run_id;
    const child = typeof childRunId === 'string' ? childRuns.get(childRunId) : undefined;
    if (child === undefined) continue;
    childRuns.delete(child.id);
    adoptRun(node, child);
  }
  return { top, unplaced: [...childRuns.values()] };
}

/** Makes `node` the bar of `run`: its spans and sub-runs below it, its times and cost the run's whole tree. */
function adoptRun(node: FlameNode, run: RunNodeView): void {
  const { top, unplaced } = runForest(run);
  node.children.push(...top, ...unplaced.map(runNode));
  node.run = run;
  node.label = run.name ?? run.id;
  node.costUsd = run.totals.cost_usd;
  node.status = run.status;
  node.start = Math.min(node.start, Date.parse(run.started_at!));
  // An agent span is not closed when its sub-run ends: the run's own times say how long it lasted.
  node.end = Math.max(time(node.span?.ended_at ?? null) ?? node.start, runEnd(run));
  node.open = run.status === 'running';
}

function runNode(run: RunNodeView): FlameNode {
  const start = Date.parse(run.started_at!);
  const node: FlameNode = { key: `run:${run.id}`, kind: 'run', label: run.name ?? run.id, start, end: start, open: run.status === 'running', costUsd: 0, status: run.status, run, span: undefined, depth: 0, row: 0, children: [] };
  adoptRun(node, run);
  return node;
}

/** Widens every bar to cover its children (a span recorded a moment after its parent's end still sits inside it). */
function fit(node: FlameNode, depth: number): void {
  node.depth = depth;
  node.children.sort((a, b) => a.start - b.start || b.end - a.end);
  for (const child of node.children) {
    fit(child, depth + 1);
    node.start = Math.min(node.start, child.start);
    node.end = Math.max(node.end, child.end);
  }
}

interface Placed {
  offset: number;
  height: number;
  end: number;
}

/**
 * Rows of each child block relative to `node` (whose own row is 0), returning the rows `node`
 * needs. Children are blocks (the child and everything below it); a block goes on the first rows
 * where no block overlapping it in time already is: sequential calls share a row, parallel tool
 * calls stack in lanes. Blocks that ended before a child starts can never meet a later child (the
 * children are sorted by start), so they leave the active list: a run of a thousand sequential
 * calls packs in linear time.
 */
function pack(node: FlameNode, offsets: Map<FlameNode, number>): number {
  let active: Placed[] = [];
  let height = 1;
  for (const child of node.children) {
    const childHeight = pack(child, offsets);
    active = active.filter((placed) => placed.end > child.start);
    let offset = 0;
    for (let moved = true; moved; ) {
      moved = false;
      for (const placed of active) {
        if (offset < placed.offset + placed.height && placed.offset < offset + childHeight) {
          offset = placed.offset + placed.height;
          moved = true;
        }
      }
    }
    // A zero-length bar at another's start overlaps nothing in time, but would draw on top of it.
    active.push({ offset, height: childHeight, end: Math.max(child.end, child.start + 0.001) });
    offsets.set(child, offset);
    height = Math.max(height, 1 + offset + childHeight);
  }
  return height;
}

function place(node: FlameNode, row: number, offsets: Map<FlameNode, number>, nodes: FlameNode[]): void {
  node.row = row;
  nodes.push(node);
  for (const child of node.children) place(child, row + 1 + offsets.get(child)!, offsets, nodes);
}

/** Lays out a run tree (`GET /v1/runs/:id`) as a flame chart: x is wall time, y is depth. */
export function layoutFlame(tree: RunNodeView): FlameLayout {
  const root = runNode(tree);
  fit(root, 0);
  const offsets = new Map<FlameNode, number>();
  const rows = pack(root, offsets);
  const nodes: FlameNode[] = [];
  place(root, 0, offsets, nodes);
  return { root, nodes, rows, start: root.start, end: root.end };
}
