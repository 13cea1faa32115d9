import type { RunCaller } from '@gantry/runs';
import type { AssistantPart, ChatRequest, ChatResult, Message } from '@gantry/spec';
import type { ItemSnapshot, ReplayMode, ScoreOptions, SnapshotRun, SnapshotStep, SnapshotTool, StepScore } from '../eval-types.ts';
import { compareToolArguments } from '../scores/compare-tool-arguments.ts';
import { actionOf } from '../scores/step-action.ts';
import { scoreStepWith } from '../scores/score-step.ts';
import { judgingRung, type ReplayEmbedder } from './answer-judges.ts';
import type { ReplayCaller, ReplayedCall } from './replay-call.ts';
import { summarizeItem, type ItemOutcome, type ReplayedStep } from './item-summary.ts';

/** One item of a replay, for one candidate. */
export interface ReplayItemTask {
  replayId: string;
  position: number;
  candidateIndex: number;
  /** The model or alias replayed against. */
  candidate: string;
  snapshot: ItemSnapshot;
  mode: ReplayMode;
  scoreOptions: ScoreOptions;
  /** Steps already replayed (a resumed replay): reused, never sent again. */
  done: ReadonlyMap<number, ReplayedStep>;
}

export interface ReplayItemDeps {
  call: ReplayCaller;
  /** For the similarity rung of the answer ladder (`ScoreOptions.embeddingModel`). */
  embed?: ReplayEmbedder;
  /** The replaying key: its budgets and rate limits apply, its team owns the runs. */
  caller: RunCaller;
  /** Stores a replayed step before the next is sent, so a crash loses at most the step in flight. */
  saveStep: (step: ReplayedStep) => Promise<void>;
  signal: AbortSignal;
}

/**
 * The id of the run a replayed run is recorded in: fixed by the replay, item, candidate and the
 * recorded run's place in its tree, so a resumed replay goes on in the same runs.
 */
export function replayRunId(replayId: string, position: number, candidateIndex: number, runIndex: number): string {
  return `${replayId}.${position}.${candidateIndex}.${runIndex}`;
}

interface RunPlan {
  run: SnapshotRun;
  runId: string;
  headers: Record<string, string>;
  /** The item's `judge` run (a child of its root), where the judging rungs' calls are recorded. */
  judgeHeaders: Record<string, string>;
}

function runPlans(task: ReplayItemTask): Map<string, RunPlan> {
  const plans = new Map<string, RunPlan>();
  const rootRunId = replayRunId(task.replayId, task.position, task.candidateIndex, 0);
  const judgeHeaders = { 'x-gantry-run-id': `${rootRunId}.judge`, 'x-gantry-parent-run-id': rootRunId, 'x-gantry-run-name': 'judge' };
  task.snapshot.runs.forEach((run, index) => {
    const runId = replayRunId(task.replayId, task.position, task.candidateIndex, index);
    const headers: Record<string, string> = {
      'x-gantry-run-id': runId,
      'x-gantry-metadata': JSON.stringify({ replay_id: task.replayId, source_run_id: run.id, candidate: task.candidate }),
    };
    if (run.name !== null) headers['x-gantry-run-name'] = run.name;
    const parent = run.parentRunId === null ? undefined : plans.get(run.parentRunId);
    if (parent !== undefined) headers['x-gantry-parent-run-id'] = parent.runId;
    plans.set(run.id, { run, runId, headers, judgeHeaders });
  });
  return plans;
}

/** The recorded request sent to the candidate: its model swapped, usage asked for when streamed (for the exact cost). */
function candidateRequest(request: ChatRequest, candidate: string, messages?: Message[]): ChatRequest {
  return { ...request, model: candidate, ...(messages === undefined ? {} : { messages }), ...(request.stream ? { includeUsage: true } : {}) };
}

async function replayStep(task: ReplayItemTask, deps: ReplayItemDeps, plan: RunPlan, recorded: SnapshotStep, request: ChatRequest): Promise<ReplayedStep> {
  const earlier = task.done.get(recorded.index);
  if (earlier !== undefined && earlier.score !== null) return earlier;
  const called: ReplayedCall = await deps.call(
    { request, caller: deps.caller, headers: plan.headers, attributes: { replay_id: task.replayId, replay_of_span: recorded.spanId } },
    deps.signal,
  );
  const more = judgingRung(task.scoreOptions, { call: deps.call, embed: deps.embed, caller: deps.caller, headers: plan.judgeHeaders, question: lastUserText(request), signal: deps.signal });
  const score: StepScore | null = called.result === null ? null : await scoreStepWith(recorded.result, called.result, task.scoreOptions, more);
  const step: ReplayedStep = { step: recorded.index, sourceSpanId: recorded.spanId, runId: plan.runId, ...called, score, recordedCostMicros: recorded.costMicros, recordedLatencyMs: recorded.latencyMs, recordedTtftMs: recorded.ttftMs };
  await deps.saveStep(step);
  return step;
}

/** The text of a request's last user message: what the judge is told was asked. */
function lastUserText(request: ChatRequest): string {
  const last = [...request.messages].reverse().find((message) => message.role === 'user');
  return (last?.content ?? []).map((part) => (part.type === 'text' ? part.text : '')).join('');
}

/** Step mode: every recorded call's exact context, recorded tool results included, sent as it was. */
async function replaySteps(task: ReplayItemTask, deps: ReplayItemDeps, plans: Map<string, RunPlan>): Promise<ItemOutcome> {
  const steps: ReplayedStep[] = [];
  for (const recorded of task.snapshot.steps) {
    deps.signal.throwIfAborted();
    const plan = plans.get(recorded.runId)!;
    steps.push(await replayStep(task, deps, plan, recorded, candidateRequest(recorded.request, task.candidate)));
  }
  return summarizeItem(steps, undefined);
}

/** The candidate's answer as the assistant turn sent back with the tool results (reasoning is the candidate's own, and left out). */
function assistantTurn(result: ChatResult): Message {
  const content = (result.choices[0]?.content ?? []).filter((part): part is AssistantPart => part.type !== 'reasoning');
  return { role: 'assistant', content };
}

/** The recorded result for a tool call the candidate made, matched by name and canonical arguments; consumed once. */
function takeRecordedTool(pool: SnapshotTool[], name: string, args: string, options: ScoreOptions): SnapshotTool | undefined {
  const index = pool.findIndex((tool) => tool.name === name && tool.output !== null && compareToolArguments(tool.arguments, args, options.toolArguments?.[name]).equal);
  return index === -1 ? undefined : pool.splice(index, 1)[0];
}

interface Divergence {
  step: number;
  runId: string;
  differences: string[];
}

/**
 * Trajectory mode for one run of the tree, from its first recorded step at or after `from`: the
 * candidate drives; each tool call it makes that matches a recorded one gets the recorded result.
 * Returns the first divergence: a tool call nothing recorded answers, or a step past the recorded end.
 */
async function replayRunTrajectory(task: ReplayItemTask, deps: ReplayItemDeps, plan: RunPlan, from: number, steps: ReplayedStep[]): Promise<Divergence | undefined> {
  const recordedSteps = task.snapshot.steps.filter((step) => step.runId === plan.run.id);
  const start = recordedSteps.findIndex((step) => step.index >= from);
  if (start === -1) return undefined;
  const first = recordedSteps[start]!;
  // Calls made before the fork point are answered in the recorded context already.
  const pool = task.snapshot.tools.filter((tool) => tool.runId === plan.run.id && tool.calledIn >= first.index);
  const messages: Message[] = [...first.request.messages];
  for (let at = start; at < recordedSteps.length; at++) {
    deps.signal.throwIfAborted();
    const recorded = recordedSteps[at]!;
    const step = await replayStep(task, deps, plan, recorded, candidateRequest(first.request, task.candidate, [...messages]));
    steps.push(step);
    if (step.result === null) return undefined;
    const action = actionOf(step.result);
    if (action.toolCalls.length === 0) return undefined;
    if (at === recordedSteps.length - 1) {
      return { step: recorded.index, runId: plan.runId, differences: [`the candidate called ${action.toolCalls.map((call) => call.name).join(', ')} after the recorded run's last step`] };
    }
    const toolMessages: Message[] = [];
    const calls = (step.result.choices[0]?.content ?? []).filter((part) => part.type === 'tool-call');
    for (const call of calls) {
      const match = takeRecordedTool(pool, call.name, call.arguments, task.scoreOptions);
      if (match === undefined) {
        return { step: recorded.index, runId: plan.runId, differences: [`tool call ${call.name}(${call.arguments.slice(0, 200)}) matches no recorded call with a result`, ...(step.score?.differences ?? [])] };
      }
      toolMessages.push({ role: 'tool', toolCallId: call.id, content: [{ type: 'text', text: match.output ?? '' }] });
    }
    messages.push(assistantTurn(step.result), ...toolMessages);
  }
  return undefined;
}

/**
 * Trajectory and fork: each run of the tree (root first, sub-agents under their replayed parent)
 * driven by the candidate from its first step at or after `from` (0 for a trajectory); the item
 * stops at the first divergence.
 */
async function replayTrajectory(task: ReplayItemTask, deps: ReplayItemDeps, plans: Map<string, RunPlan>, from: number): Promise<ItemOutcome> {
  const steps: ReplayedStep[] = [];
  for (const plan of plans.values()) {
    const divergence = await replayRunTrajectory(task, deps, plan, from, steps);
    if (divergence !== undefined) return summarizeItem(steps, divergence);
  }
  return summarizeItem(steps, undefined);
}

/** Replays one item against one candidate in the task's mode; the runs it used are in the outcome. */
export async function replayItem(task: ReplayItemTask, deps: ReplayItemDeps): Promise<ItemOutcome & { runIds: string[] }> {
  const plans = runPlans(task);
  const runIds = [...plans.values()].map((plan) => plan.runId);
  const judged = task.scoreOptions.embeddingModel !== undefined || task.scoreOptions.judgeModel !== undefined;
  if (judged) runIds.push(plans.values().next().value!.judgeHeaders['x-gantry-run-id']!);
  const outcome = task.mode.kind === 'step' ? await replaySteps(task, deps, plans) : await replayTrajectory(task, deps, plans, task.mode.kind === 'fork' ? task.mode.at : 0);
  return { ...outcome, runIds };
}
