import type { Message, ToolDefinition } from '@gantry/spec';
import { useEffect, useState } from 'preact/hooks';
import type { ReplayActionView, ReplayDiffStepView } from '../../../../src/routes/replays-routes.ts';
import { apiGet } from '../../api.ts';
import { duration } from '../../format.ts';
import { linkClick } from '../../router.ts';
import { Conversation, ToolCallView } from '../../run/conversation.tsx';
import { runPath, score, usdOfMicros } from './replay-figures.ts';

/** The part of `GET /v1/runs/:id/spans/:span` read here: an llm span's stored request. */
interface StoredCall {
  request: { messages?: Message[]; tools?: ToolDefinition[] } | null;
}

/** The messages a step's call sent, loaded from its span when asked for (they can be long). */
function SentMessages({ runId, spanId }: { runId: string; spanId: string }) {
  const [call, setCall] = useState<StoredCall>();
  const [error, setError] = useState<string>();
  useEffect(() => {
    const controller = new AbortController();
    apiGet<StoredCall>(`/v1/runs/${encodeURIComponent(runId)}/spans/${encodeURIComponent(spanId)}`, { signal: controller.signal })
      .then(setCall)
      .catch((failure: Error) => {
        if (!controller.signal.aborted) setError(`the messages are not available: ${failure.message}`);
      });
    return () => controller.abort();
  }, [runId, spanId]);
  if (error !== undefined) return <p class="muted small">{error}</p>;
  if (call === undefined) return <p class="muted small">loading messages…</p>;
  if (call.request?.messages === undefined) return <p class="muted small">This call stored no messages (recorded without bodies).</p>;
  return <Conversation messages={call.request.messages} answer={undefined} tools={call.request.tools} />;
}

/** What a step answered: its text and its tool calls, as the scorers compared them. */
function ActionView({ action }: { action: ReplayActionView | null }) {
  if (action === null) return <p class="muted">no answer</p>;
  return (
    <div class="message role-assistant">
      <div class="message-role">answer · finish {action.finish}</div>
      {action.text === '' ? null : <div class="text">{action.text}</div>}
      {action.tool_calls.map((call, index) => (
        <ToolCallView key={index} name={call.name} args={call.arguments} />
      ))}
    </div>
  );
}

interface SideProps {
  heading: string;
  runId: string;
  spanId: string | null;
  figures: { cost: number; latency: number; ttft: number | null };
  showMessages: boolean;
  children: preact.ComponentChildren;
}

/** One column of a step: who answered, in which run, at what cost and speed, and what. */
function Side({ heading, runId, spanId, figures, showMessages, children }: SideProps) {
  return (
    <div class="diff-side">
      <div class="diff-side-head">
        <strong>{heading}</strong>
        <a class="small" href={`/console${runPath(runId)}`} onClick={linkClick(runPath(runId))} title={runId}>run</a>
      </div>
      <div class="muted small">
        {usdOfMicros(figures.cost)} · {duration(figures.latency)}{figures.ttft === null ? '' : ` · TTFT ${duration(figures.ttft)}`}
      </div>
      {showMessages ? (spanId === null ? <p class="muted small">No span was recorded for this call.</p> : <SentMessages runId={runId} spanId={spanId} />) : null}
      {children}
    </div>
  );
}

function verdictOf(step: ReplayDiffStepView): { text: string; disagrees: boolean } {
  const replayed = step.replayed;
  if (replayed === null) return { text: 'not replayed', disagrees: false };
  if (replayed.score === null) return { text: 'call failed', disagrees: true };
  return replayed.score.pass ? { text: 'agrees', disagrees: false } : { text: 'disagrees', disagrees: true };
}

function StepScores({ step }: { step: ReplayDiffStepView }) {
  const replayed = step.replayed;
  const scores = replayed?.score;
  if (replayed === null || scores === null || scores === undefined) return null;
  return (
    <span class="step-scores small">
      tool choice <strong>{score(scores.toolChoice)}</strong> · arguments <strong>{score(scores.toolArguments)}</strong> · answer{' '}
      <strong>{scores.answer === null ? '—' : `${score(scores.answer)}${scores.answerMethod === null ? '' : ` (${scores.answerMethod})`}`}</strong> · cost{' '}
      <strong>{usdOfMicros(replayed.cost_micros)}</strong> vs {usdOfMicros(step.recorded.cost_micros)} · latency <strong>{duration(replayed.latency_ms)}</strong> vs{' '}
      {duration(step.recorded.latency_ms)}
      {replayed.ttft_ms === null ? '' : ` · TTFT ${duration(replayed.ttft_ms)}`}
    </span>
  );
}

/**
 * One recorded step beside the candidate's: the verdict and scores on top (a red frame when they
 * disagree, a mark on the step a trajectory diverged at), then each side's answer and, on demand,
 * the messages each call sent.
 */
export function DiffStep({ step, candidate, divergence, notReplayed }: { step: ReplayDiffStepView; candidate: string; divergence: boolean; notReplayed: string }) {
  const [showMessages, setShowMessages] = useState(false);
  const verdict = verdictOf(step);
  const replayed = step.replayed;
  const differences = replayed?.score?.differences ?? [];
  return (
    <article class={verdict.disagrees ? 'diff-step disagrees' : 'diff-step'} data-step={step.step} aria-label={`step ${step.step}: ${verdict.text}`}>
      <header class="diff-step-head">
        <strong>step {step.step}</strong> <span class={`verdict ${verdict.disagrees ? 'fail' : replayed === null ? 'none' : 'pass'}`}>{verdict.text}</span>
        {divergence ? <span class="verdict fail">divergence</span> : null} <StepScores step={step} />
        <button type="button" class="small" aria-expanded={showMessages} onClick={() => setShowMessages(!showMessages)}>
          {showMessages ? 'hide messages sent' : 'show messages sent'}
        </button>
      </header>
      {differences.length === 0 ? null : (
        <ul class="differences">
          {differences.map((difference, index) => <li key={index}>{difference}</li>)}
        </ul>
      )}
      <div class="side-by-side">
        <Side heading={`recorded · ${step.recorded.model}`} runId={step.source_run_id} spanId={step.source_span_id} figures={{ cost: step.recorded.cost_micros, latency: step.recorded.latency_ms, ttft: null }} showMessages={showMessages}>
          <ActionView action={step.recorded.action} />
        </Side>
        {replayed === null ? (
          <div class="diff-side">
            <div class="diff-side-head"><strong>candidate · {candidate}</strong></div>
            <p class="muted">{notReplayed}</p>
          </div>
        ) : (
          <Side heading={`candidate · ${candidate}`} runId={replayed.run_id} spanId={replayed.span_id} figures={{ cost: replayed.cost_micros, latency: replayed.latency_ms, ttft: replayed.ttft_ms }} showMessages={showMessages}>
            {replayed.error === null ? null : <p class="bad">the call failed: {replayed.error.code}: {replayed.error.message}</p>}
            <ActionView action={replayed.action} />
          </Side>
        )}
      </div>
    </article>
  );
}
