import type { ReplayMode } from '../eval-types.ts';
import type { GateRow, GateVerdicts } from './gate-verdicts.ts';

/** A step that did not pass, for people to look at. */
export interface GateFailure {
  /** The dataset item's source run id. */
  item: string;
  /** The step's index in the item. */
  step: number;
  /** The run (root or sub-agent) that made the step's call. */
  runId: string;
  differences: string[];
}

/** What a gate run found, as rendered to text, JSON or JUnit. */
export interface GateReport {
  /** Dataset name. */
  dataset: string;
  /** The candidate and baseline models (alias or `provider/model`). */
  candidate: string;
  baseline: string;
  mode: ReplayMode;
  /** Items and steps compared. */
  items: number;
  steps: number;
  rows: GateRow[];
  exitCode: 0 | 1;
  /** The first {@link MAX_REPORTED_FAILURES} steps that did not pass. */
  failures: GateFailure[];
  /** How many steps did not pass in all, `failures` being capped. */
  failureCount: number;
  /** Why the replay is incomplete (failed calls, budget, cancelled); [] when it is not. The verdicts then cover only what was scored. */
  incomplete: string[];
  /** `pass`, `regression` or `incomplete`: what the exit code (0, 1, 3) says. */
  result: 'pass' | 'regression' | 'incomplete';
  /** ISO 8601. */
  generatedAt: string;
}

/** What {@link createGateReport} assembles a report from. */
export interface GateReportInput {
  dataset: string;
  candidate: string;
  baseline: string;
  mode: ReplayMode;
  items: number;
  steps: number;
  verdicts: GateVerdicts;
  /** Every step that did not pass; the report keeps the first {@link MAX_REPORTED_FAILURES}. */
  failures: GateFailure[];
  /** Why the replay is incomplete; absent or [] when it is complete. */
  incomplete?: string[];
  generatedAt?: Date;
}

/** Failing steps a report lists; past that it only counts them, so a bad candidate's report stays readable. */
export const MAX_REPORTED_FAILURES = 50;

/** Assembles a report: the verdicts' rows and exit code, failures capped, the time stamped. */
export function createGateReport(input: GateReportInput): GateReport {
  const { verdicts, failures, incomplete = [], generatedAt = new Date(), ...identity } = input;
  return {
    ...identity,
    incomplete,
    result: incomplete.length > 0 ? 'incomplete' : verdicts.exitCode === 1 ? 'regression' : 'pass',
    rows: verdicts.rows,
    exitCode: verdicts.exitCode,
    failures: failures.slice(0, MAX_REPORTED_FAILURES),
    failureCount: failures.length,
    generatedAt: generatedAt.toISOString(),
  };
}

/** The report as pretty-printed JSON (NaN and infinite bounds become null, as JSON has neither). */
export function renderJson(report: GateReport): string {
  return JSON.stringify(report, null, 2);
}

/**
 * The report for a terminal or a CI log: a fixed-width table of the rows, the reasons behind
 * verdicts other than pass, the failing steps, then one verdict line, `PASS` or
 * `FAIL (regression in toolChoice, cost)`.
 */
export function renderText(report: GateReport): string {
  const lines = [
    `gantry eval gate: dataset ${report.dataset}, candidate ${report.candidate} vs baseline ${report.baseline}`,
    `mode ${describeMode(report.mode)}, ${report.items} items, ${report.steps} steps`,
    '',
    ...renderTable(report.rows),
  ];
  const flagged = report.rows.filter((row) => row.verdict !== 'pass');
  if (flagged.length > 0) lines.push('', ...flagged.map((row) => `${row.metric} (${row.verdict}): ${row.note}`));
  if (report.failureCount > 0) lines.push('', `${failingStepsHeading(report)}:`, ...report.failures.map(describeFailure));
  lines.push('', verdictLine(report.rows));
  if (report.incomplete.length > 0) lines.push(`INCOMPLETE (exit 3): the verdict above covers only what was scored`, ...report.incomplete.map((reason) => `  - ${reason}`));
  return `${lines.join('\n')}\n`;
}

/** `step`, `trajectory` or `fork at step 3`. */
export function describeMode(mode: ReplayMode): string {
  return mode.kind === 'fork' ? `fork at step ${mode.at}` : mode.kind;
}

/** `3 failing steps`, or `60 failing steps (first 50 shown)` when the report's list is capped. */
export function failingStepsHeading(report: GateReport): string {
  const noun = report.failureCount === 1 ? 'step' : 'steps';
  const shown = report.failures.length < report.failureCount ? ` (first ${report.failures.length} shown)` : '';
  return `${report.failureCount} failing ${noun}${shown}`;
}

/** `item run-123 step 3 (run sub-1): tool choice: …; answer …`. */
export function describeFailure(failure: GateFailure): string {
  const run = failure.runId === failure.item ? '' : ` (run ${failure.runId})`;
  return `item ${failure.item} step ${failure.step}${run}: ${failure.differences.join('; ')}`;
}

/** `PASS`, `PASS (inconclusive: answer)` or `FAIL (regression in toolChoice, cost)`. */
export function verdictLine(rows: GateRow[]): string {
  const regressions = rows.filter((row) => row.verdict === 'regression').map((row) => row.metric);
  if (regressions.length > 0) return `FAIL (regression in ${regressions.join(', ')})`;
  const inconclusive = rows.filter((row) => row.verdict === 'inconclusive').map((row) => row.metric);
  return inconclusive.length > 0 ? `PASS (inconclusive: ${inconclusive.join(', ')})` : 'PASS';
}

const HEADER = ['metric', 'baseline', 'candidate', 'delta', '95% CI', 'verdict'];

function renderTable(rows: GateRow[]): string[] {
  const cells = [HEADER, ...rows.map(rowCells)];
  const widths = HEADER.map((_, column) => Math.max(...cells.map((row) => (row[column] ?? '').length)));
  return cells.map((row) =>
    row
      .map((cell, column) => (column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0)))
      .join('  ')
      .trimEnd(),
  );
}

/** The table cells of a row: metric, baseline, candidate, delta, interval, verdict. */
export function rowCells(row: GateRow): string[] {
  const interval = Number.isNaN(row.low) ? 'n/a' : `[${formatDelta(row, row.low)}, ${formatDelta(row, row.high)}]`;
  return [
    row.metric,
    formatValue(row, row.baseline),
    formatValue(row, row.candidate),
    formatDelta(row, row.delta),
    interval,
    row.verdict,
  ];
}

function formatValue(row: GateRow, value: number): string {
  if (Number.isNaN(value)) return 'n/a';
  if (row.unit === 'micro-dollars') return `$${(value / 1_000_000).toFixed(6)}`;
  if (row.unit === 'ms') return `${Math.round(value)} ms`;
  return value.toFixed(3);
}

function formatDelta(row: GateRow, value: number): string {
  if (Number.isNaN(value)) return 'n/a';
  const prefix = row.scale === 'ratio' ? '×' : value >= 0 ? '+' : '';
  if (!Number.isFinite(value)) return `${prefix}${value > 0 ? '∞' : '-∞'}`;
  return `${prefix}${value.toFixed(row.scale === 'ratio' ? 2 : 3)}`;
}
