import { randomUUID } from 'node:crypto';
import OpenAI from 'openai';
import type { ChatCompletion, ChatCompletionMessageFunctionToolCall, ChatCompletionMessageParam, ChatCompletionTool } from 'openai/resources/chat/completions';
import { researchModels } from './research-agent-script.ts';

/**
 * A scripted research agent in plain TypeScript on the official `openai` SDK, as a customer would
 * write one. The root agent ("researcher") asks the model, runs the tool calls it answers with in
 * parallel (one of them delegates to a sub-agent, which spawns a sub-agent of its own), sends the
 * results back as `tool` messages, and ends every run it started. It returns its ground truth:
 * what it actually did, for comparison with what the gateway recorded.
 */

export interface ResearchAgentOptions {
  /** Gateway base URL including `/v1`. */
  baseURL: string;
  apiKey: string;
  /** Id of the root run (the client chooses it). */
  runId: string;
  stream: boolean;
  /** The root agent's model; sub-agents use the models derived from it (see `researchModels`). */
  model: string;
}

/** One LLM request, in the order the agent made them. */
export interface LlmCallTruth {
  runId: string;
  model: string;
  /** The tool call ids whose results this request carried for the first time. */
  answeredToolCallIds: string[];
  /** Tool call ids in the response, in order. */
  toolCallIds: string[];
  /** Usage as the response reported it to the agent. */
  usage: { inputTokens: number; outputTokens: number };
  /** The `x-gantry-span-id` the gateway answered with. */
  spanId: string | null;
}

/** One tool call the agent executed. */
export interface ToolCallTruth {
  runId: string;
  toolCallId: string;
  name: string;
  /** The arguments JSON text as the model sent it (reassembled, when streamed). */
  arguments: string;
  /** What the agent sent back in the `tool` message. */
  output: string;
  /** Index in `llmCalls` of the call whose response made this tool call. */
  calledIn: number;
  /** Index in `llmCalls` of the request that carried its result. */
  answeredIn: number;
}

/** One run of the tree, root first, in the order the runs started. */
export interface RunTruth {
  runId: string;
  name: string;
  parentRunId: string | null;
  /** The parent's tool call that spawned this run. */
  parentToolCallId: string | null;
  /** Whether the agent named `parentToolCallId` in a header, or left the gateway to infer it. */
  toolCallInHeader: boolean;
  depth: number;
  finalAnswer: string;
  /** Status the agent ended the run with. */
  status: 'succeeded';
}

export interface ResearchAgentTruth {
  rootRunId: string;
  stream: boolean;
  llmCalls: LlmCallTruth[];
  toolCalls: ToolCallTruth[];
  runs: RunTruth[];
  finalAnswer: string;
}

interface Agent {
  name: string;
  model: string;
  system: string;
  tools: ChatCompletionTool[];
}

const tool = (name: string, description: string, properties: Record<string, { type: 'string' }>): ChatCompletionTool => ({
  type: 'function',
  function: { name, description, parameters: { type: 'object', properties, required: Object.keys(properties) } },
});

const WEB_SEARCH = tool('web_search', 'Search the web', { query: { type: 'string' } });
const READ_NOTES = tool('read_notes', 'Read the team notes', { section: { type: 'string' } });
const DELEGATE = tool('delegate_research', 'Hand a sub-topic to an analyst agent', { topic: { type: 'string' }, depth: { type: 'string' } });
const FACT_CHECK = tool('fact_check', 'Have a fact-checker agent verify a claim', { claim: { type: 'string' } });

interface Session {
  options: ResearchAgentOptions;
  truth: ResearchAgentTruth;
}

/** Deterministic fake tools; the two delegating ones run a sub-agent and return its answer. */
async function executeTool(session: Session, run: RunTruth, call: ChatCompletionMessageFunctionToolCall): Promise<string> {
  const args = JSON.parse(call.function.arguments) as Record<string, string>;
  const models = researchModels(session.options.model);
  switch (call.function.name) {
    case 'web_search':
      return `3 results for "${args.query}": [1] docs, [2] mailing list, [3] benchmark`;
    case 'read_notes':
      return `notes/${args.section}: p99 commit latency 2.1 ms with fsync on`;
    case 'delegate_research': {
      const analyst: Agent = { name: 'analyst', model: models.analyst, system: 'You are an analyst. Verify claims before reporting.', tools: [FACT_CHECK] };
      return runAgent(session, analyst, `Research: ${args.topic}`, { parent: run, toolCallId: call.id, inHeader: true });
    }
    case 'fact_check': {
      // No x-gantry-parent-tool-call-id: the gateway places this sub-run under the one tool span
      // open in the parent at this moment.
      const checker: Agent = { name: 'fact-checker', model: models.factChecker, system: 'You are a fact checker.', tools: [] };
      return runAgent(session, checker, `Check: ${args.claim}`, { parent: run, toolCallId: call.id, inHeader: false });
    }
    default:
      throw new Error(`research agent: the model called an unknown tool '${call.function.name}'`);
  }
}

function headersOf(run: RunTruth): Record<string, string> {
  const headers: Record<string, string> = { 'x-gantry-run-id': run.runId, 'x-gantry-run-name': run.name };
  if (run.parentRunId !== null) headers['x-gantry-parent-run-id'] = run.parentRunId;
  if (run.toolCallInHeader && run.parentToolCallId !== null) headers['x-gantry-parent-tool-call-id'] = run.parentToolCallId;
  return headers;
}

/** One model turn, streamed through the SDK's stream helper (which reassembles tool calls) or not. */
async function complete(client: OpenAI, stream: boolean, model: string, messages: ChatCompletionMessageParam[], tools: ChatCompletionTool[]): Promise<ChatCompletion> {
  const body = { model, messages, ...(tools.length === 0 ? {} : { tools, parallel_tool_calls: true }) };
  if (!stream) return client.chat.completions.create(body);
  const running = client.chat.completions.stream({ ...body, stream_options: { include_usage: true } });
  return running.finalChatCompletion();
}

async function endRun(options: ResearchAgentOptions, runId: string, status: 'succeeded' | 'failed'): Promise<void> {
  const response = await fetch(`${options.baseURL}/runs/${encodeURIComponent(runId)}/end`, {
    method: 'POST',
    headers: { authorization: `Bearer ${options.apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ status }),
  });
  if (!response.ok) throw new Error(`ending run ${runId}: HTTP ${response.status} ${await response.text()}`);
}

const MAX_TURNS = 6;

/** Runs one agent to its final answer in a run of its own, then ends that run. */
async function runAgent(session: Session, agent: Agent, task: string, spawn?: { parent: RunTruth; toolCallId: string; inHeader: boolean }): Promise<string> {
  const run: RunTruth = {
    runId: spawn === undefined ? session.options.runId : randomUUID(),
    name: agent.name,
    parentRunId: spawn?.parent.runId ?? null,
    parentToolCallId: spawn?.toolCallId ?? null,
    toolCallInHeader: spawn?.inHeader ?? false,
    depth: spawn === undefined ? 0 : spawn.parent.depth + 1,
    finalAnswer: '',
    status: 'succeeded',
  };
  session.truth.runs.push(run);
  // Calls within one agent are sequential, so the last response seen is this call's.
  let spanId: string | null = null;
  const client = new OpenAI({
    baseURL: session.options.baseURL,
    apiKey: session.options.apiKey,
    maxRetries: 0,
    timeout: 20_000,
    defaultHeaders: headersOf(run),
    fetch: async (input, init) => {
      const response = await fetch(input, init);
      spanId = response.headers.get('x-gantry-span-id');
      return response;
    },
  });
  const messages: ChatCompletionMessageParam[] = [
    { role: 'system', content: agent.system },
    { role: 'user', content: task },
  ];
  let unanswered: ToolCallTruth[] = [];
  for (let turn = 0; turn < MAX_TURNS; turn++) {
    const index = session.truth.llmCalls.length;
    const llmCall: LlmCallTruth = {
      runId: run.runId,
      model: agent.model,
      answeredToolCallIds: unanswered.map((answered) => answered.toolCallId),
      toolCallIds: [],
      usage: { inputTokens: 0, outputTokens: 0 },
      spanId: null,
    };
    for (const answered of unanswered) answered.answeredIn = index;
    session.truth.llmCalls.push(llmCall);
    const completion = await complete(client, session.options.stream, agent.model, messages, agent.tools);
    llmCall.spanId = spanId;
    llmCall.usage = { inputTokens: completion.usage?.prompt_tokens ?? 0, outputTokens: completion.usage?.completion_tokens ?? 0 };
    const message = completion.choices[0]?.message;
    if (message === undefined) throw new Error(`research agent: no choice in the response to run ${run.runId}`);
    const toolCalls = (message.tool_calls ?? []).filter((call): call is ChatCompletionMessageFunctionToolCall => call.type === 'function');
    if (toolCalls.length === 0) {
      run.finalAnswer = message.content ?? '';
      await endRun(session.options, run.runId, run.status);
      return run.finalAnswer;
    }
    llmCall.toolCallIds = toolCalls.map((call) => call.id);
    messages.push({ role: 'assistant', content: message.content, tool_calls: toolCalls });
    unanswered = toolCalls.map((call) => ({ runId: run.runId, toolCallId: call.id, name: call.function.name, arguments: call.function.arguments, output: '', calledIn: index, answeredIn: -1 }));
    session.truth.toolCalls.push(...unanswered);
    // Parallel tool calls run in parallel; their results go back in the order they were called.
    const outputs = await Promise.all(toolCalls.map((call) => executeTool(session, run, call)));
    toolCalls.forEach((call, position) => {
      const output = outputs[position]!;
      unanswered[position]!.output = output;
      messages.push({ role: 'tool', tool_call_id: call.id, content: output });
    });
  }
  throw new Error(`research agent: run ${run.runId} did not finish within ${MAX_TURNS} turns`);
}

/** Runs the research agent tree and returns what it did. */
export async function runResearchAgent(options: ResearchAgentOptions): Promise<ResearchAgentTruth> {
  const truth: ResearchAgentTruth = { rootRunId: options.runId, stream: options.stream, llmCalls: [], toolCalls: [], runs: [], finalAnswer: '' };
  const researcher: Agent = { name: 'researcher', model: options.model, system: 'You are a careful researcher. Use tools, delegate sub-topics.', tools: [WEB_SEARCH, READ_NOTES, DELEGATE] };
  truth.finalAnswer = await runAgent({ options, truth }, researcher, 'Is embedded Postgres durable enough for an LLM gateway?');
  return truth;
}
