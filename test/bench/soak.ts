import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { limitedKey } from './limited-key.ts';
import { median, runLoad } from './load.ts';
import { answers, spawnServer, workDir, type Server } from './spawn-server.ts';
import { builtGateway } from '../support/built-gateway.ts';

/**
 * The memory soak (issue 23, item 3): Gantry under a steady closed-loop load — recording on, a key
 * under budgets and rate limits, non-streaming, BENCH_SOAK_CONCURRENCY (64) connections — for
 * BENCH_SOAK_MS (10 minutes), its RSS read from /proc every second. Reports RSS per minute, the
 * steady RSS (the median over the second half, once heaps have grown to their working size) and
 * its slope over that half (least squares, MiB per minute): a leak shows as a slope that does not
 * fall as the soak gets longer. BENCH_SOAK_NODE_FLAGS passes V8 flags to Gantry's process (e.g.
 * `--heap-growing-percent=25`), to measure what a heap setting trades. Ports 4720–4721.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const SOAK_MS = Number(process.env.BENCH_SOAK_MS ?? 600_000);
const CONCURRENCY = Number(process.env.BENCH_SOAK_CONCURRENCY ?? 64);
const NODE_FLAGS = (process.env.BENCH_SOAK_NODE_FLAGS ?? '').split(' ').filter(Boolean);
const MOCK_PORT = 4720;
const GANTRY_PORT = 4721;
const MASTER_KEY = 'gk-master-soak';
/** Loads run in windows this long; between two, the mock's request log (it keeps every request) is emptied. */
const WINDOW_MS = 30_000;
/** issue 23: steady RSS at c=64, in MB. */
const TARGET_MB = { pglite: 300, postgres: 200 };

interface Sample {
  /** Seconds since the soak started. */
  at: number;
  rssMiB: number;
}

/** Least-squares slope of RSS over time, in MiB per minute. */
function slopePerMinute(samples: readonly Sample[]): number {
  const n = samples.length;
  const meanAt = samples.reduce((sum, sample) => sum + sample.at, 0) / n;
  const meanRss = samples.reduce((sum, sample) => sum + sample.rssMiB, 0) / n;
  let covariance = 0;
  let variance = 0;
  for (const sample of samples) {
    covariance += (sample.at - meanAt) * (sample.rssMiB - meanRss);
    variance += (sample.at - meanAt) ** 2;
  }
  return (covariance / variance) * 60;
}

export async function runSoakBench(): Promise<void> {
  const servers: Server[] = [];
  try {
    const mock = await spawnServer(join(root, 'test/mock-provider/main.ts'), { cwd: root, env: { MOCK_PORT: String(MOCK_PORT) }, ready: () => answers(`http://127.0.0.1:${MOCK_PORT}/v1/models`) });
    servers.push(mock);
    const work = workDir('gantry-soak-');
    writeFileSync(
      join(work, 'gantry.yaml'),
      `providers:\n  mock: { type: openai-compatible, base_url: http://127.0.0.1:${MOCK_PORT}/v1 }\npricing:\n  mock/bench-model: { input: 0.15, output: 0.6 }\nrecording: { enabled: true }\n`,
    );
    const env: Record<string, string> = { GANTRY_PORT: String(GANTRY_PORT), GANTRY_MASTER_KEY: MASTER_KEY, GANTRY_LOG_LEVEL: 'warn' };
    if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL;
    const gantry = await spawnServer(builtGateway(root), { cwd: work, env, nodeArgs: NODE_FLAGS, ready: () => answers(`http://127.0.0.1:${GANTRY_PORT}/readyz`) });
    servers.push(gantry);
    const apiKey = await limitedKey(`http://127.0.0.1:${GANTRY_PORT}`, MASTER_KEY);
    const database = process.env.DATABASE_URL ? 'postgres' : 'pglite';
    console.log(
      `\nMemory soak — Gantry on ${database === 'postgres' ? 'Postgres' : 'embedded PGlite'}, recording on, a key under budgets and rate limits, non-stream c=${CONCURRENCY}, ${Number((SOAK_MS / 60_000).toFixed(1))} min${NODE_FLAGS.length > 0 ? `, node flags ${NODE_FLAGS.join(' ')}` : ''}; RSS idle before: ${gantry.rssMiB().toFixed(0)} MiB\n`,
    );

    const samples: Sample[] = [];
    const started = performance.now();
    const sampler = setInterval(() => {
      const rss = gantry.rssMiB();
      // NaN once the process is gone: those samples are left out.
      if (!Number.isNaN(rss)) samples.push({ at: (performance.now() - started) / 1000, rssMiB: rss });
    }, 1000);
    const body = JSON.stringify({ model: 'mock/bench-model', messages: [{ role: 'user', content: 'Say hello in five words.' }], max_tokens: 32 });
    const headers = { 'content-type': 'application/json', authorization: `Bearer ${apiKey}` };
    let calls = 0;
    let errors = 0;
    const p99s: number[] = [];
    try {
      while (performance.now() - started < SOAK_MS) {
        const durationMs = Math.min(WINDOW_MS, SOAK_MS - (performance.now() - started));
        const load = await runLoad({ url: `http://127.0.0.1:${GANTRY_PORT}`, path: '/v1/chat/completions', headers, body, concurrency: CONCURRENCY, durationMs, stream: false });
        calls += load.latencies.length;
        errors += load.errors;
        p99s.push(load.latencies.sort((a, b) => a - b)[Math.floor(0.99 * (load.latencies.length - 1))] ?? Number.NaN);
      }
    } finally {
      clearInterval(sampler);
    }

    const elapsedS = (performance.now() - started) / 1000;
    console.log('| minute | RSS min / median / max MiB |');
    console.log('|---|---|');
    for (let minute = 0; minute * 60 < elapsedS; minute++) {
      const inMinute = samples.filter((sample) => sample.at >= minute * 60 && sample.at < (minute + 1) * 60).map((sample) => sample.rssMiB);
      if (inMinute.length === 0) continue;
      console.log(`| ${minute + 1} | ${Math.min(...inMinute).toFixed(0)} / ${median(inMinute).toFixed(0)} / ${Math.max(...inMinute).toFixed(0)} |`);
    }
    const secondHalf = samples.filter((sample) => sample.at >= elapsedS / 2);
    const steady = median(secondHalf.map((sample) => sample.rssMiB));
    const steadyMB = (steady * 1024 * 1024) / 1e6;
    const target = TARGET_MB[database];
    console.log(
      `Steady RSS (median of the second half): ${steady.toFixed(0)} MiB = ${steadyMB.toFixed(0)} MB (target ≤ ${target} MB: ${steadyMB <= target ? 'within' : 'OVER'}); slope over the second half ${slopePerMinute(secondHalf).toFixed(2)} MiB/min; peak (VmHWM) ${gantry.peakRssMiB().toFixed(0)} MiB`,
    );
    console.log(`${calls} calls at ${(calls / elapsedS).toFixed(0)} req/s, ${errors} errors; p99 per ${WINDOW_MS / 1000} s window, median ${median(p99s).toFixed(1)} ms, worst ${Math.max(...p99s).toFixed(1)} ms`);
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}
