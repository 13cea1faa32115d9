import type { Run, Span } from '@gantry/db';
import type { AssistantPart, ChatRequest, ChatResult, FinishReason, Message, ToolCallPart } from '@gantry/spec';
import { SNAPSHOT_VERSION, type ItemSnapshot, type SnapshotStep } from '../src/eval-types.ts';

/**
 * Hand-built recordings for the evals unit tests: canonical messages and answers, `Run`/`Span`
 * rows as the database returns them, and a dataset item of a planner that delegates to a
 * researcher sub-agent (the tree the snapshot, JSONL and replay tests share).
 */

/** When the fixture's root run started; every other time is an offset from it. */
export const T0 = new Date('2025-03-01T10:00:00.000Z');

/** `T0` plus `ms` milliseconds. */
export function at(ms: number): Date {
  return new Date(T0.getTime() + ms);
}

/** A system message of one text part. */
export function systemMessage(text: string): Message {
  return { role: 'system', content: [{ type: 'text', text }] };
}

/** A user message of one text part. */
export function userMessage(text: string): Message {
  return { role: 'user', content: [{ type: 'text', text }] };
}

/** An assistant turn of these parts (the way a recorded request carries an earlier answer). */
export function assistantMessage(...content: AssistantPart[]): Message {
  return { role: 'assistant', content };
}

/** The agent's tool result for `toolCallId`, as one text part. */
export function toolMessage(toolCallId: string, text: string): Message {
  return { role: 'tool', toolCallId, content: [{ type: 'text', text }] };
}

/** A tool call part; `args` is JSON text as given, or serialized when not a string. */
export function toolCall(id: string, name: string, args: unknown): ToolCallPart {
  return { type: 'tool-call', id, name, arguments: typeof args === 'string' ? args : JSON.stringify(args) };
}

/** A non-streamed request to the recorded model. */
export function chatRequest(messages: Message[], overrides: Partial<ChatRequest> = {}): ChatRequest {
  return { model: 'recorded-alias', messages, stream: false, includeUsage: false, ...overrides };
}

/** An answer with one choice. */
export function chatResult(content: AssistantPart[], finishReason: FinishReason, id = 'chatcmpl-recorded'): ChatResult {
  return { id, model: 'gpt-recorded-1', created: 1_740_823_200, choices: [{ index: 0, content, finishReason }], usage: { inputTokens: 10, outputTokens: 5 } };
}

/** An answer that says `text` and stops. */
export function textResult(text: string): ChatResult {
  return chatResult([{ type: 'text', text }], 'stop');
}

/** An answer that makes these tool calls. */
export function toolCallsResult(...calls: AssistantPart[]): ChatResult {
  return chatResult(calls, 'tool-calls');
}

/** A run row with every column filled; `overrides` must give at least the id. */
export function runRow(overrides: Partial<Run> & Pick<Run, 'id'>): Run {
  return {
    parentRunId: null,
    rootRunId: overrides.id,
    scope: 'team:team_1',
    clientRunId: overrides.id,
    apiKeyId: 'key_1',
    teamId: 'team_1',
    depth: 0,
    name: null,
    status: 'succeeded',
    metadata: {},
    pinnedTargets: {},
    startedAt: T0,
    endedAt: at(5_000),
    lastActivityAt: at(5_000),
    costMicros: 0,
    inputTokens: 0,
    outputTokens: 0,
    llmCalls: 0,
    toolCalls: 0,
    ...overrides,
  };
}

/** A span row with every column filled; `overrides` must give id, run and kind. */
export function spanRow(overrides: Partial<Span> & Pick<Span, 'id' | 'runId' | 'kind'>): Span {
  return {
    parentSpanId: null,
    name: null,
    status: 'ok',
    startedAt: T0,
    endedAt: null,
    firstTokenAt: null,
    apiKeyId: 'key_1',
    provider: null,
    model: null,
    upstreamModel: null,
    toolCallId: null,
    inputTokens: 0,
    outputTokens: 0,
    cachedInputTokens: 0,
    reasoningTokens: 0,
    costMicros: 0,
    httpStatus: null,
    error: null,
    request: null,
    result: null,
    raw: null,
    attributes: {},
    oneCallRun: null,
    teamId: null,
    ...overrides,
  };
}

const PLANNER_SYSTEM = systemMessage('You plan research and answer the question.');
const QUESTION = userMessage('Why is fsync slow?');
const RESEARCH_TASK = userMessage('Research: fsync latency');
const DELEGATE = toolCall('call_delegate', 'delegate', { topic: 'fsync', depth: 2 });
const SEARCH = toolCall('call_search', 'web_search', { query: 'fsync latency', limit: 3 });
/** What the recorded web search returned. */
export const SEARCH_OUTPUT = 'fsync waits for the device cache flush (p99 40 ms)';
/** What the recorded researcher answered, and the planner got back from `delegate`. */
export const RESEARCH_ANSWER = 'fsync waits for the disk to flush its cache';
/** The planner's recorded final answer. */
export const FINAL_ANSWER = 'It waits for the disk to flush its cache.';
const DELEGATE_TOOL = { name: 'delegate', description: 'Hand a topic to the researcher', parameters: { type: 'object' } };

type StepFigures = Pick<SnapshotStep, 'model' | 'target' | 'costMicros' | 'inputTokens' | 'outputTokens' | 'latencyMs' | 'ttftMs'>;

function step(index: number, runId: string, request: ChatRequest, result: ChatResult, figures: StepFigures): SnapshotStep {
  return { index, runId, spanId: `span_${index}`, request, result, ...figures };
}

/**
 * A planner (root run) that delegates to a researcher (sub-agent run) through the `delegate` tool.
 * Step 0 (root) calls delegate; steps 1–2 (child, streamed) search then answer; step 3 (root)
 * answers with the delegate's output. Costs 100 + 50 + 60 + 120 micro-dollars.
 */
export function delegationSnapshot(): ItemSnapshot {
  const steps: SnapshotStep[] = [
    step(0, 'run_root', chatRequest([PLANNER_SYSTEM, QUESTION], { tools: [DELEGATE_TOOL] }), toolCallsResult(DELEGATE), {
      model: 'recorded-alias',
      target: 'openai/gpt-recorded-1-0301',
      costMicros: 100,
      inputTokens: 40,
      outputTokens: 12,
      latencyMs: 1_000,
      ttftMs: null,
    }),
    step(1, 'run_child', chatRequest([RESEARCH_TASK], { stream: true }), toolCallsResult(SEARCH), {
      model: 'recorded-alias',
      target: 'anthropic/gpt-recorded-1',
      costMicros: 50,
      inputTokens: 20,
      outputTokens: 8,
      latencyMs: 500,
      ttftMs: 100,
    }),
    step(2, 'run_child', chatRequest([RESEARCH_TASK, assistantMessage(SEARCH), toolMessage('call_search', SEARCH_OUTPUT)], { stream: true }), textResult(RESEARCH_ANSWER), {
      model: 'recorded-alias',
      target: null,
      costMicros: 60,
      inputTokens: 30,
      outputTokens: 10,
      latencyMs: 600,
      ttftMs: 150,
    }),
    step(3, 'run_root', chatRequest([PLANNER_SYSTEM, QUESTION, assistantMessage(DELEGATE), toolMessage('call_delegate', RESEARCH_ANSWER)], { tools: [DELEGATE_TOOL] }), textResult(FINAL_ANSWER), {
      model: 'recorded-alias',
      target: 'openai/gpt-recorded-1-0301',
      costMicros: 120,
      inputTokens: 60,
      outputTokens: 14,
      latencyMs: 1_200,
      ttftMs: null,
    }),
  ];
  return {
    version: SNAPSHOT_VERSION,
    source: { runId: 'run_root', name: 'planner', apiKeyId: 'key_1', teamId: 'team_1', status: 'succeeded', startedAt: T0.toISOString(), costMicros: 330 },
    runs: [
      { id: 'run_root', parentRunId: null, parentToolCallId: null, name: 'planner', depth: 0, status: 'succeeded' },
      { id: 'run_child', parentRunId: 'run_root', parentToolCallId: 'call_delegate', name: 'researcher', depth: 1, status: 'succeeded' },
    ],
    steps,
    tools: [
      { runId: 'run_root', toolCallId: 'call_delegate', name: 'delegate', arguments: DELEGATE.arguments, output: RESEARCH_ANSWER, calledIn: 0, childRunId: 'run_child' },
      { runId: 'run_child', toolCallId: 'call_search', name: 'web_search', arguments: SEARCH.arguments, output: SEARCH_OUTPUT, calledIn: 1, childRunId: null },
    ],
  };
}

/**
 * One run that searched twice with the same arguments and got different results ('FIRST', then
 * 'SECOND'), then answered: steps 0 and 1 call web_search, step 2 answers.
 */
export function repeatedSearchSnapshot(): ItemSnapshot {
  const question = userMessage('What changed?');
  const first = toolCall('call_1', 'web_search', { query: 'news' });
  const second = toolCall('call_2', 'web_search', { query: 'news' });
  const figures = (index: number): StepFigures => ({ model: 'recorded-alias', target: null, costMicros: 10 * (index + 1), inputTokens: 5, outputTokens: 5, latencyMs: 100, ttftMs: null });
  return {
    version: SNAPSHOT_VERSION,
    source: { runId: 'run_solo', name: null, apiKeyId: null, teamId: null, status: 'succeeded', startedAt: T0.toISOString(), costMicros: 60 },
    runs: [{ id: 'run_solo', parentRunId: null, parentToolCallId: null, name: null, depth: 0, status: 'succeeded' }],
    steps: [
      step(0, 'run_solo', chatRequest([question]), toolCallsResult(first), figures(0)),
      step(1, 'run_solo', chatRequest([question, assistantMessage(first), toolMessage('call_1', 'FIRST')]), toolCallsResult(second), figures(1)),
      step(2, 'run_solo', chatRequest([question, assistantMessage(first), toolMessage('call_1', 'FIRST'), assistantMessage(second), toolMessage('call_2', 'SECOND')]), textResult('Two things.'), figures(2)),
    ],
    tools: [
      { runId: 'run_solo', toolCallId: 'call_1', name: 'web_search', arguments: first.arguments, output: 'FIRST', calledIn: 0, childRunId: null },
      { runId: 'run_solo', toolCallId: 'call_2', name: 'web_search', arguments: second.arguments, output: 'SECOND', calledIn: 1, childRunId: null },
    ],
  };
}
