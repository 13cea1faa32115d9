/**
 * `pnpm demo`: a whole agent run through Gantry on one machine, no keys or servers needed. Starts
 * the mock provider and a gateway (embedded PGlite in a temporary folder, both on 127.0.0.1),
 * runs the scripted research agent (streaming, with nested sub-agents and parallel tool calls),
 * prints the run tree Gantry recorded and where to fetch it, then shuts down.
 * `--serve` keeps both servers up until Ctrl-C so the tree can be explored with curl.
 * Ports: GANTRY_PORT and MOCK_PORT (default 0: any free port).
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createGateway, loadConfig, renderRunTree, type Gateway, type RunNodeView } from '@gantry/gateway';
import { startMockProvider, type MockProvider } from '../mock-provider/index.ts';
import { runResearchAgent } from '../agents/research-agent.ts';
import { registerResearchScripts } from '../agents/research-agent-script.ts';
import { requestJson } from '../agents/run-tree.ts';

const serve = process.argv.includes('--serve');

function port(name: string): number {
  const value = Number(process.env[name] ?? '0');
  if (!Number.isInteger(value) || value < 0 || value > 65_535) throw new Error(`${name}: must be a port number 0-65535, got '${process.env[name]}'`);
  return value;
}

async function main(): Promise<void> {
  const dataDir = await mkdtemp(join(tmpdir(), 'gantry-demo-'));
  const masterKey = `gk-master-demo-${randomBytes(12).toString('base64url')}`;
  let mock: MockProvider | undefined;
  let gateway: Gateway | undefined;
  let closing: Promise<void> | undefined;
  const shutdown = () =>
    (closing ??= (async () => {
      await gateway?.close();
      await mock?.close();
      await rm(dataDir, { recursive: true, force: true });
    })());

  try {
    mock = await startMockProvider({ port: port('MOCK_PORT') });
    const tag = randomBytes(4).toString('hex');
    const script = registerResearchScripts(mock, tag);
    const config = loadConfig({
      file: {
        providers: { local: { type: 'openai-compatible', base_url: `${mock.url}/v1` } },
        pricing: script.pricing,
      },
      // Only what the demo sets: an outside DATABASE_URL or config file must not redirect it.
      env: { GANTRY_MASTER_KEY: masterKey, GANTRY_PORT: String(port('GANTRY_PORT')), GANTRY_DATA_DIR: dataDir, GANTRY_HOST: '127.0.0.1' },
    });
    gateway = await createGateway(config);
    await gateway.app.listen({ host: '127.0.0.1', port: config.port });
    const url = `http://127.0.0.1:${(gateway.app.server.address() as AddressInfo).port}`;
    console.log(`mock provider  ${mock.url}\ngantry         ${url}  (embedded PGlite in ${dataDir})\n`);

    const runId = `research-demo-${tag}`;
    const truth = await runResearchAgent({ baseURL: `${url}/v1`, apiKey: masterKey, runId, stream: true, model: script.model });
    console.log(`The agent made ${truth.llmCalls.length} LLM calls and ${truth.toolCalls.length} tool calls in ${truth.runs.length} runs.`);
    console.log(`Final answer: ${truth.finalAnswer}\n`);

    await gateway.services.recorder.flush();
    const tree = await requestJson<RunNodeView>(`${url}/v1/runs/${runId}`, masterKey);
    if (tree.status !== 200) throw new Error(`GET /v1/runs/${runId} answered ${tree.status}: ${JSON.stringify(tree.body)}`);
    console.log(`The run as Gantry recorded it (\`pnpm gantry runs show ${runId}\` prints the same):\n\n${renderRunTree(tree.body)}\n`);
    console.log(`In the terminal (while the servers run, with --serve):`);
    console.log(`  GANTRY_URL=${url} GANTRY_MASTER_KEY=${masterKey} pnpm gantry runs show ${runId}`);
    console.log(`As JSON:\n  curl -s -H "Authorization: Bearer ${masterKey}" ${url}/v1/runs/${runId}`);
    console.log(`In a browser (with --serve): ${url}/console/runs/${runId} — sign in with the master key ${masterKey}`);

    if (!serve) {
      console.log('\n(The servers stop now; run `pnpm demo --serve` to keep them up and explore.)');
      await shutdown();
      return;
    }
    console.log('\nServing until Ctrl-C.');
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    console.log('\nShutting down.');
    await shutdown();
  } catch (error) {
    await shutdown().catch(() => {});
    throw error;
  }
}

main().catch((error: unknown) => {
  console.error(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 1;
});
