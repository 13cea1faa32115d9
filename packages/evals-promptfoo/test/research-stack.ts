import { randomBytes, randomUUID } from 'node:crypto';
import { runResearchAgent, type ResearchAgentTruth } from '../../../test/agents/research-agent.ts';
import { RESEARCH_PRICE, registerResearchScripts, researchReplica, researchScript } from '../../../test/agents/research-agent-script.ts';
import type { MockStep } from '../../../test/mock-provider/index.ts';
import { adminCall } from '../../../test/support/budget-helpers.ts';
import { startStack, type Stack } from '../../../test/support/start-stack.ts';

/**
 * A real gateway on the mock provider with recorded research-agent runs in a dataset, and mock
 * models to replay them on: one that answers as recorded, one that picks another tool at step 4
 * (the researcher's second turn) and gives another final answer at step 5, one that always
 * fails, a grader and an embedder.
 */

export const DIFFERENT_FINAL_ANSWER = 'Embedded Postgres loses committed data on a crash unless a replica is added.';

export interface ResearchStack {
  stack: Stack;
  /** A key of a team of its own: its datasets see only this stack's runs. */
  apiKey: string;
  dataset: string;
  truths: ResearchAgentTruth[];
  models: { agree: string; differ: string; broken: string; grader: string; embedder: string };
  /** How many requests the mock received for `model` (as the gateway addressed it). */
  requestsFor(model: string): number;
  close(): Promise<void>;
}

const upstream = (model: string) => model.slice('local/'.length);

/** The researcher's second turn calls web_search, not read_notes; its last turn says something else. */
function differ(at: { agent: string; turn: number }, step: MockStep): MockStep {
  if (at.agent !== 'researcher') return step;
  if (at.turn === 1) return { ...step, toolCalls: [{ id: 'call_other', name: 'web_search', arguments: JSON.stringify({ query: 'fsync benchmarks' }) }] };
  if (at.turn === 2) return { ...step, text: DIFFERENT_FINAL_ANSWER };
  return step;
}

function lastMessageText(body: Record<string, unknown>): string {
  const messages = Array.isArray(body.messages) ? (body.messages as { content?: unknown }[]) : [];
  const content = messages.at(-1)?.content;
  return typeof content === 'string' ? content : JSON.stringify(content ?? '');
}

/**
 * A stand-in judge: promptfoo's rubric prompt ends with `<Output>…</Output><Rubric>…</Rubric>`;
 * it passes when the rubric quotes the output, and says why either way.
 */
function grade(body: Record<string, unknown>): MockStep {
  const text = lastMessageText(body);
  const output = /<Output>([\s\S]*?)<\/Output>/.exec(text)?.[1]?.trim() ?? '';
  const rubric = /<Rubric>([\s\S]*?)<\/Rubric>/.exec(text)?.[1] ?? '';
  const pass = output !== '' && rubric.includes(output);
  return { text: JSON.stringify({ reason: pass ? 'the output says what the recorded answer says' : 'the output says something else', pass, score: pass ? 1 : 0 }) };
}

/** Starts the stack, records `items` research-agent runs and makes them the dataset `research`. */
export async function startResearchStack(items: number): Promise<ResearchStack> {
  const tag = randomBytes(4).toString('hex');
  const models = {
    agree: `local/pf-agree-${tag}`,
    differ: `local/pf-differ-${tag}`,
    broken: `local/pf-broken-${tag}`,
    grader: `local/pf-grader-${tag}`,
    embedder: `local/pf-embed-${tag}`,
  };
  const scripts = Array.from({ length: items }, (_, index) => researchScript(`${tag}${index}`));
  const pricing: Record<string, typeof RESEARCH_PRICE> = {};
  for (const script of scripts) Object.assign(pricing, script.pricing);
  for (const model of Object.values(models)) pricing[model] = RESEARCH_PRICE;
  const stack = await startStack({ config: { pricing } });
  stack.mock.respond(upstream(models.agree), researchReplica());
  stack.mock.respond(upstream(models.differ), researchReplica(differ));
  stack.mock.script(upstream(models.broken), [{ status: 400, errorBody: { error: { message: 'the candidate refused', type: 'invalid_request_error', param: null, code: null } } }]);
  stack.mock.respond(upstream(models.grader), grade);

  const team = await adminCall<{ id: string }>(stack.url, 'POST', '/admin/teams', { name: `promptfoo-${tag}` });
  const key = await adminCall<{ key: string }>(stack.url, 'POST', '/admin/keys', { name: `promptfoo-${tag}`, team_id: team.json.id });
  const apiKey = key.json.key;
  const truths: ResearchAgentTruth[] = [];
  for (const [index, script] of scripts.entries()) {
    registerResearchScripts(stack.mock, script.tag);
    truths.push(await runResearchAgent({ baseURL: `${stack.url}/v1`, apiKey, runId: `research-${randomUUID()}`, stream: index % 2 === 0, model: script.model }));
  }
  await stack.flush();
  const created = await fetch(`${stack.url}/v1/datasets`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'research', runs: { name: 'researcher' } }),
  });
  if (created.status !== 201) throw new Error(`creating the dataset: HTTP ${created.status} ${await created.text()}`);
  return {
    stack,
    apiKey,
    dataset: 'research',
    truths,
    models,
    requestsFor: (model) => stack.mock.requests.filter((request) => request.model === upstream(model)).length,
    close: () => stack.close(),
  };
}
