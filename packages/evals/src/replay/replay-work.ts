import { listDatasetItems, listReplayItems, listReplaySteps, insertReplayStep, upsertReplayItem, type GantryDb, type ReplayRow, type ReplayStepRow } from '@gantry/db';
import type { RunCaller } from '@gantry/runs';
import type { ChatResult } from '@gantry/spec';
import type { ItemSnapshot, ReplayMode, ScoreOptions, StepScore } from '../eval-types.ts';
import type { ReplayEmbedder } from './answer-judges.ts';
import type { ReplayedStep } from './item-summary.ts';
import type { ReplayCaller } from './replay-call.ts';
import { replayItem } from './replay-item.ts';

/** What a replay row's `options` hold. */
export interface ReplayOptions {
  workers: number;
  score: ScoreOptions;
}

/** What replaying a pair needs, wherever it runs (in-process, or a step of an Inngest function). */
export interface ReplayWorkDeps {
  db: GantryDb;
  call: ReplayCaller;
  embed?: ReplayEmbedder;
  /** Ends a replay run once its item is done (flushing its spans first, as `POST /v1/runs/:id/end` does). */
  endRun: (runId: string, status: 'succeeded' | 'failed') => Promise<void>;
}

/** One dataset item against one candidate: the unit of replay work. */
export interface ReplayPair {
  position: number;
  candidateIndex: number;
}

/** The replaying key: its budgets and rate limits apply, its team owns the runs. */
export function replayCaller(row: ReplayRow): RunCaller {
  return { apiKeyId: row.apiKeyId, teamId: row.teamId, master: row.apiKeyId === null };
}

/** The (item, candidate) pairs of a replay not yet ended (an incomplete one is tried again), in order. */
export async function pendingPairs(db: GantryDb, row: ReplayRow): Promise<ReplayPair[]> {
  const ended = await listReplayItems(db, row.id);
  const finished = new Set(ended.filter((item) => item.status !== 'incomplete').map((item) => `${item.position}:${item.candidate}`));
  return row.positions.flatMap((position) => row.candidates.map((_, candidateIndex) => ({ position, candidateIndex }))).filter((pair) => !finished.has(`${pair.position}:${pair.candidateIndex}`));
}

function stepRow(row: ReplayRow, pair: ReplayPair, step: ReplayedStep) {
  return {
    replayId: row.id,
    position: pair.position,
    candidate: pair.candidateIndex,
    step: step.step,
    sourceSpanId: step.sourceSpanId,
    spanId: step.spanId,
    runId: step.runId,
    score: step.score as unknown as Record<string, unknown> | null,
    result: step.result,
    error: step.error,
    costMicros: step.costMicros,
    latencyMs: Math.round(step.latencyMs),
    ttftMs: step.ttftMs === null ? null : Math.round(step.ttftMs),
  };
}

/** A stored step as the replay reuses it on resume. */
function storedStep(row: ReplayStepRow, snapshot: ItemSnapshot): ReplayedStep {
  const recorded = snapshot.steps[row.step];
  return {
    step: row.step,
    sourceSpanId: row.sourceSpanId,
    runId: row.runId,
    spanId: row.spanId,
    result: (row.result as ChatResult | null) ?? null,
    error: row.error,
    costMicros: row.costMicros,
    latencyMs: row.latencyMs,
    ttftMs: row.ttftMs,
    score: (row.score as unknown as StepScore | null) ?? null,
    recordedCostMicros: recorded?.costMicros ?? 0,
    recordedLatencyMs: recorded?.latencyMs ?? 0,
    recordedTtftMs: recorded?.ttftMs ?? null,
  };
}

/**
 * Replays one pair: its item's snapshot and the steps already scored are read, the rest replayed
 * (each step stored as it is scored), the item's ending stored and its runs ended. Returns false
 * when the signal stopped it before the end (nothing more is stored).
 */
export async function replayPair(deps: ReplayWorkDeps, row: ReplayRow, mode: ReplayMode, pair: ReplayPair, signal: AbortSignal): Promise<boolean> {
  const [[item], stored] = await Promise.all([listDatasetItems(deps.db, row.datasetId, [pair.position]), listReplaySteps(deps.db, row.id, pair.position)]);
  if (item === undefined) throw new Error(`replay ${row.id}: dataset ${row.datasetId} has no item ${pair.position}`);
  const snapshot = item.snapshot as ItemSnapshot;
  const done = new Map(stored.filter((step) => step.candidate === pair.candidateIndex).map((step) => [step.step, storedStep(step, snapshot)]));
  const options = row.options as unknown as ReplayOptions;
  const task = { replayId: row.id, position: pair.position, candidateIndex: pair.candidateIndex, candidate: row.candidates[pair.candidateIndex]!, snapshot, mode, scoreOptions: options.score, done };
  const saveStep = (step: ReplayedStep) => insertReplayStep(deps.db, stepRow(row, pair, step));
  const outcome = await replayItem(task, { call: deps.call, ...(deps.embed === undefined ? {} : { embed: deps.embed }), caller: replayCaller(row), saveStep, signal });
  if (signal.aborted) return false;
  await upsertReplayItem(deps.db, { replayId: row.id, position: pair.position, candidate: pair.candidateIndex, status: outcome.status, runId: outcome.runIds[0]!, summary: outcome.summary as unknown as Record<string, unknown> });
  const status = outcome.status === 'incomplete' ? 'failed' : 'succeeded';
  for (const runId of outcome.runIds.slice().reverse()) await deps.endRun(runId, status);
  return true;
}
