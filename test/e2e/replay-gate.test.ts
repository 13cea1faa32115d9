import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { XMLParser } from 'fast-xml-parser';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requestJson } from '../agents/run-tree.ts';
import { runGantryCli, type CliRun } from '../support/gantry-process.ts';
import { startReplayFixture, type ReplayFixture } from '../support/replay-fixture.ts';

/**
 * The deploy gate as a CI job runs it: `gantry eval gate` (the real CLI, a process of its own, with
 * a team's virtual key) replays a dataset of recorded research-agent runs against a candidate and
 * exits 0 when the candidate agrees, 1 when it picks another tool at step 4 or costs twice as
 * much (the report names the step), 2 on a usage error and 3 when the replay is incomplete.
 */

const tag = randomBytes(4).toString('hex');
const ITEMS = 5;

describe('gantry eval gate', () => {
  let fixture: ReplayFixture;
  const work = mkdtempSync(join(tmpdir(), 'gantry-gate-'));

  const gantry = (args: string[], env: Record<string, string> = {}): Promise<CliRun> => runGantryCli(args, { cwd: work, env: { GANTRY_URL: fixture.stack.url, GANTRY_API_KEY: fixture.apiKey, ...env } });

  const gate = (candidate: string, ...more: string[]) => gantry(['eval', 'gate', '--dataset', 'research', '--candidate', candidate, ...more]);

  beforeAll(async () => {
    fixture = await startReplayFixture(tag, ITEMS);
    const created = await gantry(['dataset', 'create', '--name', 'research', '--run-name', 'researcher']);
    expect(created.code, created.stderr).toBe(0);
  }, 120_000);
  afterAll(async () => {
    await fixture?.stack.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('passes a candidate that agrees with the recorded runs (exit 0)', async () => {
    const run = await gate(fixture.candidates.agree);
    expect(run.code, run.stdout + run.stderr).toBe(0);
    expect(run.stdout).toMatch(/^PASS/m);
    expect(run.stdout).toMatch(new RegExp(`${ITEMS} items, ${ITEMS * 6} steps`));
  });

  it('fails a candidate that picks another tool at step 4, naming the step (exit 1), and writes JUnit for CI', async () => {
    const out = join(work, 'gate.xml');
    const run = await gate(fixture.candidates.otherTool, '--format', 'junit', '--out', out);
    expect(run.code, run.stdout + run.stderr).toBe(1);
    expect(run.stdout).toMatch(/^FAIL \(regression in passRate, toolChoice/m);
    expect(run.stdout).toMatch(/step 4 \(run [^)]+\): tool choice: recorded \[read_notes\], candidate \[web_search\]/);
    const xml = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(out, 'utf8')) as { testsuites: { testsuite: { '@_failures': string; testcase: { '@_name': string; failure?: unknown }[] } } };
    const suite = xml.testsuites.testsuite;
    expect(Number(suite['@_failures'])).toBeGreaterThanOrEqual(2);
    expect(suite.testcase.filter((testCase) => testCase.failure !== undefined).map((testCase) => testCase['@_name'])).toEqual(expect.arrayContaining(['passRate', 'toolChoice']));
  });

  it('fails a candidate that costs twice as much when the cost ratio allowed is 1.5 (exit 1), and passes it without one', async () => {
    const strict = await gate(fixture.candidates.costly, '--max-cost-ratio', '1.5', '--format', 'json');
    expect(strict.code, strict.stderr).toBe(1);
    const report = JSON.parse(strict.stdout) as { result: string; rows: { metric: string; verdict: string; candidate: number; baseline: number }[] };
    expect(report.result).toBe('regression');
    const cost = report.rows.find((row) => row.metric === 'cost')!;
    expect(cost.verdict).toBe('regression');
    expect(cost.candidate / cost.baseline).toBeCloseTo(2, 5);
    const lenient = await gate(fixture.candidates.costly);
    expect(lenient.code, lenient.stdout).toBe(0);
  });

  it('compares against another model as the baseline, replaying both', async () => {
    const run = await gate(fixture.candidates.otherTool, '--baseline', fixture.candidates.agree, '--mode', 'trajectory', '--format', 'json');
    expect(run.code, run.stderr).toBe(1);
    const report = JSON.parse(run.stdout) as { baseline: string; rows: { metric: string; baseline: number; candidate: number }[] };
    expect(report.baseline).toBe(fixture.candidates.agree);
    expect(report.rows.find((row) => row.metric === 'passRate')).toMatchObject({ baseline: 1, candidate: 0 });
  });

  it('exits 2 on a usage error or an unknown dataset, and 3 when the key runs out of budget mid-replay', async () => {
    // The five items cost 10,615 micro-dollars; each call first reserves its worst case (about 9,000).
    expect((await gantry(['eval', 'gate', '--candidate', fixture.candidates.agree])).code).toBe(2);
    expect((await gantry(['eval', 'gate', '--dataset', 'nope', '--candidate', fixture.candidates.agree])).code).toBe(2);
    const poor = await requestJson<{ id: string; key: string }>(`${fixture.stack.url}/admin/keys`, 'gk-master-test-0123456789', { method: 'POST', body: { name: `poor-${tag}`, team_id: fixture.teamId } });
    await requestJson(`${fixture.stack.url}/admin/budgets`, 'gk-master-test-0123456789', { method: 'POST', body: { scope: 'key', scope_id: poor.body.id, period: 'day', limit_usd: 0.012 } });
    const run = await gantry(['eval', 'gate', '--dataset', 'research', '--candidate', fixture.candidates.agree, '--workers', '1'], { GANTRY_API_KEY: poor.body.key });
    expect(run.code, run.stdout + run.stderr).toBe(3);
    expect(run.stdout).toMatch(/INCOMPLETE \(exit 3\)/);
    expect(run.stdout).toMatch(/budget/);
  });

  it('judges answers the deterministic ladder finds different: embedding similarity, then an LLM judge, through Gantry', async () => {
    const plain = await gate(fixture.candidates.paraphrase, '--format', 'json');
    expect(plain.code).toBe(1);
    expect(plain.stdout).toMatch(/answer \(different/);
    const started = await requestJson<{ id: string }>(`${fixture.stack.url}/v1/replays`, fixture.apiKey, {
      method: 'POST',
      body: { dataset: 'research', candidates: [fixture.candidates.paraphrase], score: { embedding_model: fixture.embedder, judge_model: fixture.judge } },
    });
    expect(started.status).toBe(201);
    let view: { status: string; totals: { passed: number }[]; items: { run_id: string }[] } | undefined;
    for (let waited = 0; waited < 30_000 && view?.status !== 'succeeded'; waited += 100) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      view = (await requestJson<NonNullable<typeof view>>(`${fixture.stack.url}/v1/replays/${started.body.id}`, fixture.apiKey)).body;
    }
    expect(view!.totals[0]!.passed).toBe(ITEMS);
    const diff = await requestJson<{ steps: { replayed: { score: { answerMethod: string | null } } }[] }>(`${fixture.stack.url}/v1/replays/${started.body.id}/diff/0`, fixture.apiKey);
    expect(diff.body.steps.map((step) => step.replayed.score.answerMethod).filter((method) => method !== null)).toEqual(['judge', 'judge', 'judge']);
    // The judging calls are recorded in the item's `judge` run, under its root: embeddings, then the judge's chat.
    const tree = await requestJson<{ children: { name: string; spans: { kind: string; model: string }[] }[] }>(`${fixture.stack.url}/v1/runs/${encodeURIComponent(view!.items[0]!.run_id)}`, fixture.apiKey);
    const judgeRun = tree.body.children.find((child) => child.name === 'judge')!;
    expect(judgeRun.spans.filter((span) => span.kind === 'llm').map((span) => span.model)).toEqual(expect.arrayContaining([fixture.embedder, fixture.judge]));
  });
});
