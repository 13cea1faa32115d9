import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { median, percentile, runLoad } from './load.ts';
import { answers, quiet, spawnServer, workDir, type Server } from './spawn-server.ts';
import { builtGateway } from '../support/built-gateway.ts';

/**
 * The guardrails' cost (issue 22): at c=1, the p50 a 4 KB prompt takes through Gantry with the
 * default guardrails (every PII detector pseudonymizing, injection flagged) against the same
 * Gantry with them off, the two alternating request by request; once with ordinary text, once
 * with personal values to replace and restore. The target: at most +0.1 ms.
 */
const root = fileURLToPath(new URL('../../', import.meta.url));
const MOCK_PORT = 4940;
const GANTRY_PORT = 4950;
const MASTER_KEY = 'gk-master-guardrails-bench';
const SLICES = 8;
/** Each slice's load: every request alternates off and on, so a slice holds both. */
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
    const work = workDir('gantry-guardrails-bench-');
    writeFileSync(
      join(work, 'gantry.yaml'),
      `providers:\n  mock: { type: openai-compatible, base_url: http://127.0.0.1:${MOCK_PORT}/v1 }\nguardrails:\n  models:\n    mock/guarded-model: { pii: {}, injection: {} }\n`,
    );
    const env: Record<string, string> = { GANTRY_PORT: String(GANTRY_PORT), GANTRY_MASTER_KEY: MASTER_KEY, GANTRY_LOG_LEVEL: 'warn' };
    if (process.env.DATABASE_URL) env.DATABASE_URL = process.env.DATABASE_URL;
    servers.push(await spawnServer(builtGateway(root), { cwd: work, env, ready: () => answers(`http://127.0.0.1:${GANTRY_PORT}/readyz`) }));

    const headers = { 'content-type': 'application/json', authorization: `Bearer ${MASTER_KEY}` };
    const url = `http://127.0.0.1:${GANTRY_PORT}`;
    const texts = { ordinary, 'with PII': withValues };
    // One load per text in which requests alternate guardrails off (set 0) and on (set 1): both see
    // the same machine at every moment, and differ only by what the guardrails add.
    const load = (text: string, durationMs: number) =>
      runLoad({ url, path: '/v1/chat/completions', headers: [headers, headers], body: (request, set) => body(set === 0 ? 'mock/bench-model' : 'mock/guarded-model', text)(request), concurrency: 1, stream: false, durationMs });
    for (const text of Object.values(texts)) await load(text, 3000);
    await quiet(servers);
    console.log(`\nGuardrails at c=1 on a 4 KB prompt (non-stream; requests alternate off and on within each load; median of ${SLICES} slices):`);
    for (const [kind, text] of Object.entries(texts)) {
      const p50s = { off: [] as number[], on: [] as number[], added: [] as number[] };
      for (let slice = 0; slice < SLICES; slice++) {
        const { latenciesByHeaders } = await load(text, SLICE_MS);
        const [off, on] = [percentile(latenciesByHeaders[0]!, 50), percentile(latenciesByHeaders[1]!, 50)];
        p50s.off.push(off);
        p50s.on.push(on);
        p50s.added.push(on - off);
      }
      const added = median(p50s.added);
      console.log(
        `  ${kind.padEnd(9)} off ${median(p50s.off).toFixed(3)} ms, on ${median(p50s.on).toFixed(3)} ms: added ${(added >= 0 ? '+' : '') + added.toFixed(3)} ms (slices ${Math.min(...p50s.added).toFixed(3)} to ${Math.max(...p50s.added).toFixed(3)}; target ≤ +0.1 ms)`,
      );
    }
  } finally {
    await Promise.all(servers.map((server) => server.stop()));
  }
}
