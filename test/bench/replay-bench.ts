import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { answers, spawnServer, workDir, type Server } from './spawn-server.ts';
import { builtGateway } from '../support/built-gateway.ts';

/**
 * Replay throughput (issue 19): record 1,000 calls (100 agent runs of 10 turns each, every turn
 * carrying the conversation so far), snapshot them into a dataset, then replay the dataset in step
 * mode against a candidate on the mock with 1, 2, 4, 8 and 16 workers. Reports wall time, steps
 * per second and CPU per step of the gateway and of the mock (from /proc). Recording is on: every
 * replayed call is budgeted, recorded and flushed before its step counts as scored.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const MOCK_PORT = 4810;
const GANTRY_PORT = 4830;
const MASTER_KEY = 'gk-master-replay-bench';
const RUNS = Number(process.env.REPLAY_BENCH_RUNS ?? 100);
const TURNS = 10;
const WORKERS = (process.env.REPLAY_BENCH_WORKERS ?? '1,2,4,8,16').split(',').map(Number);

async function call(path: string, body: unknown, headers: Record<string, string> = {}): Promise<Record<string, unknown>> {
  const response = await fetch(`http://127.0.0.1:${GANTRY_PORT}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  if (!response.ok) throw new Error(`${path}: HTTP ${response.status} ${await response.text()}`);
  return (await response.json()) as Record<string, unknown>;
}

/** One recorded agent run: TURNS calls in one run, each with the conversation so far. */
async function recordRun(runId: string): Promise<void> {
  const messages: { role: string; content: string }[] = [{ role: 'system', content: 'You are a terse assistant.' }];
  for (let turn = 0; turn < TURNS; turn++) {
    messages.push({ role: 'user', content: `Question ${turn} of run ${runId}: say hello in five words.` });
    const completion = await call('/v1/chat/completions', { model: 'mock/recorded-model', messages, max_tokens: 32 }, { 'x-gantry-run-id': runId, 'x-gantry-run-name': 'replay-bench' });
    const choices = completion.choices as { message: { content: string } }[];
    messages.push({ role: 'assistant', content: choices[0]!.message.content });
  }
}

async function replayOnce(dataset: string, workers: number, servers: { gantry: Server; mock: Server }): Promise<string> {
  const cpuBefore = { gantry: servers.gantry.cpuMs(), mock: servers.mock.cpuMs() };
  const started = performance.now();
  const replay = await call('/v1/replays', { dataset, candidates: ['mock/candidate-model'], mode: 'step', workers });
  let view: { status: string; progress: { steps_done: number; failed_calls: number } } | undefined;
  for (;;) {
    const response = await fetch(`http://127.0.0.1:${GANTRY_PORT}/v1/replays/${String(replay.id)}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
    view = (await response.json()) as typeof view;
    if (view!.status !== 'running') break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  const seconds = (performance.now() - started) / 1000;
  const steps = view!.progress.steps_done;
  const perStep = (ms: number) => ((ms * 1000) / Math.max(1, steps)).toFixed(0);
  return `| ${workers} | ${view!.status} | ${steps} | ${view!.progress.failed_calls} | ${seconds.toFixed(1)} | ${(steps / seconds).toFixed(0)} | ${perStep(servers.gantry.cpuMs() - cpuBefore.gantry)} | ${perStep(servers.mock.cpuMs() - cpuBefore.mock)} |`;
}

export async function runReplayBench(): Promise<void> {
  const servers: Server[] = [];
  try {
    const mock = await spawnServer(join(root, 'test/mock-provider/main.ts'), { cwd: root, env: { MOCK_PORT: String(MOCK_PORT) }, ready: () => answers(`http://127.0.0.1:${MOCK_PORT}/v1/models`) });
    servers.push(mock);
    const work = workDir('gantry-replay-bench-');
    writeFileSync(
      join(work, 'gantry.yaml'),
      `providers:\n  mock: { type: openai-compatible, base_url: http://127.0.0.1:${MOCK_PORT}/v1 }\npricing:\n  mock/recorded-model: { input: 0.15, output: 0.6 }\n  mock/candidate-model: { input: 0.1, output: 0.4 }\n`,
    );
    const env: Record<string, string> = { GANTRY_PORT: String(GANTRY_PORT), GANTRY_MASTER_KEY: MASTER_KEY, GANTRY_LOG_LEVEL: 'warn' };
    if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL;
    const gantry = await spawnServer(builtGateway(root), { cwd: work, env, ready: () => answers(`http://127.0.0.1:${GANTRY_PORT}/readyz`) });
    servers.push(gantry);

    const tag = Date.now().toString(36);
    const runIds = Array.from({ length: RUNS }, (_, index) => `replay-bench-${tag}-${index}`);
    const recordStart = performance.now();
    for (let start = 0; start < runIds.length; start += 8) await Promise.all(runIds.slice(start, start + 8).map(recordRun));
    const recordSeconds = (performance.now() - recordStart) / 1000;
    const datasetStart = performance.now();
    const dataset = await call('/v1/datasets', { name: `replay-bench-${tag}`, runs: { ids: runIds } });
    const datasetSeconds = (performance.now() - datasetStart) / 1000;
    console.log(
      `\nReplay — ${RUNS * TURNS} recorded calls (${RUNS} runs × ${TURNS} turns, recorded in ${recordSeconds.toFixed(1)} s); dataset of ${String(dataset.item_count)} items snapshotted in ${datasetSeconds.toFixed(1)} s; step mode against a mock candidate, recording on, database: ${process.env.DATABASE_URL ? 'Postgres' : 'embedded PGlite'}\n`,
    );
    console.log('| workers | status | steps | failed calls | seconds | steps/s | gantry CPU µs/step | mock CPU µs/step |');
    console.log('|---|---|---|---|---|---|---|---|');
    for (const workers of WORKERS) console.log(await replayOnce(String(dataset.name), workers, { gantry, mock }));
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}
