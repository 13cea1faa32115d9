import { randomUUID } from 'node:crypto';
import { runResearchAgent, type ResearchAgentTruth } from '../agents/research-agent.ts';
import { RESEARCH_PRICE, registerResearchScripts, researchReplica, researchScript } from '../agents/research-agent-script.ts';
import type { MockStep } from '../mock-provider/index.ts';
import { adminCall } from './budget-helpers.ts';
import { startStack, type Stack } from './start-stack.ts';

/**
 * A gateway on the mock with recorded research-agent runs (of a team of their own, so on a shared
 * Postgres its datasets see only these runs) and candidate models that replay them: `agree`
 * answers as the script did, `otherTool` calls web_search where the researcher's second turn
 * (step 4 of an item) called read_notes, `costly` uses twice the tokens on every turn,
 * `paraphrase` words final answers otherwise.
 */
export interface ReplayFixture {
  stack: Stack;
  /** A key of the team that owns the runs. */
  apiKey: string;
  teamId: string;
  truths: ResearchAgentTruth[];
  candidates: { agree: string; otherTool: string; costly: string; paraphrase: string };
  /** A judge that finds any two answers equivalent, and an embeddings model. */
  judge: string;
  embedder: string;
}

/** The researcher's second turn calls web_search instead of read_notes. */
function otherTool(at: { agent: string; turn: number }, step: MockStep): MockStep {
  if (at.agent !== 'researcher' || at.turn !== 1) return step;
  return { ...step, toolCalls: [{ id: 'call_replica_other', name: 'web_search', arguments: JSON.stringify({ query: 'fsync benchmarks' }) }] };
}

/** Twice the tokens on every turn, so twice the cost at the same price. */
function costly(_at: unknown, step: MockStep): MockStep {
  return { ...step, usage: { input: step.usage!.input! * 2, output: step.usage!.output! * 2 } };
}

/** Final answers in other words: no deterministic rung finds them equal. */
function paraphrase(_at: unknown, step: MockStep): MockStep {
  return step.text === undefined ? step : { ...step, text: `In other words: ${step.text.split(' ').reverse().join(' ')}` };
}

/** Starts the stack, records `items` research runs (streamed and not, alternately) and registers the candidates. */
export async function startReplayFixture(tag: string, items: number): Promise<ReplayFixture> {
  const scripts = Array.from({ length: items }, (_, index) => researchScript(`${tag}${index}`));
  const candidates = { agree: `local/agree-${tag}`, otherTool: `local/other-tool-${tag}`, costly: `local/costly-${tag}`, paraphrase: `local/paraphrase-${tag}` };
  const judge = `local/judge-${tag}`;
  const embedder = `local/embed-${tag}`;
  const pricing: Record<string, typeof RESEARCH_PRICE> = {};
  for (const script of scripts) Object.assign(pricing, script.pricing);
  for (const model of [...Object.values(candidates), judge, embedder]) pricing[model] = RESEARCH_PRICE;
  const stack = await startStack({ config: { pricing } });
  const upstream = (model: string) => model.slice('local/'.length);
  stack.mock.respond(upstream(candidates.agree), researchReplica());
  stack.mock.respond(upstream(candidates.otherTool), researchReplica(otherTool));
  stack.mock.respond(upstream(candidates.costly), researchReplica(costly));
  stack.mock.respond(upstream(candidates.paraphrase), researchReplica(paraphrase));
  stack.mock.respond(upstream(judge), () => ({ text: JSON.stringify({ equivalent: true, reason: 'the same facts in other words' }) }));
  const team = await adminCall<{ id: string }>(stack.url, 'POST', '/admin/teams', { name: `replay-${tag}` });
  const key = await adminCall<{ key: string }>(stack.url, 'POST', '/admin/keys', { name: `replay-${tag}`, team_id: team.json.id });
  const truths: ResearchAgentTruth[] = [];
  for (const [index, script] of scripts.entries()) {
    registerResearchScripts(stack.mock, script.tag);
    truths.push(await runResearchAgent({ baseURL: `${stack.url}/v1`, apiKey: key.json.key, runId: `research-${randomUUID()}`, stream: index % 2 === 0, model: script.model }));
  }
  await stack.flush();
  return { stack, apiKey: key.json.key, teamId: team.json.id, truths, candidates, judge, embedder };
}
