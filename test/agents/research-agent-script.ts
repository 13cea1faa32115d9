import type { MockProvider, MockResponder, MockStep } from '../mock-provider/index.ts';

/**
 * The mock-provider scripts the research agent runs against: one script per agent of the tree,
 * under model names unique to one invocation (`tag`), with explicit tool call ids.
 */

/** The models of the three agents, as the agent sends them (`<provider>/<name>`). */
export interface ResearchModels {
  researcher: string;
  analyst: string;
  factChecker: string;
}

/** The agents' models, derived from the root model the agent is given. */
export function researchModels(model: string): ResearchModels {
  return { researcher: model, analyst: `${model}-analyst`, factChecker: `${model}-fact-checker` };
}

/** The tool call ids the scripted models emit, per tag. */
export function researchToolCallIds(tag: string) {
  return {
    searchFirst: `call_${tag}_search_1`,
    searchSecond: `call_${tag}_search_2`,
    delegate: `call_${tag}_delegate`,
    notes: `call_${tag}_notes`,
    factCheck: `call_${tag}_fact_check`,
  };
}

/** USD per million tokens for every research model: whole micro-dollars per token, so sums are exact. */
export const RESEARCH_PRICE = { input: 1, output: 2 };

export interface ResearchScript {
  /** What makes this invocation's model names and tool call ids unique. */
  tag: string;
  /** Root model to pass to `runResearchAgent`. */
  model: string;
  models: ResearchModels;
  toolCallIds: ReturnType<typeof researchToolCallIds>;
  /** `pricing:` entries (gantry.yaml shape) pricing every model of the tree at `RESEARCH_PRICE`. */
  pricing: Record<string, typeof RESEARCH_PRICE>;
}

/** Model names and ids for `tag`, without registering anything (the stack's pricing needs them first). */
export function researchScript(tag: string, provider = 'local'): ResearchScript {
  const models = researchModels(`${provider}/research-${tag}`);
  const pricing: Record<string, typeof RESEARCH_PRICE> = {};
  for (const model of Object.values(models)) pricing[model] = RESEARCH_PRICE;
  return { tag, model: models.researcher, models, toolCallIds: researchToolCallIds(tag), pricing };
}

/** Tool arguments as the scripted models emit them (JSON text). */
export const RESEARCH_ARGUMENTS = {
  searchFirst: JSON.stringify({ query: 'embedded postgres durability' }),
  searchSecond: JSON.stringify({ query: 'write-ahead log fsync cost' }),
  delegate: JSON.stringify({ topic: 'crash recovery of embedded databases', depth: 'brief' }),
  notes: JSON.stringify({ section: 'benchmarks' }),
  factCheck: JSON.stringify({ claim: 'PGlite persists through a crash when fsync is on' }),
};

const upstream = (model: string) => model.slice(model.indexOf('/') + 1);

type AgentName = keyof ResearchModels;

/** Each agent's scripted turns, with `tag`'s tool call ids. Small chunks, so streamed tool-call arguments arrive split across many deltas. */
export function researchSteps(ids: ReturnType<typeof researchToolCallIds>): Record<AgentName, MockStep[]> {
  const chunkSize = 5;
  return {
    researcher: [
      {
        chunkSize,
        toolCalls: [
          { id: ids.searchFirst, name: 'web_search', arguments: RESEARCH_ARGUMENTS.searchFirst },
          { id: ids.searchSecond, name: 'web_search', arguments: RESEARCH_ARGUMENTS.searchSecond },
          { id: ids.delegate, name: 'delegate_research', arguments: RESEARCH_ARGUMENTS.delegate },
        ],
        usage: { input: 210, output: 64 },
      },
      { chunkSize, toolCalls: [{ id: ids.notes, name: 'read_notes', arguments: RESEARCH_ARGUMENTS.notes }], usage: { input: 530, output: 18 } },
      { chunkSize, text: 'Embedded Postgres is durable when fsync stays on; recovery replays the WAL.', usage: { input: 690, output: 41 } },
    ],
    analyst: [
      { chunkSize, toolCalls: [{ id: ids.factCheck, name: 'fact_check', arguments: RESEARCH_ARGUMENTS.factCheck }], usage: { input: 97, output: 23 } },
      { chunkSize, text: 'Crash recovery replays the write-ahead log; the claim checks out.', usage: { input: 160, output: 37 } },
    ],
    factChecker: [{ chunkSize, text: 'Verified: fsync on means committed data survives.', usage: { input: 44, output: 13 } }],
  };
}

/**
 * Registers the scripts for `tag` on the mock: each agent of the tree answers its turns in order.
 */
export function registerResearchScripts(mock: Pick<MockProvider, 'script'>, tag: string, provider = 'local'): ResearchScript {
  const script = researchScript(tag, provider);
  const steps = researchSteps(script.toolCallIds);
  mock.script(upstream(script.models.researcher), steps.researcher);
  mock.script(upstream(script.models.analyst), steps.analyst);
  mock.script(upstream(script.models.factChecker), steps.factChecker);
  return script;
}

type Json = Record<string, unknown>;
const textOf = (content: unknown): string =>
  typeof content === 'string' ? content : Array.isArray(content) ? content.map((part) => (typeof part === 'object' && part !== null && typeof (part as Json).text === 'string' ? (part as Json).text : '')).join('') : '';

/** Which agent of the tree an OpenAI chat request comes from (its system prompt), and its turn (assistant messages so far). */
export function researchTurnOf(body: Json): { agent: AgentName; turn: number } {
  const messages = Array.isArray(body.messages) ? (body.messages as Json[]) : [];
  const system = textOf(messages.find((message) => message.role === 'system')?.content);
  const agent: AgentName = system.includes('analyst') ? 'analyst' : system.includes('fact checker') ? 'factChecker' : 'researcher';
  return { agent, turn: messages.filter((message) => message.role === 'assistant').length };
}

/**
 * A model that answers any research agent's request as the script would, whatever the order the
 * requests come in (a replay sends them in parallel, and each from its recorded context): the
 * agent and turn are read from the conversation. `change` may alter a turn's answer.
 */
export function researchReplica(change?: (turn: { agent: AgentName; turn: number }, step: MockStep) => MockStep): MockResponder {
  const steps = researchSteps(researchToolCallIds('replica'));
  return (body) => {
    const at = researchTurnOf(body);
    const turns = steps[at.agent];
    const step = turns[Math.min(at.turn, turns.length - 1)]!;
    return change === undefined ? step : change(at, step);
  };
}
