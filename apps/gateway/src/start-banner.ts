import { relative } from 'node:path';
import type { GatewayConfig } from './config/load-config.ts';

/** Where start-up time went, in milliseconds: from process start to the code loaded, then each step. */
export interface StartupTimes {
  loadMs: number;
  databaseMs: number;
  migrationsMs: number;
  policyMs: number;
  appMs: number;
  /** From process start until listening. */
  readyMs: number;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function describeStartup(times: StartupTimes): string {
  return `code ${seconds(times.loadMs)}, database ${seconds(times.databaseMs)}, migrations ${seconds(times.migrationsMs)}, policy ${seconds(times.policyMs)}, routes ${seconds(times.appMs)}`;
}

/** A curl for the first call, with the key shown (first start) or read from where it is kept. */
function exampleCall(address: string, key: string, model: string): string {
  return [
    `  curl ${address}/v1/chat/completions \\`,
    `    -H "Authorization: Bearer ${key}" \\`,
    '    -H "Content-Type: application/json" \\',
    `    -d '{"model": "${model}", "messages": [{"role": "user", "content": "Hello"}]}'`,
  ].join('\n');
}

/**
 * What `pnpm start` prints once serving: where, on what, with which providers; the master key on
 * first start; and a first call that works as printed — against the bundled mock provider when no
 * real one is configured, with how to add one.
 */
export function startBanner(config: GatewayConfig, address: string, master: { key: string; created: boolean; path?: string }, startup: StartupTimes): string {
  const database = config.databaseUrl === undefined ? `embedded PGlite in ${config.dataDir}` : 'Postgres (DATABASE_URL)';
  const providers = config.providers.map((provider) => `${provider.name} (${provider.type}, ${provider.baseUrl})`).join(', ') || 'none — add some in gantry.yaml';
  const lines = [
    `Gantry listening on ${address} (ready in ${seconds(startup.readyMs)}: ${describeStartup(startup)})`,
    `  config:    ${config.source}`,
    `  database:  ${database}`,
    `  providers: ${providers}`,
    `  runs:      pnpm gantry runs list, pnpm gantry runs show <id> (or GET ${address}/v1/runs)`,
    `  console:   ${address}/console (sign in with the master key or a virtual key)`,
  ];
  // The key itself only when it was just made; afterwards, where it is kept.
  const keyPath = master.path === undefined ? undefined : relative(process.cwd(), master.path) || master.path;
  const key = master.created ? master.key : keyPath === undefined ? '$GANTRY_MASTER_KEY' : `$(cat ${keyPath})`;
  if (master.created) lines.push('', `Generated a master key (stored in ${master.path}; shown once):`, '', `  ${master.key}`);
  if (config.bundledMockOnly) {
    lines.push(
      '',
      'No provider is configured, so calls go to the bundled mock provider. Start it in another terminal:',
      '',
      '  pnpm mock',
      '',
      'then make a first call (model mock/agent calls the tools you offer it, for trying an agent):',
      '',
      exampleCall(address, key, 'mock/gpt-4o-mini'),
      '',
      'To use a real provider, set OPENAI_API_KEY (or ANTHROPIC_API_KEY, GEMINI_API_KEY) and restart,',
      'or write a gantry.yaml (examples/gantry.yaml shows every setting).',
    );
  } else if (master.created) {
    const provider = config.providers[0];
    if (provider !== undefined) lines.push('', 'Try it:', '', exampleCall(address, key, `${provider.name}/${provider.type === 'anthropic' ? 'claude-haiku-4-5' : provider.type === 'gemini' ? 'gemini-2.5-flash' : 'gpt-4o-mini'}`));
  }
  return `${lines.join('\n')}\n`;
}
