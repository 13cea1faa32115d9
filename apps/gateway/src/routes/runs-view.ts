import type { Run, RunTotals, Span } from '@gantry/db';

const iso = (date: Date | null) => date?.toISOString() ?? null;

export function usdOf(micros: number): number {
  return micros / 1_000_000;
}

function totalsView(totals: RunTotals, run: Run) {
  const end = run.endedAt ?? run.lastActivityAt;
  return {
    cost_usd: usdOf(totals.costMicros),
    cost_micros: totals.costMicros,
    input_tokens: totals.inputTokens,
    output_tokens: totals.outputTokens,
    llm_calls: totals.llmCalls,
    tool_calls: totals.toolCalls,
    runs: totals.runs,
    duration_ms: end.getTime() - run.startedAt.getTime(),
  };
}

function ownTotals(run: Run): RunTotals {
  return { costMicros: run.costMicros, inputTokens: run.inputTokens, outputTokens: run.outputTokens, llmCalls: run.llmCalls, toolCalls: run.toolCalls, runs: 1 };
}

/**
 * A run in the API's snake_case shape. `totals` include every sub-run; `own_totals` only this run's
 * calls. `client_run_id` is the id the client named; `id` equals it unless another team had used
 * that id first (run ids are per team), and either finds the run in `GET /v1/runs/:id`.
 */
export function runView(run: Run, rolledUp: RunTotals | undefined) {
  return {
    id: run.id,
    client_run_id: run.clientRunId,
    parent_run_id: run.parentRunId,
    root_run_id: run.rootRunId,
    name: run.name,
    status: run.status,
    depth: run.depth,
    api_key_id: run.apiKeyId,
    team_id: run.teamId,
    metadata: run.metadata,
    started_at: iso(run.startedAt),
    ended_at: iso(run.endedAt),
    last_activity_at: iso(run.lastActivityAt),
    totals: totalsView(rolledUp ?? ownTotals(run), run),
    own_totals: totalsView(ownTotals(run), run),
  };
}

export function spanView(span: Span) {
  return {
    id: span.id,
    run_id: span.runId,
    parent_span_id: span.parentSpanId,
    kind: span.kind,
    name: span.name,
    status: span.status,
    started_at: iso(span.startedAt),
    ended_at: iso(span.endedAt),
    first_token_at: iso(span.firstTokenAt),
    model: span.model,
    upstream_model: span.upstreamModel,
    provider: span.provider,
    tool_call_id: span.toolCallId,
    usage: {
      input_tokens: span.inputTokens,
      output_tokens: span.outputTokens,
      cached_input_tokens: span.cachedInputTokens,
      reasoning_tokens: span.reasoningTokens,
    },
    cost_usd: usdOf(span.costMicros),
    cost_micros: span.costMicros,
    http_status: span.httpStatus,
    error: span.error,
    attributes: span.attributes,
  };
}

export type RunView = ReturnType<typeof runView>;
export type SpanView = ReturnType<typeof spanView>;
/** A page of `GET /v1/runs`: the runs, and the cursor of the next page (null on the last). */
export type RunListView = { data: RunView[]; next_cursor: string | null };
/** A run of a tree as the runs API returns it: the run, its spans, and its sub-runs in the same shape. */
export type RunNodeView = RunView & { spans: SpanView[]; children: RunNodeView[] };

/** The whole tree under `rootId`: each run with its spans and its child runs, in the same shape. */
export function treeView(rootId: string, runs: Run[], spans: Span[], totals: Map<string, RunTotals>) {
  const spansByRun = new Map<string, Span[]>();
  for (const span of spans) {
    const list = spansByRun.get(span.runId);
    if (list === undefined) spansByRun.set(span.runId, [span]);
    else list.push(span);
  }
  const childrenOf = new Map<string, Run[]>();
  for (const run of runs) {
    if (run.parentRunId === null || run.id === rootId) continue;
    const list = childrenOf.get(run.parentRunId);
    if (list === undefined) childrenOf.set(run.parentRunId, [run]);
    else list.push(run);
  }
  const build = (run: Run): RunNodeView => ({
    ...runView(run, totals.get(run.id)),
    spans: (spansByRun.get(run.id) ?? []).map(spanView),
    children: (childrenOf.get(run.id) ?? []).map(build),
  });
  const root = runs.find((run) => run.id === rootId);
  return root === undefined ? undefined : build(root);
}
/** One span with what it carried (`GET /v1/runs/:id/spans/:spanId`): the stored request and result, and the provider's raw answer. */
export type SpanDetailView = SpanView & { request: unknown; result: unknown; raw: unknown };
