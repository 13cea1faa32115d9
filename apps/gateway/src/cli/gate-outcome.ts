import {
  createGateReport,
  gateSides,
  gateVerdicts,
  parseReplayMode,
  type GateBaseline,
  type GateFailure,
  type GateItem,
  type GateReport,
  type GateThresholds,
} from '@gantry/evals/gate';
import { CliError } from './admin-client.ts';
import { GATE_EXIT, type GateExitCode } from './gate-exit.ts';
import type { ReplaySummary, ReplayView } from './replay-view.ts';


/** What the gate compares and against what. */
export interface GateSettings {
  /** The dataset's name as given (the view's name wins when it has one). */
  dataset: string;
  candidate: string;
  /** `recorded`, or the model replayed as the replay's second candidate. */
  baseline: string;
  thresholds: GateThresholds;
}

/** A scored report, why it does not cover the whole dataset (empty when it does), and the exit code. */
export interface GateOutcome {
  report: GateReport;
  incomplete: string[];
  exitCode: GateExitCode;
}

/** Which replay candidate is the baseline: the recorded runs, or the second candidate when the baseline is a model. */
export function gateBaselineOf(baseline: string): GateBaseline {
  return baseline === 'recorded' ? { kind: 'recorded' } : { kind: 'candidate', index: 1 };
}

/** The view's items (snake_case) as the gate's items. */
export function gateItemsOf(view: ReplayView): GateItem[] {
  return view.items.map((item) => ({ position: item.position, candidate: item.candidate, status: item.status, summary: item.summary }));
}

/** The failing steps of one candidate as the report lists them (item = the source run id). */
export function gateFailuresOf(view: ReplayView, candidate: number): GateFailure[] {
  return view.failed_steps
    .filter((step) => step.candidate === candidate)
    .map((step) => ({ item: step.source_run_id ?? `position ${step.position}`, step: step.step, runId: step.run_id, differences: step.differences }));
}

const FAILED_CALL = /^the call failed: ([^:]+):/;

/** `budget_exceeded ×2, provider_error` from the failed calls of these candidates; '' when none is listed. */
function failedCallCodes(view: ReplayView, candidates: readonly number[]): string {
  const counts = new Map<string, number>();
  for (const step of view.failed_steps) {
    if (!candidates.includes(step.candidate)) continue;
    const code = FAILED_CALL.exec(step.differences[0] ?? '')?.[1];
    if (code !== undefined) counts.set(code, (counts.get(code) ?? 0) + 1);
  }
  return [...counts].map(([code, count]) => (count === 1 ? code : `${code} ×${count}`)).join(', ');
}

/**
 * Why a replay's verdict does not cover the whole dataset, one sentence each: how the replay
 * ended (`stop` says why the CLI stopped waiting, when it did), items not replayed, and items
 * incomplete with the failed calls' error codes. Empty when the replay is complete.
 */
export function incompleteReasons(view: ReplayView, candidates: readonly number[], stop?: string): string[] {
  const reasons: string[] = [];
  if (stop !== undefined) reasons.push(stop);
  if (view.status === 'failed') reasons.push(`the replay failed: ${view.error ?? 'no reason given'}`);
  if (view.status === 'cancelled' && stop === undefined) reasons.push(`the replay was cancelled: ${view.error ?? 'no reason given'}`);
  const { items_done: done, items_total: total } = view.progress;
  if (done < total) reasons.push(`${total - done} of ${total} item replays did not end (only ${done} did)`);
  const incomplete = view.items.filter((item) => item.status === 'incomplete' && candidates.includes(item.candidate)).length;
  if (incomplete > 0) {
    const codes = failedCallCodes(view, candidates);
    reasons.push(`${incomplete} ${incomplete === 1 ? 'item is' : 'items are'} incomplete (calls failed${codes === '' ? '' : `: ${codes}`}); they are left out of the verdict`);
  }
  return reasons;
}

/**
 * The gate over a replay's view: its items paired (candidate 0 against the baseline), the
 * verdicts, the candidate's failing steps, the report. Exit 3 when the replay is incomplete
 * (whatever the verdicts: a partial verdict must not pass a deploy, nor be read as a regression
 * proven on the whole dataset), else the verdicts' 0 or 1.
 */
export function buildGateOutcome(view: ReplayView, settings: GateSettings, stop?: string, now = new Date()): GateOutcome {
  const mode = parseReplayMode(view.mode);
  if (mode === undefined) throw new CliError(`the replay's mode '${view.mode}' is not one this CLI knows; is the CLI from the same version as the gateway?`);
  const baseline = gateBaselineOf(settings.baseline);
  const sides = gateSides(gateItemsOf(view), 0, baseline);
  const verdicts = gateVerdicts(sides.baseline, sides.candidate, settings.thresholds);
  const incomplete = incompleteReasons(view, baseline.kind === 'candidate' ? [0, baseline.index] : [0], stop);
  const report = createGateReport({
    dataset: view.dataset.name ?? settings.dataset,
    candidate: settings.candidate,
    baseline: settings.baseline,
    mode,
    items: sides.items,
    steps: sides.steps,
    verdicts,
    failures: gateFailuresOf(view, 0),
    incomplete,
    generatedAt: now,
  });
  return { report, incomplete, exitCode: incomplete.length > 0 ? GATE_EXIT.incomplete : verdicts.exitCode };
}

/** A view of a replay no poll ever answered for: nothing scored, nothing done. */
export function emptyView(replay: ReplaySummary): ReplayView {
  return { ...replay, progress: { items_total: 0, items_done: 0, steps_done: 0, steps_total: 0, failed_calls: 0, spend_micros: 0 }, totals: [], items: [], failed_steps: [] };
}
