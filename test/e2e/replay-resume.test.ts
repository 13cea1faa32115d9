import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runResearchAgent } from '../agents/research-agent.ts';
import { RESEARCH_PRICE, registerResearchScripts, researchReplica, researchScript } from '../agents/research-agent-script.ts';
import { requestJson } from '../agents/run-tree.ts';
import { startMockProvider, type MockProvider } from '../mock-provider/index.ts';
import { children, listeningAddress, startGantry, type Gantry } from '../support/gantry-process.ts';

/**
 * A gateway process killed (SIGKILL) in the middle of a replay: another one, on the same database,
 * finds the replay's heartbeat stale, claims it and finishes it, replaying only the steps that had
 * not been scored — none is sent twice but the one in flight at the kill, and none is charged twice.
 */

const MASTER_KEY = 'gk-master-resume-0123456789';
const tag = randomBytes(4).toString('hex');
const candidate = `local/slow-${tag}`;
const upstreamCandidate = `slow-${tag}`;
const ITEMS = 2;
const STEPS = ITEMS * 6;

interface ReplayView {
  id: string;
  status: string;
  progress: { steps_done: number; spend_micros: number; failed_calls: number };
  totals: { items: number; passed: number; cost_micros: number; recorded_cost_micros: number }[];
  items: { run_id: string }[];
}

describe('a replay whose gateway died', () => {
  let mock: MockProvider;
  let cwd: string;
  const scripts = Array.from({ length: ITEMS }, (_, index) => researchScript(`${tag}${index}`));

  function start(): Gantry {
    // On CI's Postgres pass, both processes share its database; else the data folder's PGlite.
    return startGantry(cwd, { GANTRY_MASTER_KEY: MASTER_KEY, ...(process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {}) });
  }

  beforeAll(async () => {
    mock = await startMockProvider();
    cwd = mkdtempSync(join(tmpdir(), 'gantry-replay-resume-'));
    const pricing = [...scripts.flatMap((script) => Object.keys(script.pricing)), candidate].map((model) => `  ${model}: { input: ${RESEARCH_PRICE.input}, output: ${RESEARCH_PRICE.output} }`).join('\n');
    writeFileSync(
      join(cwd, 'gantry.yaml'),
      `providers:\n  local:\n    type: openai-compatible\n    base_url: ${mock.url}/v1\npricing:\n${pricing}\nreplays:\n  heartbeat_ms: 200\n  stale_after_ms: 1500\nrecording:\n  flush_interval_ms: 50\n`,
    );
    // Every candidate call takes 150 ms, so the kill lands mid-replay.
    mock.respond(upstreamCandidate, researchReplica((_at, step) => ({ ...step, latencyMs: 150 })));
  });
  afterAll(async () => {
    for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await mock?.close();
    if (cwd !== undefined) rmSync(cwd, { recursive: true, force: true });
  });

  it('is resumed by another instance without replaying or charging a scored step twice', async () => {
    const first = start();
    const firstUrl = await listeningAddress(first);
    const ids: string[] = [];
    for (const script of scripts) {
      registerResearchScripts(mock, script.tag);
      const truth = await runResearchAgent({ baseURL: `${firstUrl}/v1`, apiKey: MASTER_KEY, runId: `resume-${randomUUID()}`, stream: false, model: script.model });
      ids.push(truth.rootRunId);
    }
    const dataset = await requestJson(`${firstUrl}/v1/datasets`, MASTER_KEY, { method: 'POST', body: { name: `resume-${tag}`, runs: { ids } } });
    expect(dataset.status, JSON.stringify(dataset.body)).toBe(201);

    const started = await requestJson<ReplayView>(`${firstUrl}/v1/replays`, MASTER_KEY, { method: 'POST', body: { dataset: `resume-${tag}`, candidates: [candidate], workers: 1 } });
    expect(started.status).toBe(201);
    const replayId = started.body.id;
    let before: ReplayView | undefined;
    for (let waited = 0; waited < 20_000; waited += 25) {
      const { body } = await requestJson<ReplayView>(`${firstUrl}/v1/replays/${replayId}`, MASTER_KEY);
      if (body.progress.steps_done >= 4) {
        before = body;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    expect(before?.status).toBe('running');
    first.child.kill('SIGKILL');
    await first.exited;
    const sentBeforeKill = mock.requests.filter((request) => request.model === upstreamCandidate).length;
    expect(sentBeforeKill).toBeLessThan(STEPS);

    const second = start();
    const secondUrl = await listeningAddress(second);
    let after: ReplayView | undefined;
    for (let waited = 0; waited < 30_000; waited += 100) {
      const { body } = await requestJson<ReplayView>(`${secondUrl}/v1/replays/${replayId}`, MASTER_KEY);
      if (body.status !== 'running') {
        after = body;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(after?.status).toBe('succeeded');
    expect(after!.progress).toMatchObject({ steps_done: STEPS, failed_calls: 0 });
    expect(after!.totals[0]).toMatchObject({ items: ITEMS, passed: ITEMS });
    // Each step reached the provider once, but for the one in flight when the process died.
    const sent = mock.requests.filter((request) => request.model === upstreamCandidate).length;
    expect(sent).toBeGreaterThanOrEqual(STEPS);
    expect(sent).toBeLessThanOrEqual(STEPS + 1);
    // Charged once per step: the replay runs' recorded spend is the scored steps' cost, which is the recorded runs' cost.
    expect(after!.progress.spend_micros).toBe(after!.totals[0]!.recorded_cost_micros);
    let recordedSpend = 0;
    for (const item of after!.items) {
      const tree = await requestJson<{ totals: { cost_micros: number } }>(`${secondUrl}/v1/runs/${encodeURIComponent(item.run_id)}`, MASTER_KEY);
      recordedSpend += tree.body.totals.cost_micros;
    }
    expect(recordedSpend).toBe(after!.progress.spend_micros);
    second.child.kill('SIGTERM');
    await second.exited;
    // Two gateway processes start one after the other; on two loaded cores each start can take 15 s.
  }, 90_000);
});
