import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CalibrationListView, CalibrationView } from '../../apps/gateway/src/routes/cache-calibrations-routes.ts';
import { requestJson } from '../agents/run-tree.ts';
import { runGantryCli, type CliRun } from '../support/gantry-process.ts';
import { MASTER_KEY, startStack, type Stack } from '../support/start-stack.ts';

/**
 * `gantry cache calibrate` as an operator runs it: the real CLI, a process of its own with a team's
 * key, on the shipped labelled set, embedding through the gateway (the mock's hash vectors: the
 * numbers mean nothing, the pipeline is real), printing the curve and the policy, and storing the
 * result where the team — and no other team — reads it back.
 */

const SHIPPED = fileURLToPath(new URL('../../evals/cache-calibration.jsonl', import.meta.url));
const MODEL = 'local/calibration-embedder';
const tag = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;

interface ErrorBody {
  error: { message: string; param: string | null };
}

/** The distinct prompts of the shipped set: what the CLI must embed. */
function shippedPrompts(): Set<string> {
  const prompts = new Set<string>();
  for (const line of readFileSync(SHIPPED, 'utf8').split('\n').filter((each) => each.trim() !== '')) {
    const pair = JSON.parse(line) as { a: string; b: string };
    prompts.add(pair.a).add(pair.b);
  }
  return prompts;
}

describe('gantry cache calibrate', () => {
  let stack: Stack;
  let alpha: { teamId: string; keyId: string; key: string };
  let beta: { teamId: string; keyId: string; key: string };
  const work = mkdtempSync(join(tmpdir(), 'gantry-calibrate-'));

  const gantry = (args: string[], apiKey: string): Promise<CliRun> => runGantryCli(args, { cwd: work, env: { GANTRY_URL: stack.url, GANTRY_API_KEY: apiKey } });

  async function teamWithKey(name: string) {
    const team = await requestJson<{ id: string }>(`${stack.url}/admin/teams`, MASTER_KEY, { method: 'POST', body: { name: `${name}-${tag}` } });
    expect(team.status).toBe(201);
    const key = await requestJson<{ id: string; key: string }>(`${stack.url}/admin/keys`, MASTER_KEY, { method: 'POST', body: { name, team_id: team.body.id } });
    expect(key.status).toBe(201);
    return { teamId: team.body.id, keyId: key.body.id, key: key.body.key };
  }

  beforeAll(async () => {
    stack = await startStack({ config: { pricing: { [MODEL]: { input: 0.02, output: 0 } } } });
    alpha = await teamWithKey('calibrators');
    beta = await teamWithKey('bystanders');
  });
  afterAll(async () => {
    await stack?.close();
    rmSync(work, { recursive: true, force: true });
  });

  describe('on the shipped set', () => {
    let run: CliRun;
    let id: string;
    const prompts = shippedPrompts();
    const batches = Math.ceil(prompts.size / 64);

    beforeAll(async () => {
      run = await gantry(['cache', 'calibrate', '--pairs', SHIPPED, '--model', MODEL], alpha.key);
      id = /Stored as (cal_\S+):/.exec(run.stdout)?.[1] ?? '';
    }, 60_000);

    it('prints the curve every 0.05, the static choice and the per-entry policy, and exits 0', () => {
      expect(run.code, run.stdout + run.stderr).toBe(0);
      expect(run.stdout).toMatch(/^threshold\s+hit_rate\s+precision\s+errors\s+error_upper/m);
      for (const threshold of ['0.50', '0.55', '0.75', '0.90', '0.95']) expect(run.stdout).toMatch(new RegExp(`^${threshold}\\s+\\d+\\.\\d%`, 'm'));
      expect(run.stdout).toMatch(/^static threshold for precision 98\.0%/m);
      expect(run.stdout).toMatch(/^per-entry policy \(δ=0\.02, 5 passes, seed 1\): hit rate \d+\.\d% \(\d+\/625 lookups\)/m);
      expect(run.stdout).toMatch(/by kind: .*paraphrase \d+\/235 served/);
      expect(run.stderr).toContain(`Embedded ${prompts.size} prompts with ${MODEL} in ${batches} calls.`);
      // stderr is a pipe here, not a terminal: no progress bar.
      expect(run.stderr).not.toContain('[#');
      expect(id).toMatch(/^cal_/);
    });

    it('embeds every distinct prompt through the gateway in batches of 64, recorded and billed to the key', async () => {
      const upstream = stack.mock.requests.filter((request) => request.path.endsWith('/embeddings'));
      expect(upstream).toHaveLength(batches);
      const inputs = upstream.flatMap((request) => (request.body as { input: string[] }).input);
      expect(new Set(inputs)).toEqual(prompts);
      expect(Math.max(...upstream.map((request) => (request.body as { input: string[] }).input.length))).toBe(64);
      await stack.flush();
      const spend = await requestJson<{ data: { key: string; calls: number; cost_micros: number }[] }>(`${stack.url}/v1/spend?group_by=key`, MASTER_KEY);
      expect(spend.body.data.find((row) => row.key === alpha.keyId)).toMatchObject({ calls: batches });
      const runs = await requestJson<{ data: { api_key_id: string | null }[] }>(`${stack.url}/v1/runs?limit=200`, alpha.key);
      expect(runs.body.data.filter((each) => each.api_key_id === alpha.keyId)).toHaveLength(batches);
    });

    it('stores the calibration for the team: listed and readable with its curve and policy', async () => {
      const one = await requestJson<CalibrationView>(`${stack.url}/v1/cache/calibrations/${id}`, alpha.key);
      expect(one.status).toBe(200);
      expect(one.body).toMatchObject({ id, source: `pairs:${SHIPPED}`, model: MODEL, pairs: 125, target_precision: 0.98, team_id: alpha.teamId, api_key_id: alpha.keyId });
      expect(one.body.rows).toHaveLength(50);
      expect(one.body.rows[0]).toEqual({ threshold: 0.5, hit_rate: expect.any(Number), precision: expect.anything(), errors: expect.any(Number), error_upper: expect.any(Number) });
      expect(one.body.policy).toMatchObject({ delta: 0.02, passes: 5, seed: 1, entries: 20, lookups: 625 });
      expect(one.body.policy.hits + one.body.policy.explorations).toBe(625);
      const list = await requestJson<CalibrationListView>(`${stack.url}/v1/cache/calibrations`, alpha.key);
      expect(list.body.data.map((each) => each.id)).toContain(id);
      expect((await requestJson(`${stack.url}/v1/cache/calibrations/${id}`, MASTER_KEY)).status).toBe(200);
    });

    it('hides it from another team: not listed, and 404 as if it did not exist', async () => {
      const list = await requestJson<CalibrationListView>(`${stack.url}/v1/cache/calibrations`, beta.key);
      expect(list.status).toBe(200);
      expect(list.body.data.map((each) => each.id)).not.toContain(id);
      const one = await requestJson<ErrorBody>(`${stack.url}/v1/cache/calibrations/${id}`, beta.key);
      expect(one.status).toBe(404);
      expect(one.body.error.message).toContain(id);
    });

    it('prints the same figures again for the same seed, and the stored JSON with --json', async () => {
      const again = await gantry(['cache', 'calibrate', '--pairs', SHIPPED, '--model', MODEL, '--json'], alpha.key);
      expect(again.code, again.stderr).toBe(0);
      const view = JSON.parse(again.stdout) as CalibrationView;
      const first = (await requestJson<CalibrationView>(`${stack.url}/v1/cache/calibrations/${id}`, alpha.key)).body;
      expect(view.id).not.toBe(id);
      expect({ rows: view.rows, policy: view.policy, static_threshold: view.static_threshold }).toEqual({ rows: first.rows, policy: first.policy, static_threshold: first.static_threshold });
      const list = await requestJson<CalibrationListView>(`${stack.url}/v1/cache/calibrations?limit=1`, alpha.key);
      expect(list.body.data.map((each) => each.id)).toEqual([view.id]);
    });
  });

  it('refuses bad input in one line: both sources, a bad pairs file, a bad body', async () => {
    const both = await gantry(['cache', 'calibrate', '--pairs', SHIPPED, '--sembenchmark', SHIPPED, '--model', MODEL], alpha.key);
    expect(both.code).toBe(1);
    expect(both.stderr).toContain('give exactly one of --pairs <file.jsonl>, --sembenchmark <file> or --traffic');
    const twoEmbedders = await gantry(['cache', 'calibrate', '--sembenchmark', SHIPPED, '--model', MODEL, '--embedding-column', 'emb_gte'], alpha.key);
    expect(twoEmbedders.stderr).toContain('give --model (embed through the gateway) or --embedding-column (precomputed embeddings), not both');
    const bad = join(work, 'bad.jsonl');
    writeFileSync(bad, '{"a":"x","b":"y","same":true}\n{"a":"x","b":"z","same":"no"}\n');
    const badFile = await gantry(['cache', 'calibrate', '--pairs', bad, '--model', MODEL], alpha.key);
    expect(badFile.code).toBe(1);
    expect(badFile.stderr).toContain(`${bad}: line 2: "same" must be true or false`);
    const body = await requestJson<ErrorBody>(`${stack.url}/v1/cache/calibrations`, alpha.key, { method: 'POST', body: { source: 's', model: 'm', pairs: 1, target_precision: 1.5, rows: [], static_threshold: null, policy: {} } });
    expect(body.status).toBe(400);
    expect(body.body.error.param).toBe('target_precision');
    const query = await requestJson<ErrorBody>(`${stack.url}/v1/cache/calibrations?limit=0`, alpha.key);
    expect(query.status).toBe(400);
    expect(query.body.error.param).toBe('limit');
  });

  it('calibrates a SemBenchmark export on its precomputed embeddings without calling the gateway', async () => {
    const fixture = fileURLToPath(new URL('../../packages/cache/test/fixtures/sembenchmark-sample.jsonl', import.meta.url));
    const before = stack.mock.requests.length;
    const run = await gantry(['cache', 'calibrate', '--sembenchmark', fixture, '--embedding-column', 'emb_gte', '--json'], alpha.key);
    expect(run.code, run.stderr).toBe(0);
    const view = JSON.parse(run.stdout) as CalibrationView;
    expect(view).toMatchObject({ source: `sembenchmark:${fixture}`, model: 'column:emb_gte', pairs: 12 });
    expect(view.policy.by_kind).toMatchObject({ 'same-id-set': { lookups: 30 }, 'other-id-set': { lookups: 30 } });
    expect(stack.mock.requests.length).toBe(before);
  });
});
