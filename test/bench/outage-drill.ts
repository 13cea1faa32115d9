import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool } from 'undici';
import { percentile } from './load.ts';
import { answers, spawnServer, workDir, type Server } from './spawn-server.ts';
import { builtGateway } from '../support/built-gateway.ts';

/**
 * The outage drill (issue 6): an alias `drill` of primary → backup on the mock; at a steady
 * request rate, the primary answers 503 for OUTAGE_MS, then recovers. Reports the share of client
 * requests that succeeded, the latency the outage added, and upstream tries per client request —
 * over the whole outage and once the primary's breaker is open. Loopback only, bounded in time.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const MOCK_PORT = 4710;
const GANTRY_PORT = 4730;
const MASTER_KEY = 'gk-master-drill';
const RATE_PER_SECOND = Number(process.env.DRILL_RATE ?? 50);
const BEFORE_MS = 4_000;
const OUTAGE_MS = 10_000;
const AFTER_MS = 7_000;

interface Sample {
  startedAt: number;
  latencyMs: number;
  ok: boolean;
  attempts: number;
}

async function setPrimary(steps: unknown[]): Promise<void> {
  const response = await fetch(`http://127.0.0.1:${MOCK_PORT}/_mock/scripts`, { method: 'POST', body: JSON.stringify({ name: 'drill-primary', steps }) });
  if (response.status !== 201) throw new Error(`mock script failed: ${response.status}`);
}

/** Open loop: one request every 1000/rate ms, whatever the answers take, so an outage cannot slow the load down. */
async function steadyLoad(pool: Pool, durationMs: number, onTick: (elapsed: number) => Promise<void>): Promise<Sample[]> {
  const samples: Sample[] = [];
  const inflight: Promise<void>[] = [];
  const body = JSON.stringify({ model: 'drill', messages: [{ role: 'user', content: 'Say hello in five words.' }], max_tokens: 16 });
  const started = performance.now();
  for (let sent = 0; ; sent++) {
    const due = started + (sent * 1000) / RATE_PER_SECOND;
    if (due - started >= durationMs) break;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    await onTick(performance.now() - started);
    const begin = performance.now();
    inflight.push(
      pool
        .request({ method: 'POST', path: '/v1/chat/completions', headers: { 'content-type': 'application/json', authorization: `Bearer ${MASTER_KEY}` }, body })
        .then(async (response) => {
          await response.body.arrayBuffer();
          samples.push({ startedAt: begin - started, latencyMs: performance.now() - begin, ok: response.statusCode === 200, attempts: Number(response.headers['x-gantry-attempts'] ?? 0) });
        })
        .catch(() => {
          samples.push({ startedAt: begin - started, latencyMs: performance.now() - begin, ok: false, attempts: 0 });
        }),
    );
  }
  await Promise.all(inflight);
  return samples;
}

const mean = (values: number[]) => values.reduce((sum, value) => sum + value, 0) / Math.max(1, values.length);

export async function runOutageDrill(): Promise<void> {
  const servers: Server[] = [];
  try {
    servers.push(
      await spawnServer(join(root, 'test/mock-provider/main.ts'), { cwd: root, env: { MOCK_PORT: String(MOCK_PORT) }, ready: () => answers(`http://127.0.0.1:${MOCK_PORT}/v1/models`) }),
    );
    const work = workDir('gantry-drill-');
    writeFileSync(
      join(work, 'gantry.yaml'),
      [
        'providers:',
        `  mock: { type: openai-compatible, base_url: http://127.0.0.1:${MOCK_PORT}/v1 }`,
        'models:',
        '  drill: { targets: [mock/drill-primary, mock/drill-backup] }',
        '',
      ].join('\n'),
    );
    const env: Record<string, string> = { GANTRY_PORT: String(GANTRY_PORT), GANTRY_MASTER_KEY: MASTER_KEY, GANTRY_LOG_LEVEL: 'warn' };
    if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL;
    servers.push(await spawnServer(builtGateway(root), { cwd: work, env, ready: () => answers(`http://127.0.0.1:${GANTRY_PORT}/readyz`) }));

    const healthy = [{ text: 'primary says hello', latencyMs: 20 }];
    await setPrimary(healthy);
    await fetch(`http://127.0.0.1:${MOCK_PORT}/_mock/scripts`, { method: 'POST', body: JSON.stringify({ name: 'drill-backup', steps: [{ text: 'backup says hello', latencyMs: 20 }] }) });
    const pool = new Pool(`http://127.0.0.1:${GANTRY_PORT}`, { connections: 128 });
    let phase: 'before' | 'outage' | 'after' = 'before';
    const samples = await steadyLoad(pool, BEFORE_MS + OUTAGE_MS + AFTER_MS, async (elapsed) => {
      if (phase === 'before' && elapsed >= BEFORE_MS) {
        phase = 'outage';
        await setPrimary([{ status: 503, latencyMs: 5 }]);
      } else if (phase === 'outage' && elapsed >= BEFORE_MS + OUTAGE_MS) {
        phase = 'after';
        await setPrimary(healthy);
      }
    });
    await pool.close();

    const baseline = samples.filter((sample) => sample.startedAt >= 1_000 && sample.startedAt < BEFORE_MS);
    const outage = samples.filter((sample) => sample.startedAt >= BEFORE_MS && sample.startedAt < BEFORE_MS + OUTAGE_MS);
    const firstSkip = outage.find((sample) => sample.ok && sample.attempts === 1 && sample.startedAt > BEFORE_MS + 100);
    const breakerOpen = firstSkip === undefined ? [] : outage.filter((sample) => sample.startedAt >= firstSkip.startedAt);
    const ok = samples.filter((sample) => sample.ok).length;
    const latency = (group: Sample[], p: number) => percentile(group.filter((sample) => sample.ok).map((sample) => sample.latencyMs), p);

    console.log(`\nOutage drill — ${RATE_PER_SECOND} req/s open loop; primary answers 503 for ${OUTAGE_MS / 1000} s (of ${(BEFORE_MS + OUTAGE_MS + AFTER_MS) / 1000} s); backup healthy; mock latency 20 ms\n`);
    console.log('| measure | value |');
    console.log('|---|---|');
    console.log(`| client requests | ${samples.length} (${outage.length} during the outage) |`);
    console.log(`| succeeded, whole drill | ${((100 * ok) / samples.length).toFixed(2)}% (${samples.length - ok} failed) |`);
    console.log(`| succeeded, during the outage | ${((100 * outage.filter((sample) => sample.ok).length) / Math.max(1, outage.length)).toFixed(2)}% |`);
    console.log(`| latency p50 / p99, healthy | ${latency(baseline, 50).toFixed(1)} / ${latency(baseline, 99).toFixed(1)} ms |`);
    console.log(`| latency p50 / p99, outage | ${latency(outage, 50).toFixed(1)} / ${latency(outage, 99).toFixed(1)} ms |`);
    console.log(`| added latency p50 / p99 during the outage | ${(latency(outage, 50) - latency(baseline, 50)).toFixed(1)} / ${(latency(outage, 99) - latency(baseline, 99)).toFixed(1)} ms |`);
    const fellBack = outage.filter((sample) => sample.attempts > 1);
    console.log(`| latency p50 / max of the ${fellBack.length} requests that fell back | ${latency(fellBack, 50).toFixed(1)} / ${Math.max(...fellBack.map((sample) => sample.latencyMs), 0).toFixed(1)} ms |`);
    console.log(`| upstream tries per client request, whole outage | ${mean(outage.map((sample) => sample.attempts)).toFixed(3)} |`);
    console.log(`| upstream tries per client request, breaker open | ${breakerOpen.length === 0 ? 'n/a' : mean(breakerOpen.map((sample) => sample.attempts)).toFixed(3)} (from ${firstSkip === undefined ? '-' : ((firstSkip.startedAt - BEFORE_MS) / 1000).toFixed(2)} s into the outage) |`);
    console.log(`| requests that tried the primary once open (half-open probes) | ${breakerOpen.filter((sample) => sample.attempts > 1).length} |`);
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await runOutageDrill();
