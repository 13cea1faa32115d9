import { formatUsd } from './format-table.ts';
import type { ReplayView } from './replay-view.ts';

/**
 * A replay's progress on stderr while the CLI waits for it. Rendered here rather than with
 * cli-progress: the line is a pure function of the replay view and the time (so tests can pin
 * it), and the two behaviours needed — redraw one line on a terminal, a plain line per second in
 * a CI log — are a few lines each.
 */

/** Where progress goes: stderr, or a fake in tests. */
export interface ProgressStream {
  write(text: string): unknown;
  /** True on a terminal: the line is redrawn in place. */
  isTTY?: boolean;
  /** The terminal's width; lines are cut to fit. */
  columns?: number;
}

/** How far a replay is, 0..1: the further of items and steps (trajectories that diverge skip steps). */
export function progressFraction(progress: ReplayView['progress']): number {
  const items = progress.items_total > 0 ? progress.items_done / progress.items_total : 0;
  const steps = progress.steps_total > 0 ? progress.steps_done / progress.steps_total : 0;
  return Math.min(1, Math.max(items, steps));
}

/** Time left at the rate so far, in milliseconds; undefined before anything is done. */
export function remainingMs(progress: ReplayView['progress'], elapsedMs: number): number | undefined {
  const fraction = progressFraction(progress);
  if (fraction <= 0 || elapsedMs <= 0) return undefined;
  return (elapsedMs * (1 - fraction)) / fraction;
}

/** `45s`, `3m05s`, `1h02m`. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

/** `[#######-------------]` of `width` cells. */
export function progressBar(fraction: number, width = 20): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * width);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}]`;
}

/**
 * The figures of one progress line: items done of total, failed calls, spend in USD, elapsed
 * time and the ETA at the rate so far (`ETA --` before the first step is done).
 */
export function progressFigures(view: ReplayView, elapsedMs: number): string {
  const { progress } = view;
  const left = view.status === 'running' ? remainingMs(progress, elapsedMs) : 0;
  return [
    `${progress.items_done}/${progress.items_total} items`,
    `${progress.steps_done}/${progress.steps_total} steps`,
    `${progress.failed_calls} failed ${progress.failed_calls === 1 ? 'call' : 'calls'}`,
    `${formatUsd(progress.spend_micros / 1_000_000)} spent`,
    `${formatDuration(elapsedMs)} elapsed`,
    `ETA ${left === undefined ? '--' : formatDuration(left)}`,
  ].join(', ');
}

/** The line for a CI log: `replay rp_1 running: 3/10 items, …`. */
export function progressLine(view: ReplayView, elapsedMs: number): string {
  return `replay ${view.id} ${view.status}: ${progressFigures(view, elapsedMs)}`;
}

/** The line for a terminal: a bar, the percentage and the figures. */
export function progressBarLine(view: ReplayView, elapsedMs: number): string {
  const fraction = progressFraction(view.progress);
  return `${progressBar(fraction)} ${String(Math.floor(fraction * 100)).padStart(3)}% ${progressFigures(view, elapsedMs)}`;
}

/** Interval between plain lines when the stream is not a terminal. */
export const PLAIN_LINE_INTERVAL_MS = 1_000;

/**
 * Shows a replay's progress: on a terminal, one line redrawn at each update and ended with a
 * newline by {@link ProgressReporter.finish}; elsewhere, a plain line at most once a second and
 * a last one at the end, so CI logs read top to bottom.
 */
export class ProgressReporter {
  private lastPlainAt = Number.NEGATIVE_INFINITY;
  private drawn = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly startedAt: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Shows the replay as it is now. */
  update(view: ReplayView): void {
    const at = this.now();
    const elapsed = at - this.startedAt;
    if (this.stream.isTTY === true) {
      this.stream.write(`\r${this.fit(progressBarLine(view, elapsed))}\u001b[K`);
      this.drawn = true;
    } else if (view.status === 'running' && at - this.lastPlainAt >= PLAIN_LINE_INTERVAL_MS) {
      // An ended replay's line is finish's to write, once.
      this.stream.write(`${progressLine(view, elapsed)}\n`);
      this.lastPlainAt = at;
    }
  }

  /** Shows the replay's last state and ends the line; nothing when no view ever came. */
  finish(view: ReplayView | undefined): void {
    if (view === undefined) {
      if (this.drawn) this.stream.write('\n');
      return;
    }
    const line = progressLine(view, this.now() - this.startedAt);
    this.stream.write(this.stream.isTTY === true ? `\r${this.fit(line)}\u001b[K\n` : `${line}\n`);
    this.drawn = false;
  }

  private fit(line: string): string {
    const columns = this.stream.columns;
    return columns !== undefined && columns > 1 && line.length >= columns ? `${line.slice(0, columns - 2)}…` : line;
  }
}
