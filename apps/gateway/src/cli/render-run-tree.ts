import type { RunNodeView, SpanView } from '../routes/runs-view.ts';
import { formatUsd } from './format-table.ts';

/** A duration between two ISO times, or `open` while the second is missing. */
function duration(startedAt: string | null, endedAt: string | null): string {
  if (startedAt === null || endedAt === null) return 'open';
  const ms = Date.parse(endedAt) - Date.parse(startedAt);
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

function tokens(span: SpanView): string {
  const { input_tokens: input, output_tokens: output } = span.usage;
  return input === 0 && output === 0 ? '' : `${input}→${output} tok`;
}

/** One span as a line: kind, name, model, duration, tokens, cost, and what went wrong. */
function spanLine(span: SpanView): string {
  const failed = span.status === 'error' ? `error ${span.http_status ?? ''} ${span.error?.message ?? ''}`.trim() : '';
  const cells: string[] = [span.kind.padEnd(7)];
  switch (span.kind) {
    case 'llm':
      cells.push(span.name ?? 'chat', span.model ?? '', duration(span.started_at, span.ended_at), tokens(span), formatUsd(span.cost_usd));
      if (typeof span.attributes.answered_by === 'string') cells.push(`answered by ${span.attributes.answered_by}`);
      break;
    case 'attempt':
      cells.push(span.name ?? `${span.provider}/${span.model}`, duration(span.started_at, span.ended_at));
      break;
    case 'tool':
      cells.push(span.name ?? '', span.tool_call_id ?? '', duration(span.started_at, span.ended_at));
      break;
    case 'agent':
      cells.push(span.name ?? '', `→ run ${String(span.attributes.child_run_id)}`);
      break;
    default:
      cells.push(span.name ?? '', duration(span.started_at, span.ended_at));
  }
  if (failed !== '') cells.push(failed);
  return cells.filter((cell) => cell !== '').join('  ');
}

const count = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

function runLine(run: RunNodeView): string {
  const totals = run.totals;
  const sub = totals.runs > 1 ? `, ${totals.runs - 1} sub-run${totals.runs === 2 ? '' : 's'}` : '';
  return (
    `run ${run.id}${run.name === null ? '' : ` "${run.name}"`}  ${run.status}  ${duration(run.started_at, run.ended_at ?? run.last_activity_at)}  ` +
    `${formatUsd(totals.cost_usd)}  (${count(totals.llm_calls, 'call')}, ${count(totals.tool_calls, 'tool call')}${sub}, ${totals.input_tokens}→${totals.output_tokens} tok)`
  );
}

/**
 * A run tree in the terminal: each run's spans in start order, attempts and cache answers under
 * their call, sub-agent runs under the tool span that spawned them (through their `agent` span),
 * costs and tokens on every line. Totals on a run line include its sub-runs.
 */
export function renderRunTree(root: RunNodeView): string {
  const lines: string[] = [];
  const renderRun = (run: RunNodeView, prefix: string, first: string) => {
    lines.push(first + runLine(run));
    const childRuns = new Map(run.children.map((child) => [child.id, child]));
    const byParent = new Map<string | null, SpanView[]>();
    const ids = new Set(run.spans.map((span) => span.id));
    for (const span of [...run.spans].sort((a, b) => (a.started_at ?? '').localeCompare(b.started_at ?? ''))) {
      const parent = span.parent_span_id !== null && ids.has(span.parent_span_id) ? span.parent_span_id : null;
      const list = byParent.get(parent);
      if (list === undefined) byParent.set(parent, [span]);
      else list.push(span);
    }
    type Item = { span: SpanView } | { run: RunNodeView };
    const renderItems = (items: Item[], indent: string) => {
      items.forEach((item, index) => {
        const last = index === items.length - 1;
        const branch = `${indent}${last ? '└─ ' : '├─ '}`;
        const next = `${indent}${last ? '   ' : '│  '}`;
        if ('run' in item) return renderRun(item.run, next, branch);
        lines.push(branch + spanLine(item.span));
        const children: Item[] = (byParent.get(item.span.id) ?? []).map((span) => ({ span }));
        const spawned = item.span.kind === 'agent' ? childRuns.get(String(item.span.attributes.child_run_id)) : undefined;
        if (spawned !== undefined) children.push({ run: spawned });
        renderItems(children, next);
      });
    };
    const top: Item[] = (byParent.get(null) ?? []).map((span) => ({ span }));
    // Sub-runs whose agent span is not among the spans (written later, or dropped) still show, last.
    const placed = new Set(run.spans.filter((span) => span.kind === 'agent').map((span) => String(span.attributes.child_run_id)));
    const unplaced = run.children.filter((child) => !placed.has(child.id)).map((child): Item => ({ run: child }));
    renderItems([...top, ...unplaced], prefix);
  };
  renderRun(root, '', '');
  return lines.join('\n');
}
