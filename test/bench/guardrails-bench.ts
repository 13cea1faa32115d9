import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, percentile, runLoad } from './load.ts';
import { answers, quiet, spawnServer, type Server } from './spawn-server.ts';

/**
 * The guardrails' cost (issue 22): at c=1, the p50 a 4 KB prompt takes through Gantry with the
 * default guardrails (every PII detector pseudonymizing, injection flagged) against the same
 * Gantry with them off, in alternating slices; once with ordinary text, once with personal values
 * to replace and restore. The target: at most +0.1 ms.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const MOCK_PORT = 4940;
const GANTRY_PORT = 4950;
const MASTER_KEY = 'gk-master-guardrails-bench';
const SLICES = 8;
const SLICE_MS = Number(process.env.BENCH_DURATION_MS ?? 4000) / 2;

const PARAGRAPH =
  'Our agent reviewed the quarterly report for the logistics team and found that shipping delays in the northern region were mostly caused by the late arrival of containers at the port. ' +
  'It suggests rescheduling the weekly pickups to Tuesday mornings, moving two trucks from the southern depot, and asking the warehouse to confirm stock levels before noon each day. ';
const ordinary = PARAGRAPH.repeat(Math.ceil(4096 / PARAGRAPH.length)).slice(0, 4096);
const withValues = `Contact Jane at jane.doe@acme-corp.com or +44 20 7946 0958; server 10.20.30.40. ${ordinary}`.slice(0, 4096);
/**
 * Every request's text differs (its number, spelled in letters so the ordinary text stays free of
 * digits, replaces its first characters; length unchanged): the guardrails remember texts they
 * scanned, and a bench that sent one text would measure that memo.
 */
const body = (model: string, text: string) => (sent: number) => {
  const tag = `${sent.toString(26).replace(/[0-9]/g, (digit) => 'qrstuvwxyz'[Number(digit)]!)} `;
  return JSON.stringify({ model, messages: [{ role: 'user', content: tag + text.slice(tag.length) }], max_tokens: 32 });
};

export async function runGuardrailsBench(): Promise<void> {
  const servers: Server[] = [];
  try {
    servers.push(await spawnServer(join(root, 'test/mock-provider/main.ts'), { cwd: root, env: { MOCK_PORT: String(MOCK_PORT) }, ready: () => answers(`http://127.0.0.1:${MOCK_PORT}/v1/models`) }));
    const work = mkdtempSync(join(tmpdir(), 'gantry-guardrails-bench-'));
    writeFileSync(
      join(work, 'gantry.yaml'),
      `providers:\n  mock: { type: openai-compatible, base_url: http://127.0.0.1:${MOCK_PORT}/v1 }\nguardrails:\n  models:\n    mock/guarded-model: { pii: {}, injection: {} }\n`,
    );
    const env: Record<string, string> = { GANTRY_PORT: String(GANTRY_PORT), GANTRY_MASTER_KEY: MASTER_KEY, GANTRY_LOG_LEVEL: 'warn' };
    if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL;
    servers.push(await spawnServer(join(root, 'apps/gateway/src/main.ts'), { cwd: work, env, ready: () => answers(`http://127.0.0.1:${GANTRY_PORT}/readyz`) }));

    const headers = { 'content-type': 'application/json', authorization: `Bearer ${MASTER_KEY}` };
    const url = `http://127.0.0.1:${GANTRY_PORT}`;
    const cells = {
      'ordinary, guardrails off': body('mock/bench-model', ordinary),
      'ordinary, guardrails on': body('mock/guarded-model', ordinary),
      'with PII, guardrails off': body('mock/bench-model', withValues),
      'with PII, guardrails on': body('mock/guarded-model', withValues),
    };
    const load = (cellBody: (sent: number) => string, durationMs: number) => runLoad({ url, path: '/v1/chat/completions', headers, body: cellBody, concurrency: 1, stream: false, durationMs });
    for (const cellBody of Object.values(cells)) await load(cellBody, 3000);
    await quiet(servers);
    const p50s = new Map<string, number[]>(Object.keys(cells).map((name) => [name, []]));
    for (let slice = 0; slice < SLICES; slice++) {
      const order = slice % 2 === 0 ? Object.entries(cells) : Object.entries(cells).reverse();
      for (const [name, cellBody] of order) p50s.get(name)!.push(percentile((await load(cellBody, SLICE_MS / SLICES)).latencies, 50));
    }
    const p50 = (name: keyof typeof cells) => median(p50s.get(name)!);
    console.log(`\nGuardrails at c=1 on a 4 KB prompt (non-stream; median of ${SLICES} alternating slices' p50):`);
    for (const name of Object.keys(cells) as (keyof typeof cells)[]) console.log(`  ${name.padEnd(26)} ${p50(name).toFixed(3)} ms`);
    for (const kind of ['ordinary', 'with PII'] as const) {
      const added = p50(`${kind}, guardrails on`) - p50(`${kind}, guardrails off`);
      console.log(`  added by guardrails, ${kind}: ${(added >= 0 ? '+' : '') + added.toFixed(3)} ms (target ≤ +0.1 ms)`);
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}
