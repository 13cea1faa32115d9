import type { ItemStatus, ItemSummary } from '../replay/item-summary.ts';
import type { GateSide } from './gate-verdicts.ts';

/** One replayed item of one candidate, as a replay reports it. */
export interface GateItem {
  position: number;
  candidate: number;
  status: ItemStatus;
  summary: ItemSummary;
}

/** The baseline a candidate is compared with: the recorded runs, or another candidate of the same replay. */
export type GateBaseline = { kind: 'recorded' } | { kind: 'candidate'; index: number };

/** The 95th percentile (nearest rank) of a list of figures; NaN for none. */
export function p95(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(0.95 * sorted.length) - 1)]!;
}

const sum = (values: readonly number[]): number => values.reduce((total, value) => total + value, 0);

function sideOf(summaries: readonly ItemSummary[]): GateSide {
  return {
    passRate: summaries.map((summary) => (summary.pass ? 1 : 0)),
    toolChoice: summaries.map((summary) => summary.toolChoice),
    toolArguments: summaries.map((summary) => summary.toolArguments),
    answer: summaries.map((summary) => summary.answer ?? Number.NaN),
    cost: summaries.map((summary) => summary.costMicros),
    latencyMs: summaries.map((summary) => sum(summary.latenciesMs)),
    p95LatencyMs: p95(summaries.flatMap((summary) => summary.latenciesMs)),
    p95TtftMs: p95(summaries.flatMap((summary) => summary.ttftsMs)),
  };
}

/** The recorded run as a side: it agrees with itself; its cost and latency are the recorded ones of the steps replayed. */
function recordedSide(summaries: readonly ItemSummary[]): GateSide {
  return {
    passRate: summaries.map(() => 1),
    toolChoice: summaries.map(() => 1),
    toolArguments: summaries.map(() => 1),
    answer: summaries.map((summary) => (summary.answer === null ? Number.NaN : 1)),
    cost: summaries.map((summary) => summary.recordedCostMicros),
    latencyMs: summaries.map((summary) => sum(summary.recordedLatenciesMs)),
    p95LatencyMs: p95(summaries.flatMap((summary) => summary.recordedLatenciesMs)),
    p95TtftMs: p95(summaries.flatMap((summary) => summary.recordedTtftsMs)),
  };
}

/**
 * The two sides the gate compares, paired by item: the candidate's items that ended (scored or
 * diverged) and, for a model baseline, the same items of the baseline candidate. Incomplete items
 * (failed calls, budget exhausted) are left out and counted: the gate reports those as incomplete.
 */
export function gateSides(items: readonly GateItem[], candidate: number, baseline: GateBaseline): { baseline: GateSide; candidate: GateSide; items: number; steps: number; incomplete: number } {
  const ended = (index: number) => new Map(items.filter((item) => item.candidate === index && item.status !== 'incomplete').map((item) => [item.position, item.summary]));
  const incomplete = items.filter((item) => item.status === 'incomplete' && (item.candidate === candidate || (baseline.kind === 'candidate' && item.candidate === baseline.index))).length;
  const own = ended(candidate);
  const other = baseline.kind === 'candidate' ? ended(baseline.index) : undefined;
  const positions = [...own.keys()].filter((position) => other === undefined || other.has(position)).sort((a, b) => a - b);
  const mine = positions.map((position) => own.get(position)!);
  const theirs = other === undefined ? undefined : positions.map((position) => other.get(position)!);
  return {
    candidate: sideOf(mine),
    baseline: theirs === undefined ? recordedSide(mine) : sideOf(theirs),
    items: positions.length,
    steps: sum(mine.map((summary) => summary.steps)),
    incomplete,
  };
}
