import type { ReplayView } from '../../../../src/routes/replays-routes.ts';
import { duration, usd } from '../../format.ts';

/** A 0..1 score as read in a table: 1 and 0 plain, the rest to two decimals; a dash when there is none. */
export function score(value: number | null | undefined): string {
  if (value === null || value === undefined) return '—';
  return value === 1 || value === 0 ? String(value) : value.toFixed(2);
}

/** A fraction as a whole percentage; a dash when there is none. */
export function percent(value: number | null): string {
  return value === null ? '—' : `${Math.round(value * 100)}%`;
}

/** Micro-dollars as dollars. */
export function usdOfMicros(micros: number): string {
  return usd(micros / 1e6);
}

/** `candidate / recorded` as a ratio (`×1.50`); a dash when nothing was recorded to compare with. */
export function ratio(candidate: number, recorded: number): string {
  return recorded === 0 ? '—' : `×${(candidate / recorded).toFixed(2)}`;
}

/** A mean duration, or a dash over nothing. */
export function meanDuration(values: readonly number[]): string {
  const value = mean(values);
  return value === null ? '—' : duration(value);
}

export function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/**
 * What a candidate's ended items add up to beyond the route's totals: the means of the items'
 * mean step scores, and the candidate's step latencies and times to first token beside the
 * recorded ones.
 */
export function candidateFigures(view: ReplayView, candidate: number) {
  const summaries = view.items.filter((item) => item.candidate === candidate).map((item) => item.summary);
  return {
    toolChoice: mean(summaries.map((summary) => summary.toolChoice)),
    toolArguments: mean(summaries.map((summary) => summary.toolArguments)),
    answer: mean(summaries.flatMap((summary) => (summary.answer === null ? [] : [summary.answer]))),
    latenciesMs: summaries.flatMap((summary) => summary.latenciesMs),
    recordedLatenciesMs: summaries.flatMap((summary) => summary.recordedLatenciesMs),
    ttftsMs: summaries.flatMap((summary) => summary.ttftsMs),
    recordedTtftsMs: summaries.flatMap((summary) => summary.recordedTtftsMs),
  };
}

/** Console path of a run. */
export function runPath(runId: string): string {
  return `/runs/${encodeURIComponent(runId)}`;
}

/** Console path of a replay, with a candidate (and an item of it) chosen when given. */
export function replayPath(replayId: string, choice?: { item?: number | undefined; candidate: number }): string {
  const path = `/replays/${encodeURIComponent(replayId)}`;
  if (choice === undefined) return path;
  return choice.item === undefined ? `${path}?candidate=${choice.candidate}` : `${path}?item=${choice.item}&candidate=${choice.candidate}`;
}
