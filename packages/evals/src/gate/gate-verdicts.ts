import { pairedInterval, ratioInterval } from './paired-interval.ts';

/** Per-item metric values of one side of the gate (baseline or candidate), items in the same order on both sides. */
export interface GateSide {
  /** Per item: 1 when every step passed, else 0. */
  passRate: number[];
  /** Per item, 0..1; a NaN marks an item where the metric does not apply (left out of that metric). */
  toolChoice: number[];
  toolArguments: number[];
  answer: number[];
  /** Per item, in micro-dollars. */
  cost: number[];
  /** The side's 95th percentile step latency, in milliseconds: one figure, no per-item values. */
  p95LatencyMs: number;
  /** The side's 95th percentile time to first token of streamed steps, in milliseconds; NaN when none streamed. */
  p95TtftMs: number;
  /** Per item, in milliseconds. */
  latencyMs: number[];
}

/** What the gate tolerates. */
export interface GateThresholds {
  /** The candidate's mean pass rate must reach this (0..1). */
  minPassRate?: number;
  /** The largest drop in a quality metric (0..1) tolerated; default {@link DEFAULT_MAX_REGRESSION}. */
  maxRegression?: number;
  /** The largest candidate / baseline cost ratio tolerated. */
  maxCostRatio?: number;
  /** The largest candidate / baseline p95 time-to-first-token ratio tolerated (streamed steps). */
  maxP95TtftRatio?: number;
  /** The largest candidate / baseline p95 latency ratio tolerated. */
  maxP95LatencyRatio?: number;
}

/** The gate's rows, in report order. */
export type GateMetric =
  | 'passRate'
  | 'minPassRate'
  | 'toolChoice'
  | 'toolArguments'
  | 'answer'
  | 'cost'
  | 'latency'
  | 'p95Latency'
  | 'p95Ttft';

/** `pass`, `regression` (fails the gate) or `inconclusive` (too little evidence either way; does not fail). */
export type GateVerdict = 'pass' | 'regression' | 'inconclusive';

/** One metric's verdict. */
export interface GateRow {
  metric: GateMetric;
  /** What `baseline` and `candidate` are measured in. */
  unit: 'fraction' | 'micro-dollars' | 'ms';
  /** `difference`: delta, low, high are candidate − baseline; `ratio`: they are candidate / baseline. */
  scale: 'difference' | 'ratio';
  /** The side's mean (for p95Latency, its p95). */
  baseline: number;
  candidate: number;
  delta: number;
  /** Confidence interval on `delta`; NaN when the row has none. */
  low: number;
  high: number;
  /** The threshold the verdict was taken against; null when none applies. */
  threshold: number | null;
  verdict: GateVerdict;
  /** Why the verdict, in a sentence. */
  note: string;
}

/** The gate's rows and the exit code they make: 0 pass, 1 any regression. */
export interface GateVerdicts {
  rows: GateRow[];
  exitCode: 0 | 1;
}

/** The drop in a quality metric tolerated when the thresholds give none. */
export const DEFAULT_MAX_REGRESSION = 0.05;

const QUALITY_METRICS = ['toolChoice', 'toolArguments', 'answer'] as const;

/**
 * Decides the gate. Quality metrics (pass rate, tool choice, tool arguments, answer) regress only
 * when the 95% interval on the paired mean difference lies wholly below −maxRegression; an interval
 * straddling it is inconclusive, which does not fail the gate: the gate fails on evidence, not on
 * noise. `minPassRate` regresses when the candidate's mean pass rate is below it. Cost regresses
 * when the lower bound of the per-item cost ratio interval is above `maxCostRatio`; p95 latency
 * when the single p95 ratio is above `maxP95LatencyRatio`. Unset thresholds make informational rows.
 */
export function gateVerdicts(baseline: GateSide, candidate: GateSide, thresholds: GateThresholds = {}): GateVerdicts {
  const maxRegression = thresholds.maxRegression ?? DEFAULT_MAX_REGRESSION;
  const rows: GateRow[] = [qualityRow('passRate', baseline.passRate, candidate.passRate, maxRegression)];
  if (thresholds.minPassRate !== undefined) {
    rows.push(minPassRateRow(baseline.passRate, candidate.passRate, thresholds.minPassRate));
  }
  for (const metric of QUALITY_METRICS) {
    rows.push(qualityRow(metric, baseline[metric], candidate[metric], maxRegression));
  }
  rows.push(costRow(baseline.cost, candidate.cost, thresholds.maxCostRatio));
  rows.push(latencyRow(baseline.latencyMs, candidate.latencyMs));
  rows.push(p95Row('p95Latency', 'maxP95LatencyRatio', baseline.p95LatencyMs, candidate.p95LatencyMs, thresholds.maxP95LatencyRatio));
  // Time to first token only when both sides streamed something.
  if (Number.isFinite(baseline.p95TtftMs) || Number.isFinite(candidate.p95TtftMs)) {
    rows.push(p95Row('p95Ttft', 'maxP95TtftRatio', baseline.p95TtftMs, candidate.p95TtftMs, thresholds.maxP95TtftRatio));
  }
  const exitCode = rows.some((row) => row.verdict === 'regression') ? 1 : 0;
  return { rows, exitCode };
}

function qualityRow(metric: GateMetric, baseline: number[], candidate: number[], maxRegression: number): GateRow {
  const [left, right] = applicablePairs(baseline, candidate);
  const interval = pairedInterval(left, right);
  const floor = -maxRegression;
  const base = {
    metric,
    unit: 'fraction' as const,
    scale: 'difference' as const,
    baseline: interval.baselineMean,
    candidate: interval.candidateMean,
    delta: interval.meanDelta,
    low: interval.low,
    high: interval.high,
    threshold: maxRegression,
  };
  const bounds = `95% CI [${signed(interval.low)}, ${signed(interval.high)}]`;
  if (interval.n === 0) return { ...base, verdict: 'inconclusive', note: 'no item where the metric applies' };
  if (interval.n === 1) return { ...base, verdict: 'inconclusive', note: 'one item only: no interval' };
  if (interval.high < floor) {
    const note = `${bounds} lies below ${signed(floor)} (max regression ${maxRegression})`;
    return { ...base, verdict: 'regression', note };
  }
  if (interval.low < floor) {
    return { ...base, verdict: 'inconclusive', note: `${bounds} straddles ${signed(floor)}: more items would settle it` };
  }
  return { ...base, verdict: 'pass', note: `${bounds} lies at or above ${signed(floor)}` };
}

/** Pairs where both sides have a finite value (NaN marks "does not apply"). */
function applicablePairs(baseline: number[], candidate: number[]): [number[], number[]] {
  if (baseline.length !== candidate.length) {
    throw new RangeError(`the gate needs the same items on both sides: got ${baseline.length} and ${candidate.length}`);
  }
  const left: number[] = [];
  const right: number[] = [];
  baseline.forEach((value, index) => {
    const other = candidate[index];
    if (Number.isFinite(value) && other !== undefined && Number.isFinite(other)) {
      left.push(value);
      right.push(other);
    }
  });
  return [left, right];
}

function minPassRateRow(baseline: number[], candidate: number[], minPassRate: number): GateRow {
  const baselineMean = mean(baseline);
  const candidateMean = mean(candidate);
  const base = {
    metric: 'minPassRate' as const,
    unit: 'fraction' as const,
    scale: 'difference' as const,
    baseline: baselineMean,
    candidate: candidateMean,
    delta: candidateMean - baselineMean,
    low: Number.NaN,
    high: Number.NaN,
    threshold: minPassRate,
  };
  if (Number.isNaN(candidateMean)) return { ...base, verdict: 'inconclusive', note: 'no items' };
  const verdict = candidateMean < minPassRate ? 'regression' : 'pass';
  const relation = verdict === 'regression' ? 'below' : 'at or above';
  const note = `candidate pass rate ${candidateMean.toFixed(3)} is ${relation} the minimum ${minPassRate}`;
  return { ...base, verdict, note };
}

function costRow(baseline: number[], candidate: number[], maxCostRatio: number | undefined): GateRow {
  const interval = ratioInterval(baseline, candidate);
  const base = {
    metric: 'cost' as const,
    unit: 'micro-dollars' as const,
    scale: 'ratio' as const,
    baseline: mean(baseline),
    candidate: mean(candidate),
    delta: interval.meanRatio,
    low: interval.low,
    high: interval.high,
    threshold: maxCostRatio ?? null,
  };
  const skipped = interval.skipped > 0 ? ` (${interval.skipped} items with a baseline cost of 0 left out)` : '';
  const bounds = `95% CI on the per-item ratio [×${ratio(interval.low)}, ×${ratio(interval.high)}]${skipped}`;
  if (maxCostRatio === undefined) return { ...base, verdict: 'pass', note: `no threshold (maxCostRatio unset); ${bounds}` };
  if (interval.n < 2) {
    return { ...base, verdict: 'inconclusive', note: `${interval.n} item(s) with a baseline cost above 0: no interval` };
  }
  if (interval.low > maxCostRatio) {
    return { ...base, verdict: 'regression', note: `${bounds} lies above ×${maxCostRatio} (max cost ratio)` };
  }
  if (interval.high > maxCostRatio) {
    return { ...base, verdict: 'inconclusive', note: `${bounds} straddles ×${maxCostRatio}: more items would settle it` };
  }
  return { ...base, verdict: 'pass', note: `${bounds} lies at or below ×${maxCostRatio}` };
}

/** Mean per-item latency ratio: informational, the latency threshold applies to p95. */
function latencyRow(baseline: number[], candidate: number[]): GateRow {
  const interval = ratioInterval(baseline, candidate);
  return {
    metric: 'latency',
    unit: 'ms',
    scale: 'ratio',
    baseline: mean(baseline),
    candidate: mean(candidate),
    delta: interval.meanRatio,
    low: interval.low,
    high: interval.high,
    threshold: null,
    verdict: 'pass',
    note: 'informational: mean per-item latency ratio; the latency threshold applies to p95',
  };
}

function p95Row(metric: 'p95Latency' | 'p95Ttft', thresholdName: string, baseline: number, candidate: number, maxRatio: number | undefined): GateRow {
  const value = candidate / baseline;
  const base = {
    metric,
    unit: 'ms' as const,
    scale: 'ratio' as const,
    baseline,
    candidate,
    delta: baseline > 0 ? value : Number.NaN,
    low: Number.NaN,
    high: Number.NaN,
    threshold: maxRatio ?? null,
  };
  const single = 'a single figure (candidate p95 / baseline p95), no interval';
  if (maxRatio === undefined) {
    return { ...base, verdict: 'pass', note: `no threshold (${thresholdName} unset); ${single}` };
  }
  if (!(baseline > 0) || !Number.isFinite(candidate)) {
    return { ...base, verdict: 'inconclusive', note: `no ratio: baseline p95 is ${baseline} ms; ${single}` };
  }
  const verdict = value > maxRatio ? 'regression' : 'pass';
  const relation = verdict === 'regression' ? 'above' : 'at or below';
  return { ...base, verdict, note: `×${ratio(value)} is ${relation} ×${maxRatio}; ${single}` };
}

function mean(values: number[]): number {
  return values.length === 0 ? Number.NaN : values.reduce((sum, value) => sum + value, 0) / values.length;
}

function signed(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '+∞';
  if (value === Number.NEGATIVE_INFINITY) return '-∞';
  return value >= 0 ? `+${value.toFixed(3)}` : value.toFixed(3);
}

function ratio(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return '∞';
  return Number.isFinite(value) ? value.toFixed(2) : String(value);
}
