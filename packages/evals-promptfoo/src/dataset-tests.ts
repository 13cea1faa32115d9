import type { ItemSnapshot, SnapshotStep } from '@gantry/evals';
import type { ChatRequest, ChatResult } from '@gantry/spec';
import type { AssertionOrSet } from 'promptfoo';
import { answerOutput, outputToolCalls } from './answer-output.ts';

/** Which recorded steps become test cases. */
export type StepSelection = 'all' | 'final';

/** Assertions a test case gets by the kind of answer its step recorded. */
export interface StepAssertions {
  /** Every step. */
  all?: AssertionOrSet[];
  /** Steps whose recorded answer is text (no tool call). */
  text?: AssertionOrSet[];
  /** Steps whose recorded answer called tools. */
  toolCalls?: AssertionOrSet[];
}

/** Options of {@link datasetTests}. */
export interface DatasetTestsOptions {
  /** The dataset's name: in descriptions, vars and the replayed runs' metadata. */
  dataset: string;
  /** `all` (default): one test per recorded step; `final`: only each item's final answer (its root run's last step). */
  steps?: StepSelection;
  assert?: StepAssertions;
  /** The model to replay on, put in each test's vars (the provider's own `candidate` otherwise). */
  candidate?: string;
}

/** The vars of a dataset test case; the replay provider reads `step` and `candidate`. */
export interface DatasetTestVars {
  /** The recorded step's canonical request: the exact context the candidate is given. */
  step: ChatRequest;
  candidate?: string;
  dataset: string;
  /** The recorded answer as output (text, or the tool calls as JSON; see `answerOutput`). */
  expected: string;
  /** JSON text of the recorded tool calls (`[]` when none), OpenAI's shape without ids. */
  expected_tool_calls: string;
  /** The recorded tool names, comma-separated (`tool-call-f1`'s value form); '' when none. */
  expected_tool_names: string;
  /** The text of the step's last user message: what was asked. */
  last_user_message: string;
  /** The item's recorded root run. */
  source_run_id: string;
  /** The recorded run that made the call (a sub-agent's for sub-agent steps). */
  step_run_id: string;
  /** The recorded `llm` span the step replays. */
  source_span_id: string;
  step_index: number;
}

/** What a dataset test case carries beyond its vars, for the step assertions. */
export interface DatasetTestMetadata {
  /** The recorded answer, compared with the candidate's by the step assertions. */
  recordedResult: ChatResult;
  dataset: string;
  sourceRunId: string;
  sourceSpanId: string;
  stepIndex: number;
}

/** A promptfoo test case for one recorded step. */
export interface DatasetTestCase {
  description: string;
  vars: DatasetTestVars;
  assert: AssertionOrSet[];
  metadata: DatasetTestMetadata;
}

/**
 * The test cases of a dataset: one per recorded step (or per item's final answer), whose vars
 * hold the step's exact request and the recorded answer. The description names the item and the
 * step, so a failing assertion says which step failed.
 */
export function datasetTests(items: readonly ItemSnapshot[], options: DatasetTestsOptions): DatasetTestCase[] {
  const tests: DatasetTestCase[] = [];
  for (const item of items) {
    for (const step of selectedSteps(item, options.steps ?? 'all')) tests.push(stepTest(item, step, options));
  }
  return tests;
}

/** The steps of an item that become tests: all, or the root run's last one. */
function selectedSteps(item: ItemSnapshot, selection: StepSelection): SnapshotStep[] {
  if (selection === 'all') return item.steps;
  const rootSteps = item.steps.filter((step) => step.runId === item.source.runId);
  const last = rootSteps.at(-1);
  return last === undefined ? [] : [last];
}

function stepTest(item: ItemSnapshot, step: SnapshotStep, options: DatasetTestsOptions): DatasetTestCase {
  const toolCalls = outputToolCalls(step.result);
  const vars: DatasetTestVars = {
    step: step.request,
    dataset: options.dataset,
    expected: answerOutput(step.result),
    expected_tool_calls: JSON.stringify(toolCalls),
    expected_tool_names: toolCalls.map((call) => call.function.name).join(','),
    last_user_message: lastUserMessage(step.request),
    source_run_id: item.source.runId,
    step_run_id: step.runId,
    source_span_id: step.spanId,
    step_index: step.index,
  };
  if (options.candidate !== undefined) vars.candidate = options.candidate;
  const kind = toolCalls.length > 0 ? options.assert?.toolCalls : options.assert?.text;
  return {
    description: `${options.dataset}: item ${item.source.runId} step ${step.index} (span ${step.spanId})`,
    vars,
    assert: [...(options.assert?.all ?? []), ...(kind ?? [])],
    metadata: { recordedResult: step.result, dataset: options.dataset, sourceRunId: item.source.runId, sourceSpanId: step.spanId, stepIndex: step.index },
  };
}

/** The text parts of the request's last user message, joined; '' when it has none. */
export function lastUserMessage(request: ChatRequest): string {
  const last = request.messages.findLast((message) => message.role === 'user');
  if (last === undefined) return '';
  return last.content.map((part) => (part.type === 'text' ? part.text : '')).join('');
}
