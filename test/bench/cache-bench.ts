import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, percentile, runLoad } from './load.ts';
import { answers, quiet, spawnServer, workDir, type Server } from './spawn-server.ts';

/**
 * The exact cache's hit path (issue 21): at c=1, the latency a hit adds over calling the mock
 * directly, against what the bare pass-through floor adds and what a cached-off Gantry call adds,
 * in alternating slices so all three see the same machine. The target: a hit adds at most the
 * floor's added p50 + 0.3 ms.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const MOCK_PORT = 4910;
const PROXY_PORT = 4920;
const GANTRY_PORT = 4930;
const MASTER_KEY = 'gk-master-cache-bench';
const SLICES = 8;
const SLICE_MS = Number(process.env.BENCH_DURATION_MS ?? 4000) / 2;

const body = (model: string) => JSON.stringify({ model, messages: [{ role: 'user', content: 'Say hello in five words.' }], max_tokens: 32 });

export async function runCacheBench(): Promise<void> {
  const servers: Server[] = [];
  try {
    servers.push(await spawnServer(join(root, 'test/mock-provider/main.ts'), { cwd: root, env: { MOCK_PORT: String(MOCK_PORT) }, ready: () => answers(`http://127.0.0.1:${MOCK_PORT}/v1/models`) }));
    servers.push(
      await spawnServer(join(root, 'test/bench/passthrough-proxy.ts'), {
        cwd: root,
        env: { PROXY_PORT: String(PROXY_PORT), UPSTREAM_URL: `http://127.0.0.1:${MOCK_PORT}` },
        ready: () => answers(`http://127.0.0.1:${PROXY_PORT}/v1/models`, { method: 'POST', body: '{}' }),
      }),
    );
    const work = workDir('gantry-cache-bench-');
    writeFileSync(
      join(work, 'gantry.yaml'),
      `providers:\n  mock: { type: openai-compatible, base_url: http://127.0.0.1:${MOCK_PORT}/v1 }\ncache:\n  mode: off\n  models:\n    mock/cached-model: { mode: exact }\n`,
    );
    const env: Record<string, string> = { GANTRY_PORT: String(GANTRY_PORT), GANTRY_MASTER_KEY: MASTER_KEY, GANTRY_LOG_LEVEL: 'warn' };
    if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL;
    servers.push(await spawnServer(join(root, 'apps/gateway/src/main.ts'), { cwd: work, env, ready: () => answers(`http://127.0.0.1:${GANTRY_PORT}/readyz`) }));

    const headers = { 'content-type': 'application/json', authorization: `Bearer ${MASTER_KEY}` };
    const cells = {
      direct: { url: `http://127.0.0.1:${MOCK_PORT}`, body: body('bench-model') },
      floor: { url: `http://127.0.0.1:${PROXY_PORT}`, body: body('bench-model') },
      'gantry, cache off': { url: `http://127.0.0.1:${GANTRY_PORT}`, body: body('mock/bench-model') },
      'gantry, exact hit': { url: `http://127.0.0.1:${GANTRY_PORT}`, body: body('mock/cached-model') },
    };
    const load = (cell: { url: string; body: string }, durationMs: number) => runLoad({ url: cell.url, path: '/v1/chat/completions', headers, body: cell.body, concurrency: 1, stream: false, durationMs });
    // Warm every path (and store the one entry the hit cell is served from).
    for (const cell of Object.values(cells)) await load(cell, 3000);
    await quiet(servers);
    const p50s = new Map<string, number[]>(Object.keys(cells).map((name) => [name, []]));
    for (let slice = 0; slice < SLICES; slice++) {
      const order = slice % 2 === 0 ? Object.entries(cells) : Object.entries(cells).reverse();
      for (const [name, cell] of order) p50s.get(name)!.push(percentile((await load(cell, SLICE_MS / SLICES)).latencies, 50));
    }
    const direct = median(p50s.get('direct')!);
    console.log(`\nExact cache hit at c=1 (non-stream; median of ${SLICES} alternating slices' p50), added over calling the mock directly (${direct.toFixed(3)} ms):`);
    for (const [name, values] of p50s) if (name !== 'direct') console.log(`  ${name.padEnd(20)} +${(median(values) - direct).toFixed(3)} ms`);
    const floor = median(p50s.get('floor')!) - direct;
    const hit = median(p50s.get('gantry, exact hit')!) - direct;
    console.log(`  hit vs floor: ${(hit - floor >= 0 ? '+' : '') + (hit - floor).toFixed(3)} ms (target ≤ +0.3 ms)`);
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}
