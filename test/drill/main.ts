import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Pool } from 'undici';
import { percentile } from '../bench/load.ts';
import { answers, spawnServer, type Server } from '../bench/spawn-server.ts';
import { startPostgresTcpProxy } from '../e2e/postgres-tcp-proxy.ts';
import { countInto, DRILL_CALL_BODY, failuresText, FLUSH_INTERVAL_MS, GANTRY_PORT, HOSTILE_MOCK_PORT, MASTER_KEY, missingSpans, MOCK_PORT, root, startGantry, type Success } from './drill-support.ts';
import { hostileTenantDrill } from './hostile-tenant.ts';

/**
 * `pnpm drill` (issue 17): what a crash and a database outage under load cost, on the embedded
 * database or, with DATABASE_URL, on Postgres.
 *
 * 1. SIGKILL mid-load: 16 clients call through Gantry; the process is killed at 3 s and started
 *    again on the same database. Every call a client saw succeed is looked up: its span (the runs
 *    API) and its ledger entry (spend). What is lost is compared with the bound: the calls that
 *    ended within one recorder flush interval before the kill (they sat in the write buffer).
 * 2. Postgres only: the database frozen for 10 s under load (a TCP proxy stops forwarding), then
 *    thawed. Reports the longest call (no hang beyond the timeouts), how calls failed (503s), and
 *    that every call that succeeded has its span once the database is back.
 * 3. A hostile tenant beside a bystander: issue 17's hostile inputs, one at a time from one key,
 *    with slow-loris sockets and stalled stream clients held open, in slices interleaved with
 *    quiet ones while another team's key calls at a steady rate (see hostile-tenant.ts).
 * Loopback only; every load is bounded in time.
 */

interface LoadOutcome {
  successes: Success[];
  failures: Map<string, number>;
  latencies: number[];
}

/** Closed-loop load until `stopAt` (or until `stop()` is called); each call its own run, named `prefix-n`. */
async function load(prefix: string, concurrency: number, durationMs: number): Promise<LoadOutcome> {
  const pool = new Pool(`http://127.0.0.1:${GANTRY_PORT}`, { connections: concurrency, pipelining: 1 });
  const outcome: LoadOutcome = { successes: [], failures: new Map(), latencies: [] };
  const deadline = performance.now() + durationMs;
  let next = 0;
  async function worker(): Promise<void> {
    while (performance.now() < deadline) {
      const runId = `${prefix}-${next++}`;
      const started = performance.now();
      try {
        const response = await pool.request({
          path: '/v1/chat/completions',
          method: 'POST',
          headers: { authorization: `Bearer ${MASTER_KEY}`, 'content-type': 'application/json', 'x-gantry-run-id': runId },
          body: DRILL_CALL_BODY,
          headersTimeout: 60_000,
          bodyTimeout: 60_000,
        });
        await response.body.text();
        outcome.latencies.push(performance.now() - started);
        const spanId = response.headers['x-gantry-span-id'];
        if (response.statusCode === 200 && typeof spanId === 'string') outcome.successes.push({ runId, spanId, endedAt: Date.now() });
        else countInto(outcome.failures, String(response.statusCode));
      } catch (error) {
        countInto(outcome.failures, (error as { code?: string }).code ?? 'error');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  await pool.close();
  return outcome;
}

async function spendMicros(): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${GANTRY_PORT}/v1/spend?group_by=day`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
  return ((await response.json()) as { total_cost_micros: number }).total_cost_micros;
}

async function crashDrill(work: string, databaseUrl: string | undefined): Promise<void> {
  let gantry = await startGantry(work, databaseUrl);
  const spendBefore = await spendMicros();
  const running = load('drill-crash', 16, 4_500);
  await new Promise((resolve) => setTimeout(resolve, 3_000));
  const killedAt = Date.now();
  gantry.child.kill('SIGKILL');
  const outcome = await running;
  gantry = await startGantry(work, databaseUrl);
  try {
    const missing = await missingSpans(outcome.successes);
    const inLastFlush = outcome.successes.filter((success) => success.endedAt >= killedAt - FLUSH_INTERVAL_MS).length;
    const perCall = outcome.successes.length === 0 ? 0 : await costOfOneCall(outcome.successes[0]!);
    const spent = (await spendMicros()) - spendBefore;
    const ledgerLost = perCall === 0 ? Number.NaN : Math.round((outcome.successes.length * perCall - spent) / perCall);
    console.log(
      `| SIGKILL at 3 s, c=16 | ${outcome.successes.length} | ${missing.length} | ${ledgerLost} | ${inLastFlush} | ${failuresText(outcome.failures)} |`,
    );
  } finally {
    await gantry.stop();
  }
}

/** The ledger's cost of one call (every drill call costs the same). */
async function costOfOneCall(success: Success): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${GANTRY_PORT}/v1/runs/${success.runId}/spans/${success.spanId}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
  if (response.status !== 200) return 0;
  return ((await response.json()) as { cost_micros: number }).cost_micros;
}

async function freezeDrill(work: string, databaseUrl: string): Promise<void> {
  const proxy = await startPostgresTcpProxy(databaseUrl);
  const gantry = await startGantry(work, proxy.url);
  try {
    const running = load('drill-freeze', 16, 16_000);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    proxy.freeze();
    await new Promise((resolve) => setTimeout(resolve, 10_000));
    proxy.thaw();
    const outcome = await running;
    // Spans buffered through the outage land within a few flushes of the thaw.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    const missing = await missingSpans(outcome.successes);
    console.log(
      `| Postgres frozen 10 s, c=16 | ${outcome.successes.length} | ${missing.length} | max call ${Math.round(Math.max(...outcome.latencies))} ms, p99 ${Math.round(percentile(outcome.latencies, 99))} ms | ${failuresText(outcome.failures)} |`,
    );
  } finally {
    await gantry.stop();
    await proxy.close();
  }
}

const servers: Server[] = [];
const work = mkdtempSync(join(tmpdir(), 'gantry-drill-'));
try {
  const mock = await spawnServer(join(root, 'test/mock-provider/main.ts'), { cwd: root, env: { MOCK_PORT: String(MOCK_PORT) }, ready: () => answers(`http://127.0.0.1:${MOCK_PORT}/v1/models`) });
  servers.push(mock);
  writeFileSync(
    join(work, 'gantry.yaml'),
    `providers:\n  mock: { type: openai-compatible, base_url: http://127.0.0.1:${MOCK_PORT}/v1 }\n  hostile-mock: { type: openai-compatible, base_url: http://127.0.0.1:${HOSTILE_MOCK_PORT}/v1 }\n` +
      `pricing:\n  mock/drill-model: { input: 1, output: 2 }\n  hostile-mock/drill-model: { input: 1, output: 2 }\nrecording: { flush_interval_ms: ${FLUSH_INTERVAL_MS} }\n`,
  );
  const databaseUrl = process.env.DATABASE_URL;
  console.log(`Gantry drills — database: ${databaseUrl === undefined ? 'embedded PGlite' : 'Postgres'}\n`);
  console.log('| drill | calls that succeeded | spans lost | ledger entries lost | bound: calls ended in the last flush interval before the kill | failed calls |');
  console.log('|---|---|---|---|---|---|');
  await crashDrill(work, databaseUrl);
  if (databaseUrl !== undefined) {
    console.log('\n| drill | calls that succeeded | spans lost | longest call | failed calls |');
    console.log('|---|---|---|---|---|');
    await freezeDrill(work, databaseUrl);
  } else {
    console.log('\n(The database-outage drill needs a Postgres: set DATABASE_URL.)');
  }
  console.log('');
  const hostileMock = await spawnServer(join(root, 'test/mock-provider/main.ts'), { cwd: root, env: { MOCK_PORT: String(HOSTILE_MOCK_PORT) }, ready: () => answers(`http://127.0.0.1:${HOSTILE_MOCK_PORT}/v1/models`) });
  servers.push(hostileMock);
  await hostileTenantDrill(work, databaseUrl, mock, hostileMock);
} finally {
  await Promise.all(servers.map((server) => server.stop()));
  rmSync(work, { recursive: true, force: true });
}
