import { ConfigError } from './config/interpolate-env.ts';
import { loadConfig } from './config/load-config.ts';
import { createGateway } from './create-gateway.ts';
import { resolveMasterKey } from './master-key.ts';

/** `pnpm start`: load config, open the database, serve until SIGTERM/SIGINT, then flush and exit. */
async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`gantry: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const master = resolveMasterKey(config.masterKey, config.dataDir);
  config.masterKey = master.key;

  const gateway = await createGateway(config, {
    logger: { level: process.env.GANTRY_LOG_LEVEL ?? 'info' },
    onRecorderError: (error, context) =>
      gateway.app.log.warn({ err: error, ...context }, 'span write failed; spans stay buffered up to the limit, then are dropped'),
  });
  const address = await gateway.app.listen({ host: config.host, port: config.port });
  const database = config.databaseUrl === undefined ? `embedded PGlite in ${config.dataDir}` : 'Postgres (DATABASE_URL)';
  const providers = config.providers.map((provider) => `${provider.name} (${provider.type})`).join(', ') || 'none — add some in gantry.yaml';
  console.log(`Gantry listening on ${address}\n  config:    ${config.source}\n  database:  ${database}\n  providers: ${providers}`);
  if (master.created) {
    console.log(
      `\nGenerated a master key (stored in ${master.path}; shown once):\n\n  ${master.key}\n\nTry it:\n\n` +
        `  curl ${address}/v1/chat/completions \\\n    -H "Authorization: Bearer ${master.key}" \\\n    -H "Content-Type: application/json" \\\n` +
        `    -d '{"model": "openai/gpt-4o-mini", "messages": [{"role": "user", "content": "Hello"}]}'\n`,
    );
  }

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    gateway.app.log.info(`${signal}: flushing spans and shutting down`);
    await gateway.close();
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}

await main();
