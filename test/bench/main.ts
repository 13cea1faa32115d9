import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, mergeLoads, percentile, runLoad, type LoadResult } from './load.ts';
import { runOutageDrill } from './outage-drill.ts';
import { runCacheBench } from './cache-bench.ts';
import { runGuardrailsBench } from './guardrails-bench.ts';
import { runReplayBench } from './replay-bench.ts';
import { runSlowStreamsBench } from './slow-streams.ts';
import { runSoakBench } from './soak.ts';
import { limitedKey } from './limited-key.ts';
import { postgresCpu } from './postgres-cpu.ts';
import { answers, quiet, spawnServer, workDir, type Server } from './spawn-server.ts';
import { builtGateway } from '../support/built-gateway.ts';

/**
 * `pnpm bench`: the same load against the mock directly, through a bare Node pass-through (the
 * floor), and through Gantry with recording on. Reports what each hop adds over the direct call.
 * Everything runs on 127.0.0.1; every load is bounded in time.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 4000);
const CONCURRENCIES = (process.env.BENCH_CONCURRENCY ?? '1,16,64').split(',').map(Number);
const WARM_UP_MS = Math.min(3000, DURATION_MS);
const MOCK_PORT = 4610;
const PROXY_PORT = 4620;
const GANTRY_PORT = 4630;
const MASTER_KEY = 'gk-master-bench';
const LIMITED = 'gantry (budgets + rate limits)';
/** Slices in which the cost of limits is measured: of the alternating loads (rows, CPU) and of the interleaved one (p50). */
const LIMIT_SLICES = 8;

const body = (stream: boolean, model: string) =>
  JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hello in five words.' }], max_tokens: 32, ...(stream ? { stream: true } : {}) });

/** The same request in the Responses API (`/v1/responses`), stored as its default is. */
const responsesBody = (stream: boolean, model: string) =>
  JSON.stringify({ model, input: 'Say hello in five words.', max_output_tokens: 32, ...(stream ? { stream: true } : {}) });

const RESPONSES = 'gantry /v1/responses';

interface Scenario {
  name: string;
  url: string;
  model: string;
  /** Default `/v1/chat/completions` with a chat body. */
  path?: string;
  body?: (stream: boolean, model: string) => string;
  /** The key calls are made with (default: the master key, to which no limit applies). */
  apiKey?: string;
  /** The process that serves it, whose CPU per call is reported. */
  server: Server;
}

/** Above the recorder's flush interval (200 ms): a load's batched writes are counted with it. */
const TAIL_MS = 300;

/**
 * A load, with the CPU its server used for it (all threads: PGlite's worker is counted, a Postgres
 * server is another process and is not), read once the load's last batched writes are done.
 */
async function measuredLoad(scenario: Scenario, options: Parameters<typeof runLoad>[0]): Promise<LoadResult> {
  const before = scenario.server.cpuMs();
  const result = await runLoad(options);
  await new Promise((resolve) => setTimeout(resolve, TAIL_MS));
  return { ...result, cpuMs: scenario.server.cpuMs() - before };
}

/** The serving process's CPU per request of a load, in µs (failed requests count too); NaN when unknown. */
function cpuPerCall(result: LoadResult): number {
  const calls = result.latencies.length + result.errors;
  return result.cpuMs === undefined || calls === 0 ? Number.NaN : (result.cpuMs * 1000) / calls;
}

const micros = (value: number) => (Number.isNaN(value) ? 'n/a' : value.toFixed(0));

async function main(): Promise<void> {
  const servers: Server[] = [];
  try {
    const mock = await spawnServer(join(root, 'test/mock-provider/main.ts'), {
      cwd: root,
      env: { MOCK_PORT: String(MOCK_PORT) },
      ready: () => answers(`http://127.0.0.1:${MOCK_PORT}/v1/models`),
    });
    servers.push(mock);
    const proxy = await spawnServer(join(root, 'test/bench/passthrough-proxy.ts'), {
      cwd: root,
      env: { PROXY_PORT: String(PROXY_PORT), UPSTREAM_URL: `http://127.0.0.1:${MOCK_PORT}` },
      ready: () => answers(`http://127.0.0.1:${PROXY_PORT}/v1/models`, { method: 'POST', body: '{}' }),
    });
    servers.push(proxy);
    /** One Gantry process per recording mode, each on its own config, data folder and port. */
    const gantryEntry = builtGateway(root);
    const startGantry = async (port: number, recording: boolean) => {
      const work = workDir('gantry-bench-');
      writeFileSync(
        join(work, 'gantry.yaml'),
        `providers:\n  mock: { type: openai-compatible, base_url: http://127.0.0.1:${MOCK_PORT}/v1 }\npricing:\n  mock/bench-model: { input: 0.15, output: 0.6 }\nrecording: { enabled: ${recording} }\n`,
      );
      const env: Record<string, string> = { GANTRY_PORT: String(port), GANTRY_MASTER_KEY: MASTER_KEY, GANTRY_LOG_LEVEL: 'warn' };
      if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL;
      const server = await spawnServer(gantryEntry, { cwd: work, env, ready: () => answers(`http://127.0.0.1:${port}/readyz`) });
      servers.push(server);
      if (process.env.DATABASE_URL === undefined) return server;
      // In Postgres mode a call's cost includes the server's: it runs on the same cores.
      const postgres = await postgresCpu(process.env.DATABASE_URL);
      return { ...server, cpuMs: () => server.cpuMs() + postgres() };
    };
    const gantry = await startGantry(GANTRY_PORT, true);
    const gantryUnrecorded = await startGantry(GANTRY_PORT + 1, false);
    const limitedApiKey = await limitedKey(`http://127.0.0.1:${GANTRY_PORT}`, MASTER_KEY);

    const scenarios: Scenario[] = [
      { name: 'direct', url: `http://127.0.0.1:${MOCK_PORT}`, model: 'bench-model', server: mock },
      { name: 'floor', url: `http://127.0.0.1:${PROXY_PORT}`, model: 'bench-model', server: proxy },
      { name: 'gantry', url: `http://127.0.0.1:${GANTRY_PORT}`, model: 'mock/bench-model', server: gantry },
      { name: 'gantry (recording off)', url: `http://127.0.0.1:${GANTRY_PORT + 1}`, model: 'mock/bench-model', server: gantryUnrecorded },
      { name: LIMITED, url: `http://127.0.0.1:${GANTRY_PORT}`, model: 'mock/bench-model', apiKey: limitedApiKey, server: gantry },
      { name: RESPONSES, url: `http://127.0.0.1:${GANTRY_PORT}`, model: 'mock/bench-model', path: '/v1/responses', body: responsesBody, server: gantry },
    ];
    console.log(`Gantry benchmark — ${DURATION_MS} ms per cell, database: ${process.env.DATABASE_URL ? 'Postgres' : 'embedded PGlite'}, recording on (and off, for its cost), and under budgets and rate limits\n`);

    // Every server runs warm before anything is measured (V8 takes several seconds of traffic to
    // optimize a path as long as Gantry's; a cell's own warm-up only re-primes pools and caches).
    for (const scenario of scenarios) {
      for (const stream of [false, true]) {
        const headers = { 'content-type': 'application/json', authorization: `Bearer ${scenario.apiKey ?? MASTER_KEY}` };
        await runLoad({ url: scenario.url, path: scenario.path ?? '/v1/chat/completions', headers, body: (scenario.body ?? body)(stream, scenario.model), concurrency: 16, stream, durationMs: WARM_UP_MS });
      }
    }

    const rows: string[] = [];
    const limitCosts: string[] = [];
    const responsesCosts: string[] = [];
    for (const stream of [false, true]) {
      for (const concurrency of CONCURRENCIES) {
        const results = new Map<string, LoadResult>();
        const loadOf = (scenario: Scenario) => ({
          url: scenario.url,
          path: scenario.path ?? '/v1/chat/completions',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${scenario.apiKey ?? MASTER_KEY}` },
          body: (scenario.body ?? body)(stream, scenario.model),
          concurrency,
          stream,
        });
        for (const scenario of scenarios) {
          if (scenario.name === LIMITED || scenario.name === RESPONSES) continue;
          await quiet(servers);
          await runLoad({ ...loadOf(scenario), durationMs: Math.min(1500, DURATION_MS / 2) }); // warm-up: JIT, pools
          results.set(scenario.name, await measuredLoad(scenario, { ...loadOf(scenario), durationMs: DURATION_MS }));
        }
        // The limited key's row (and the CPU that limits cost), and the Responses API's row: each
        // as two loads on one gantry against the master key's chat completions, in alternating
        // slices (A B B A A B …), so both see the same database size, backlog and machine state.
        const byName = (name: string) => scenarios.find((scenario) => scenario.name === name)!;
        const alternate = async (other: string) => {
          const pair = [byName('gantry'), byName(other)];
          const slices = new Map<string, LoadResult[]>(pair.map((scenario) => [scenario.name, []]));
          await quiet(servers);
          for (const scenario of pair) await runLoad({ ...loadOf(scenario), durationMs: Math.min(1500, DURATION_MS / 2) });
          for (let slice = 0; slice < LIMIT_SLICES; slice++) {
            for (const scenario of slice % 2 === 0 ? pair : [...pair].reverse()) slices.get(scenario.name)!.push(await measuredLoad(scenario, { ...loadOf(scenario), durationMs: DURATION_MS / LIMIT_SLICES }));
          }
          return { pair, results: new Map([...slices].map(([name, loads]) => [name, mergeLoads(loads)])) };
        };
        const { pair, results: pairResults } = await alternate(LIMITED);
        results.set(LIMITED, pairResults.get(LIMITED)!);
        const responsesPair = (await alternate(RESPONSES)).results;
        results.set(RESPONSES, responsesPair.get(RESPONSES)!);
        const direct = results.get('direct')!;
        const chat = responsesPair.get('gantry')!;
        const responses = responsesPair.get(RESPONSES)!;
        const addedP50 = (result: LoadResult) => percentile(result.latencies, 50) - percentile(direct.latencies, 50);
        responsesCosts.push(
          `${stream ? 'stream' : 'non-stream'} c=${concurrency}: added p50 ${addedP50(responses).toFixed(3)} vs ${addedP50(chat).toFixed(3)} ms, CPU ${micros(cpuPerCall(responses))} vs ${micros(cpuPerCall(chat))} µs/call (${((100 * cpuPerCall(responses)) / cpuPerCall(chat) - 100).toFixed(0)}%)`,
        );
        for (const scenario of scenarios.slice(1)) {
          const result = results.get(scenario.name)!;
          const added = (p: number) => (percentile(result.latencies, p) - percentile(direct.latencies, p)).toFixed(3);
          rows.push(
            `| ${stream ? 'stream (TTFB)' : 'non-stream'} | ${concurrency} | ${scenario.name} | ${added(50)} | ${added(90)} | ${added(99)} | ${result.requestsPerSecond.toFixed(0)} | ${(
              (100 * result.requestsPerSecond) / results.get('floor')!.requestsPerSecond
            ).toFixed(0)}% | ${micros(cpuPerCall(result))} | ${result.errors} |`,
          );
        }
        // Latency: one load in which every connection takes the master and the limited key in
        // turn, so both keys share the queue, the database and the machine at every moment and
        // differ only by what checking and drawing on limits adds to a call. (Separate loads, even
        // alternating ones, differ by machine drift that at c=64 is larger than the effect, and a
        // saturated closed loop passes CPU on as queueing to every request alike: that throughput
        // cost is the CPU column.) In slices, for the range; the estimate is their median.
        await quiet(servers);
        const keys = pair.map((scenario) => loadOf(scenario).headers);
        const differences: number[] = [];
        for (let slice = 0; slice < LIMIT_SLICES; slice++) {
          const load = await runLoad({ ...loadOf(pair[0]!), headers: keys, durationMs: DURATION_MS / LIMIT_SLICES });
          differences.push(percentile(load.latenciesByHeaders[1]!, 50) - percentile(load.latenciesByHeaders[0]!, 50));
        }
        const cpuCost = cpuPerCall(pairResults.get(LIMITED)!) - cpuPerCall(pairResults.get('gantry')!);
        limitCosts.push(
          `${stream ? 'stream' : 'non-stream'} c=${concurrency}: ${median(differences).toFixed(3)} ms (slices ${Math.min(...differences).toFixed(3)} to ${Math.max(...differences).toFixed(3)}; CPU ${cpuCost >= 0 ? '+' : ''}${micros(cpuCost)} µs/call)`,
        );
        rows.push(
          `| ${stream ? 'stream (TTFB)' : 'non-stream'} | ${concurrency} | direct | p50 ${percentile(direct.latencies, 50).toFixed(3)} | p90 ${percentile(direct.latencies, 90).toFixed(3)} | p99 ${percentile(direct.latencies, 99).toFixed(3)} | ${direct.requestsPerSecond.toFixed(0)} | | mock ${micros(cpuPerCall(direct))} | ${direct.errors} |`,
        );
      }
    }
    console.log('| mode | concurrency | via | added p50 ms | added p90 ms | added p99 ms | req/s | of floor | CPU µs/call | errors |');
    console.log('|---|---|---|---|---|---|---|---|---|---|');
    for (const row of rows) console.log(row);
    console.log(
      `\nCost of budgets and rate limits per call at p50 (the limited key minus the master key on the same gantry, taken in turn on every connection of one load: median of ${LIMIT_SLICES} slices; CPU from the alternating loads): ${limitCosts.join(', ')}`,
    );
    console.log(`\nThe Responses API against chat completions on the same gantry, in alternating slices (each response stored before it is answered): ${responsesCosts.join(', ')}`);
    console.log(`\nPeak RSS: gantry ${gantry.peakRssMiB().toFixed(0)} MiB, floor ${proxy.peakRssMiB().toFixed(0)} MiB, mock ${mock.peakRssMiB().toFixed(0)} MiB`);
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}

// `pnpm bench` runs the latency table, the cache's hit path, the guardrails' cost, the outage
// drill, the replay bench and the thousand slow streams; `-- --latency` (the table above),
// `-- --cache`, `-- --guardrails`, `-- --outage`, `-- --replay` and `-- --streams` run only the one.
// `-- --soak` (ten minutes) runs only when asked for.
const only = (['latency', 'cache', 'guardrails', 'outage', 'replay', 'streams', 'soak'] as const).find((name) => process.argv.includes(`--${name}`));
if (only === undefined || only === 'latency') await main();
if (only === undefined || only === 'cache') await runCacheBench();
if (only === undefined || only === 'guardrails') await runGuardrailsBench();
if (only === undefined || only === 'outage') await runOutageDrill();
if (only === undefined || only === 'replay') await runReplayBench();
if (only === undefined || only === 'streams') await runSlowStreamsBench();
if (only === 'soak') await runSoakBench();
