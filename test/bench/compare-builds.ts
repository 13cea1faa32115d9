/**
 * `node --import tsx test/bench/compare-builds.ts <other checkout>`: this checkout's Gantry against
 * another one (a worktree of an earlier commit, say), both served at once against one mock, with
 * loads alternating between them in short slices, so both see the same machine at every moment.
 * Separate `pnpm bench` runs of one build vary by more than most changes cost; this does not.
 * Prints CPU per call (from /proc) and p50 per cell. SLICES (default 6), SLICE_MS (default 1500).
 */
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, percentile, runLoad } from './load.ts';
import { answers, quiet, spawnServer, workDir, type Server } from './spawn-server.ts';
import { builtGateway } from '../support/built-gateway.ts';

const here = fileURLToPath(new URL('../../', import.meta.url));
const other = process.argv[2];
if (other === undefined) {
  console.error('usage: node --import tsx test/bench/compare-builds.ts <path of the other checkout, with its dependencies installed>');
  process.exit(2);
}
const MOCK_PORT = 4710;
const KEY = 'gk-master-compare';
const builds = [
  { name: 'other', root: resolve(other), port: 4720 },
  { name: 'this', root: here, port: 4730 },
];
const SLICE_MS = Number(process.env.SLICE_MS ?? 1500);
const SLICES = Number(process.env.SLICES ?? 6);
const body = (stream: boolean) => JSON.stringify({ model: 'mock/bench-model', messages: [{ role: 'user', content: 'Say hello in five words.' }], max_tokens: 32, ...(stream ? { stream: true } : {}) });
const headers = { 'content-type': 'application/json', authorization: `Bearer ${KEY}` };

const servers: Server[] = [];
try {
  servers.push(await spawnServer(join(here, 'test/mock-provider/main.ts'), { cwd: here, env: { MOCK_PORT: String(MOCK_PORT) }, ready: () => answers(`http://127.0.0.1:${MOCK_PORT}/v1/models`) }));
  const gantries: Server[] = [];
  for (const build of builds) {
    const work = workDir('gantry-compare-');
    writeFileSync(join(work, 'gantry.yaml'), `providers:\n  mock: { type: openai-compatible, base_url: http://127.0.0.1:${MOCK_PORT}/v1 }\npricing:\n  mock/bench-model: { input: 0.15, output: 0.6 }\n`);
    const env = { GANTRY_PORT: String(build.port), GANTRY_MASTER_KEY: KEY, GANTRY_LOG_LEVEL: 'warn' };
    const server = await spawnServer(builtGateway(build.root), { cwd: work, env, ready: () => answers(`http://127.0.0.1:${build.port}/readyz`) });
    servers.push(server);
    gantries.push(server);
  }
  // Warm: V8 needs seconds of traffic to optimize a path as long as Gantry's.
  for (const build of builds) {
    for (const stream of [false, true]) await runLoad({ url: `http://127.0.0.1:${build.port}`, path: '/v1/chat/completions', headers, body: body(stream), concurrency: 16, stream, durationMs: 4000 });
  }
  console.log(`other = ${builds[0]!.root}, this = ${builds[1]!.root}; ${SLICES} slices of ${SLICE_MS} ms per build and cell`);
  for (const stream of [false, true]) {
    for (const concurrency of [1, 16, 64]) {
      const cpu: number[][] = [[], []];
      const p50: number[][] = [[], []];
      for (let slice = 0; slice < SLICES; slice++) {
        for (const index of slice % 2 === 0 ? [0, 1] : [1, 0]) {
          await quiet(servers);
          const before = gantries[index]!.cpuMs();
          const result = await runLoad({ url: `http://127.0.0.1:${builds[index]!.port}`, path: '/v1/chat/completions', headers, body: body(stream), concurrency, stream, durationMs: SLICE_MS });
          // The batched writes of the slice's calls are part of their cost.
          await new Promise((resolve) => setTimeout(resolve, 300));
          cpu[index]!.push(((gantries[index]!.cpuMs() - before) * 1000) / (result.latencies.length + result.errors));
          p50[index]!.push(percentile(result.latencies, 50));
        }
      }
      const cells = builds.map((build, index) => `${build.name}: CPU ${median(cpu[index]!).toFixed(0)} µs/call (${Math.min(...cpu[index]!).toFixed(0)}–${Math.max(...cpu[index]!).toFixed(0)}), p50 ${median(p50[index]!).toFixed(3)} ms`);
      console.log(`${stream ? 'stream' : 'non-stream'} c=${concurrency}: ${cells.join(' | ')}`);
    }
  }
} finally {
  for (const server of servers) await server.stop();
}
