import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ResearchAgentTruth } from '../agents/research-agent.ts';
import { RESEARCH_PRICE } from '../agents/research-agent-script.ts';
import { requestJson, type RunNode } from '../agents/run-tree.ts';
import { adminCall } from '../support/budget-helpers.ts';
import { startReplayFixture, type ReplayFixture } from '../support/replay-fixture.ts';
import type { Stack } from '../support/start-stack.ts';

/**
 * Record research-agent runs, snapshot them into a dataset, replay the dataset against candidates
 * scripted to agree, to pick another tool at step 4 (the researcher's second turn), and to cost
 * twice as much — in step, trajectory and fork modes — through the real gateway and its API.
 */

interface ReplayView {
  id: string;
  status: string;
  candidates: string[];
  progress: { items_total: number; items_done: number; steps_done: number; steps_total: number; failed_calls: number; spend_micros: number };
  totals: { candidate: string; items: number; passed: number; pass_rate: number | null; incomplete: number; diverged: number; cost_micros: number; recorded_cost_micros: number }[];
  items: { position: number; source_run_id: string; candidate: number; status: string; run_id: string; summary: { pass: boolean; steps: number; divergence: { step: number; differences: string[] } | null } }[];
  failed_steps: { position: number; candidate: number; step: number; run_id: string; differences: string[] }[];
}

const tag = randomBytes(4).toString('hex');
const ITEMS = 3;

describe('replaying recorded agent runs', () => {
  let stack: Stack;
  let apiKey: string;
  let teamId: string;
  let truths: ResearchAgentTruth[];
  let candidates: ReplayFixture['candidates'];

  async function api<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
    const response = await requestJson<T>(`${stack.url}${path}`, apiKey, { method, ...(body === undefined ? {} : { body }) });
    return { status: response.status, body: response.body };
  }

  async function replayed(body: Record<string, unknown>): Promise<ReplayView> {
    const started = await api<ReplayView>('POST', '/v1/replays', body);
    expect(started.status, JSON.stringify(started.body)).toBe(201);
    for (let waited = 0; waited < 30_000; waited += 100) {
      const { body: view } = await api<ReplayView>('GET', `/v1/replays/${started.body.id}`);
      if (view.status !== 'running') return view;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error(`replay ${started.body.id} did not finish`);
  }

  beforeAll(async () => {
    ({ stack, apiKey, teamId, truths, candidates } = await startReplayFixture(tag, ITEMS));
    const created = await api('POST', '/v1/datasets', { name: 'research', runs: { name: 'researcher' } });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
  });
  afterAll(async () => {
    await stack?.close();
  });

  it('snapshots every recorded run tree: its calls in order, tool results, sub-agents', async () => {
    const { status, body } = await api<{ item_count: number; items: { source_run_id: string; runs: number; steps: number; tool_calls: number; cost_micros: number }[] }>('GET', '/v1/datasets/research');
    expect(status).toBe(200);
    expect(body.item_count).toBe(ITEMS);
    expect(body.items.map((item) => item.source_run_id)).toEqual(truths.map((truth) => truth.rootRunId));
    for (const [index, item] of body.items.entries()) {
      const truth = truths[index]!;
      const cost = truth.llmCalls.reduce((sum, call) => sum + call.usage.inputTokens * RESEARCH_PRICE.input + call.usage.outputTokens * RESEARCH_PRICE.output, 0);
      expect(item).toMatchObject({ runs: 3, steps: 6, tool_calls: 5, cost_micros: cost });
    }
  });

  it('exports a dataset as JSON Lines and imports it back unchanged', async () => {
    const exported = await fetch(`${stack.url}/v1/datasets/research/export`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(exported.headers.get('content-type')).toMatch(/application\/x-ndjson/);
    const text = await exported.text();
    const lines = text.trim().split('\n');
    expect(lines).toHaveLength(ITEMS);
    const first = JSON.parse(lines[0]!) as { steps: { request: { messages: { role: string }[] } }[]; tools: { name: string; output: string | null }[] };
    // The recorded tool results travel with the item.
    expect(first.tools.find((tool) => tool.name === 'read_notes')?.output).toMatch(/p99 commit latency/);
    const imported = await fetch(`${stack.url}/v1/datasets/import?name=research-copy`, { method: 'POST', headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/x-ndjson' }, body: text });
    expect(imported.status).toBe(201);
    const again = await fetch(`${stack.url}/v1/datasets/research-copy/export`, { headers: { authorization: `Bearer ${apiKey}` } });
    expect(await again.text()).toBe(text);
  });

  it('refuses a bad import line with a 400 naming the line and field', async () => {
    const response = await fetch(`${stack.url}/v1/datasets/import?name=broken`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/x-ndjson' },
      body: `{"version":1}\n`,
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/^invalid dataset: line 1: source/);
  });

  it('step mode: agrees, names the step that picked another tool, and sees the doubled cost', async () => {
    const view = await replayed({ dataset: 'research', candidates: [candidates.agree, candidates.otherTool, candidates.costly], mode: 'step', workers: 3 });
    expect(view.status).toBe('succeeded');
    expect(view.progress).toMatchObject({ items_total: ITEMS * 3, items_done: ITEMS * 3, steps_done: ITEMS * 6 * 3, failed_calls: 0 });
    const [agree, other, cost] = view.totals;
    expect(agree).toMatchObject({ items: ITEMS, passed: ITEMS, incomplete: 0 });
    expect(agree!.cost_micros).toBe(agree!.recorded_cost_micros);
    expect(other).toMatchObject({ items: ITEMS, passed: 0 });
    const otherFailures = view.failed_steps.filter((step) => step.candidate === 1);
    expect(otherFailures.map((step) => step.step)).toEqual(Array.from({ length: ITEMS }, () => 4));
    expect(otherFailures[0]!.differences.join(' ')).toMatch(/read_notes/);
    expect(otherFailures[0]!.differences.join(' ')).toMatch(/web_search/);
    expect(cost).toMatchObject({ items: ITEMS, passed: ITEMS });
    expect(cost!.cost_micros).toBe(2 * cost!.recorded_cost_micros);
  });

  it('records each replayed item as a run tree linked to the run and spans it replays', async () => {
    const view = await replayed({ dataset: 'research', candidates: [candidates.agree], mode: 'step' });
    const listed = await api<{ data: { id: string; dataset: { name: string | null } }[] }>('GET', '/v1/replays');
    expect(listed.body.data.find((replay) => replay.id === view.id)?.dataset.name).toBe('research');
    const item = view.items[0]!;
    const { status, body: tree } = await requestJson<RunNode & { metadata: Record<string, unknown> }>(`${stack.url}/v1/runs/${encodeURIComponent(item.run_id)}`, apiKey);
    expect(status).toBe(200);
    expect(tree.metadata).toMatchObject({ replay_id: view.id, source_run_id: item.source_run_id, candidate: candidates.agree });
    expect(tree.status).toBe('succeeded');
    expect(tree.children.map((child) => child.name)).toEqual(['analyst']);
    const diff = await api<{ steps: { step: number; source_span_id: string; replayed: { span_id: string; score: { pass: boolean } } }[] }>('GET', `/v1/replays/${view.id}/diff/${item.position}`);
    expect(diff.body.steps).toHaveLength(6);
    const step = diff.body.steps[0]!;
    const span = await requestJson<{ attributes: Record<string, unknown> }>(`${stack.url}/v1/runs/${encodeURIComponent(item.run_id)}/spans/${step.replayed.span_id}`, apiKey);
    expect(span.body.attributes).toMatchObject({ replay_id: view.id, replay_of_span: step.source_span_id });
  });

  it('trajectory mode: the candidate drives on recorded tool results, and stops at the first divergence', async () => {
    const view = await replayed({ dataset: 'research', candidates: [candidates.agree, candidates.otherTool], mode: 'trajectory' });
    expect(view.status).toBe('succeeded');
    expect(view.totals[0]).toMatchObject({ items: ITEMS, passed: ITEMS, diverged: 0 });
    expect(view.totals[1]).toMatchObject({ items: ITEMS, passed: 0, diverged: ITEMS });
    const diverged = view.items.filter((item) => item.candidate === 1);
    for (const item of diverged) {
      expect(item.summary.divergence?.step).toBe(4);
      expect(item.summary.divergence?.differences[0]).toMatch(/web_search.*matches no recorded call/);
    }
    // Runs are driven root first: steps 0 and 4 were sent; the root's last turn and the sub-agents were not.
    expect(diverged[0]!.summary.steps).toBe(2);
  });

  it('fork mode: steps before K stay recorded, the candidate drives from K', async () => {
    const view = await replayed({ dataset: 'research', candidates: [candidates.agree], mode: 'fork:4' });
    expect(view.status).toBe('succeeded');
    expect(view.totals[0]).toMatchObject({ items: ITEMS, passed: ITEMS });
    // Only the root run's steps 4 and 5 are at or after K; the sub-agents' steps (1–3) are before it.
    expect(view.items.every((item) => item.summary.steps === 2)).toBe(true);
  });

  it('refuses replays of unknown datasets and models, and bad modes, with 4xx naming the field', async () => {
    const unknown = await api<{ error: { message: string; param: string } }>('POST', '/v1/replays', { dataset: 'nope', candidates: [candidates.agree] });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.param).toBe('dataset');
    const badMode = await api<{ error: { message: string } }>('POST', '/v1/replays', { dataset: 'research', candidates: [candidates.agree], mode: 'fork' });
    expect(badMode.status).toBe(400);
    expect(badMode.body.error.message).toMatch(/fork:K/);
    const pastTheEnd = await api<{ error: { message: string; param: string } }>('POST', '/v1/replays', { dataset: 'research', candidates: [candidates.agree], mode: 'fork:6' });
    expect(pastTheEnd.status).toBe(400);
    expect(pastTheEnd.body.error.message).toMatch(/fork:6 is past the last step of item 0 \(6 steps/);
    const badModel = await api<{ error: { param: string } }>('POST', '/v1/replays', { dataset: 'research', candidates: ['nowhere/model'] });
    expect(badModel.status).toBe(400);
    expect(badModel.body.error.param).toBe('candidates[0]');
  });

  it('budgets replayed calls against the replaying key: past its budget, items are incomplete, not free', async () => {
    const poor = await adminCall<{ id: string; key: string }>(stack.url, 'POST', '/admin/keys', { name: `poor-${tag}`, team_id: teamId });
    // The nine items cost about 25,000 micro-dollars; each call reserves its worst case (4,096 output tokens) first.
    const budget = await adminCall(stack.url, 'POST', '/admin/budgets', { scope: 'key', scope_id: poor.json.id, period: 'day', limit_usd: 0.02 });
    expect(budget.status, JSON.stringify(budget.json)).toBe(201);
    const richKey = apiKey;
    apiKey = poor.json.key;
    try {
      const view = await replayed({ dataset: 'research', candidates: [candidates.agree, candidates.costly, candidates.otherTool], mode: 'step', workers: 1 });
      expect(view.status).toBe('succeeded');
      const incomplete = view.totals.reduce((sum, total) => sum + total.incomplete, 0);
      expect(incomplete).toBeGreaterThan(0);
      expect(view.failed_steps.some((step) => step.differences.some((text) => /budget/i.test(text)))).toBe(true);
      // What ran was charged to the key, within its budget.
      expect(view.progress.spend_micros).toBeGreaterThan(0);
      expect(view.progress.spend_micros).toBeLessThanOrEqual(20_000);
    } finally {
      apiKey = richKey;
    }
  });

  it('keeps datasets and replays within their team', async () => {
    const other = await adminCall<{ key: string }>(stack.url, 'POST', '/admin/keys', { name: `outsider-${tag}` });
    const seen = await requestJson(`${stack.url}/v1/datasets/research`, other.json.key);
    expect(seen.status).toBe(404);
    const replay = await requestJson(`${stack.url}/v1/replays`, other.json.key, { method: 'POST', body: { dataset: 'research', candidates: [candidates.agree] } });
    expect(replay.status).toBe(404);
  });
});
