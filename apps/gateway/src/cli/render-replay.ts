import { formatTable, formatUsd } from './format-table.ts';
import type { ActionView, ReplayDiff, ReplayView } from './replay-view.ts';

/** Longest text of an answer shown on one line of a diff. */
const TEXT_PREVIEW_CHARS = 160;

const usd = (micros: number): string => formatUsd(micros / 1_000_000);

/** `12/40 items, 57/200 steps, 2 failed calls, $0.0123 spent`. */
export function describeProgress(progress: ReplayView['progress']): string {
  return `${progress.items_done}/${progress.items_total} items, ${progress.steps_done}/${progress.steps_total} steps, ${progress.failed_calls} failed calls, ${usd(progress.spend_micros)} spent`;
}

/** The per-candidate totals as a table. */
export function totalsTable(view: ReplayView): string {
  return formatTable(
    view.totals.map((total) => ({
      candidate: total.candidate,
      items: String(total.items),
      passed: String(total.passed),
      pass_rate: total.pass_rate === null ? '-' : total.pass_rate.toFixed(3),
      incomplete: String(total.incomplete),
      diverged: String(total.diverged),
      cost: usd(total.cost_micros),
      recorded_cost: usd(total.recorded_cost_micros),
    })),
  );
}

/**
 * A replay for people: status and progress, the per-candidate totals, then the failing steps
 * (as the API lists them: at most 200 per candidate) with what differed.
 */
export function renderReplay(view: ReplayView): string {
  const lines = [
    `replay ${view.id} of dataset ${view.dataset.name ?? view.dataset.id}, mode ${view.mode}: ${view.status}`,
    `created ${view.created_at}${view.ended_at === null ? '' : `, ended ${view.ended_at}`}`,
    ...(view.error === null ? [] : [`error: ${view.error}`]),
    `progress: ${describeProgress(view.progress)}`,
    '',
    totalsTable(view),
  ];
  if (view.failed_steps.length > 0) {
    lines.push('', `failing steps (${view.failed_steps.length} listed):`);
    for (const step of view.failed_steps) {
      const candidate = view.candidates[step.candidate] ?? `#${step.candidate}`;
      const item = `${step.source_run_id ?? '-'} (item ${step.position})`;
      lines.push(`  ${candidate}  ${item} step ${step.step} (run ${step.run_id}): ${step.differences.join('; ')}`);
    }
    lines.push('', `see one item step by step: gantry replay diff ${view.id} <item> [--candidate <index>]`);
  }
  return lines.join('\n');
}

/** What an answer did on one line: `tool-calls: search({"q":"x"}), read(…)` or `text: "…"`. */
export function describeAction(action: ActionView): string {
  if (action === null) return '(no answer)';
  if (action.tool_calls.length > 0) return `${action.finish}: ${action.tool_calls.map((call) => `${call.name}(${call.arguments})`).join(', ')}`;
  const text = action.text.replace(/\s+/g, ' ').trim();
  const preview = text.length > TEXT_PREVIEW_CHARS ? `${text.slice(0, TEXT_PREVIEW_CHARS - 1)}…` : text;
  return `${action.finish}: ${JSON.stringify(preview)}`;
}

/** One step of a diff: its verdict, the recorded and replayed answers with cost and latency, what differed. */
function renderDiffStep(step: ReplayDiff['steps'][number]): string[] {
  const { recorded, replayed } = step;
  const recordedLine = `    recorded   ${describeAction(recorded.action)}  (${recorded.model}, ${usd(recorded.cost_micros)}, ${recorded.latency_ms} ms)`;
  if (replayed === null) return [`  step ${step.step} (run ${step.source_run_id}): not replayed`, recordedLine];
  const verdict = replayed.score === null ? 'FAILED CALL' : replayed.score.pass ? 'pass' : 'DIFFERS';
  const lines = [
    `  step ${step.step} (run ${step.source_run_id} → ${replayed.run_id}): ${verdict}`,
    recordedLine,
    replayed.error === null
      ? `    candidate  ${describeAction(replayed.action)}  (${usd(replayed.cost_micros)}, ${replayed.latency_ms} ms)`
      : `    candidate  error ${replayed.error.code}: ${replayed.error.message}`,
  ];
  if (replayed.score !== null && !replayed.score.pass) lines.push(...replayed.score.differences.map((difference) => `    - ${difference}`));
  return lines;
}

/** A replayed item step by step, recorded against replayed. */
export function renderDiff(diff: ReplayDiff): string {
  const header = `replay ${diff.replay_id}, item ${diff.position} (source run ${diff.source_run_id ?? '-'}), candidate ${diff.candidate ?? '-'}`;
  return [header, ...diff.steps.flatMap(renderDiffStep)].join('\n');
}
