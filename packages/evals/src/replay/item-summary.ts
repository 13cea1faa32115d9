import type { StepScore } from '../eval-types.ts';
import type { ReplayedCall } from './replay-call.ts';

/** One replayed step as stored: the call, its score against the recorded step, and the recorded figures it is compared with. */
export interface ReplayedStep extends ReplayedCall {
  /** The recorded step's index in the item. */
  step: number;
  sourceSpanId: string;
  /** The replay run the call was made in. */
  runId: string;
  /** Null when the call failed. */
  score: StepScore | null;
  recordedCostMicros: number;
  recordedLatencyMs: number;
  /** The recorded step's time to first token (streamed calls), else null. */
  recordedTtftMs: number | null;
}

/** How a replayed item ended. */
export type ItemStatus = 'scored' | 'diverged' | 'incomplete';

/** An item's roll-up, stored with it and read by the gate. */
export interface ItemSummary {
  /** Every step replayed agrees with the recorded one, none failed, no divergence. */
  pass: boolean;
  steps: number;
  passedSteps: number;
  failedCalls: number;
  /** Means over the scored steps (1 when there are none). */
  toolChoice: number;
  toolArguments: number;
  /** Mean over the steps that had an answer to compare; null when none had. */
  answer: number | null;
  costMicros: number;
  /** The recorded cost of the same steps. */
  recordedCostMicros: number;
  /** Per step, in order: the candidate's latency and the recorded one. */
  latenciesMs: number[];
  recordedLatenciesMs: number[];
  /** Times to first token of the streamed steps, the candidate's and the recorded ones. */
  ttftsMs: number[];
  recordedTtftsMs: number[];
  divergence: { step: number; runId: string; differences: string[] } | null;
}

export interface ItemOutcome {
  status: ItemStatus;
  summary: ItemSummary;
}

function mean(values: readonly number[]): number | null {
  return values.length === 0 ? null : values.reduce((sum, value) => sum + value, 0) / values.length;
}

/** Rolls an item's replayed steps up; a failed call makes it incomplete, a divergence diverged. */
export function summarizeItem(steps: readonly ReplayedStep[], divergence: ItemSummary['divergence'] | undefined): ItemOutcome {
  const scores = steps.flatMap((step) => (step.score === null ? [] : [step.score]));
  const failedCalls = steps.length - scores.length;
  const answers = scores.flatMap((score) => (score.answer === null ? [] : [score.answer]));
  const summary: ItemSummary = {
    pass: failedCalls === 0 && divergence === undefined && scores.every((score) => score.pass),
    steps: steps.length,
    passedSteps: scores.filter((score) => score.pass).length,
    failedCalls,
    toolChoice: mean(scores.map((score) => score.toolChoice)) ?? 1,
    toolArguments: mean(scores.map((score) => score.toolArguments)) ?? 1,
    answer: mean(answers),
    costMicros: steps.reduce((sum, step) => sum + step.costMicros, 0),
    recordedCostMicros: steps.reduce((sum, step) => sum + step.recordedCostMicros, 0),
    latenciesMs: steps.map((step) => step.latencyMs),
    recordedLatenciesMs: steps.map((step) => step.recordedLatencyMs),
    ttftsMs: steps.flatMap((step) => (step.ttftMs === null ? [] : [step.ttftMs])),
    recordedTtftsMs: steps.flatMap((step) => (step.recordedTtftMs === null ? [] : [step.recordedTtftMs])),
    divergence: divergence ?? null,
  };
  const status = failedCalls > 0 ? 'incomplete' : divergence === undefined ? 'scored' : 'diverged';
  return { status, summary };
}
