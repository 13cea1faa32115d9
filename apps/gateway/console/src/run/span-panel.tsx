import type { AssistantPart, Message, ToolDefinition } from '@gantry/spec';
import { useEffect, useState } from 'preact/hooks';
import type { SpanDetailView } from '../../../src/routes/runs-view.ts';
import { apiGet } from '../api.ts';
import { count, duration, prettyJson, usd, when } from '../format.ts';
import { Conversation, ToolCallView } from './conversation.tsx';
import type { FlameNode } from './flame-layout.ts';

interface StoredChat {
  messages?: Message[];
  tools?: ToolDefinition[];
  model?: string;
}

function Field({ name, children }: { name: string; children: preact.ComponentChildren }) {
  return (
    <>
      <dt>{name}</dt>
      <dd>{children}</dd>
    </>
  );
}

/** Figures of a span: timing, tokens (cached and reasoning too), cost, models, status. */
function SpanFacts({ node, detail }: { node: FlameNode; detail: SpanDetailView | undefined }) {
  const span = detail ?? node.span;
  const ttft = span?.first_token_at === null || span?.first_token_at === undefined ? undefined : Date.parse(span.first_token_at) - node.start;
  return (
    <dl class="facts">
      <Field name="kind">{node.kind === 'agent' ? 'sub-agent' : node.kind}</Field>
      <Field name="status">{node.status}{node.open ? ' (still open)' : ''}</Field>
      <Field name="started">{when(new Date(node.start).toISOString())}</Field>
      <Field name="duration">{duration(node.end - node.start)}</Field>
      {ttft === undefined ? null : <Field name="TTFT">{duration(ttft)}</Field>}
      <Field name="cost">{usd(node.costUsd)}</Field>
      {span === undefined || span.kind !== 'llm' && span.kind !== 'attempt' ? null : (
        <>
          <Field name="requested model">{span.model ?? '—'}</Field>
          <Field name="serving model">{span.provider === null ? (span.upstream_model ?? '—') : `${span.provider}/${span.upstream_model ?? '?'}`}</Field>
          <Field name="input tokens">{count(span.usage.input_tokens)} ({count(span.usage.cached_input_tokens)} cached)</Field>
          <Field name="output tokens">{count(span.usage.output_tokens)} ({count(span.usage.reasoning_tokens)} reasoning)</Field>
        </>
      )}
      {span?.http_status === null || span?.http_status === undefined ? null : <Field name="HTTP status">{span.http_status}</Field>}
      {span?.error === null || span?.error === undefined ? null : <Field name="error"><span class="bad">{prettyJson(span.error)}</span></Field>}
    </dl>
  );
}

/** The attempts under an llm call: which target served, which failed and why. */
function Attempts({ node }: { node: FlameNode }) {
  const attempts = node.children.filter((child) => child.kind === 'attempt' || child.kind === 'cache');
  if (attempts.length === 0) return null;
  return (
    <section>
      <h4>Attempts</h4>
      <table class="attempts">
        <thead>
          <tr><th>#</th><th>kind</th><th>target</th><th>status</th><th>duration</th><th>error</th></tr>
        </thead>
        <tbody>
          {attempts.map((attempt, index) => (
            <tr key={attempt.key} class={attempt.status === 'error' ? 'bad' : ''}>
              <td>{index + 1}</td>
              <td>{attempt.kind}</td>
              <td>{attempt.span?.provider === null ? (attempt.span?.model ?? attempt.label) : `${attempt.span?.provider}/${attempt.span?.model ?? '?'}`}</td>
              <td>{attempt.status}{attempt.span?.http_status === null || attempt.span?.http_status === undefined ? '' : ` (${attempt.span.http_status})`}</td>
              <td>{duration(attempt.end - attempt.start)}</td>
              <td>{attempt.span?.error === null || attempt.span?.error === undefined ? '' : prettyJson(attempt.span.error)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

/** What the span carried: an llm call's conversation, a tool call's arguments and output. */
function SpanContent({ node, detail }: { node: FlameNode; detail: SpanDetailView }) {
  if (node.kind === 'llm') {
    const request = detail.request as StoredChat | null;
    const result = detail.result as { choices?: { content: AssistantPart[] }[] } | null;
    if (request?.messages === undefined) return <p class="muted">This call stored no messages (an embeddings call, or recording without bodies).</p>;
    return <Conversation messages={request.messages} answer={result?.choices?.[0]?.content} tools={request.tools} />;
  }
  if (node.kind === 'tool') {
    const call = detail.request as { name?: string; arguments?: string } | null;
    const output = (detail.result as { output?: unknown } | null)?.output;
    return (
      <div class="conversation">
        <ToolCallView name={call?.name ?? node.label} id={detail.tool_call_id ?? undefined} args={call?.arguments ?? ''} />
        <div class="message role-tool">
          <div class="message-role">tool output</div>
          {output === undefined ? <div class="muted">no output recorded yet: the agent has not sent this call's result back</div> : <pre class="tool-args">{prettyJson(output)}</pre>}
        </div>
      </div>
    );
  }
  return null;
}

/** Totals of a run: its own calls, and with every sub-run. */
function RunTotals({ node }: { node: FlameNode }) {
  const { totals, own_totals: own } = node.run;
  return (
    <table class="totals">
      <thead>
        <tr><th /><th>cost</th><th>LLM calls</th><th>tool calls</th><th>input tokens</th><th>output tokens</th><th>runs</th></tr>
      </thead>
      <tbody>
        <tr><th>this run</th><td>{usd(own.cost_usd)}</td><td>{own.llm_calls}</td><td>{own.tool_calls}</td><td>{count(own.input_tokens)}</td><td>{count(own.output_tokens)}</td><td>1</td></tr>
        <tr><th>with sub-runs</th><td>{usd(totals.cost_usd)}</td><td>{totals.llm_calls}</td><td>{totals.tool_calls}</td><td>{count(totals.input_tokens)}</td><td>{count(totals.output_tokens)}</td><td>{totals.runs}</td></tr>
      </tbody>
    </table>
  );
}

/** The panel beside the chart: the selected span's figures, its content, its attempts, and its raw JSON one click away. */
export function SpanPanel({ node }: { node: FlameNode }) {
  const [detail, setDetail] = useState<SpanDetailView>();
  const [error, setError] = useState<string>();
  const span = node.span;
  const hasContent = span !== undefined && (span.kind === 'llm' || span.kind === 'tool');
  useEffect(() => {
    setDetail(undefined);
    setError(undefined);
    if (!hasContent) return;
    const controller = new AbortController();
    apiGet<SpanDetailView>(`/v1/runs/${encodeURIComponent(span.run_id)}/spans/${encodeURIComponent(span.id)}`, { signal: controller.signal })
      .then(setDetail)
      .catch((failure: Error) => {
        if (!controller.signal.aborted) setError(failure.message);
      });
    return () => controller.abort();
  }, [node.key]);

  return (
    <aside class="span-panel" aria-label="span details">
      <h3>
        <span class={`kind-chip kind-${node.kind}`}>{node.kind === 'agent' ? 'sub-agent' : node.kind}</span> {node.label}
      </h3>
      <SpanFacts node={node} detail={detail} />
      {node.kind === 'run' || node.kind === 'agent' ? <RunTotals node={node} /> : null}
      <Attempts node={node} />
      {error === undefined ? null : <p class="bad">{error}</p>}
      {hasContent && detail === undefined && error === undefined ? <p class="muted">loading…</p> : null}
      {detail === undefined ? null : <SpanContent node={node} detail={detail} />}
      <details class="raw">
        <summary>Raw JSON</summary>
        <pre>{prettyJson(detail ?? span ?? { ...node.run, spans: undefined, children: undefined })}</pre>
      </details>
    </aside>
  );
}
