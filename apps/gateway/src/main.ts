import { ConfigError } from './config/interpolate-env.ts';
import { loadConfig } from './config/load-config.ts';
import { DataDirInUseError } from '@gantry/db';
import { createGateway, type Gateway } from './create-gateway.ts';
import { resolveMasterKey } from './master-key.ts';
import { startBanner } from './start-banner.ts';

/** `pnpm start`: load config, open the database, serve until SIGTERM/SIGINT, then flush and exit. */
async function main(): Promise<void> {
  // performance.now() counts from process start: until here, Node started and loaded the code.
  const loadMs = Math.round(performance.now());
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

  let gateway: Gateway;
  try {
    gateway = await createGateway(config, {
      logger: { level: process.env.GANTRY_LOG_LEVEL ?? 'info' },
      onRecorderError: (error, context) =>
        gateway.app.log.warn({ err: error, ...context }, 'span write failed; spans stay buffered up to the limit, then are dropped'),
    });
  } catch (error) {
    // Another gateway has this data folder: say so plainly, not in a stack trace.
    if (error instanceof DataDirInUseError) {
      console.error(`gantry: ${error.message}`);
      process.exit(1);
    }
    // A setting only the start can check (Inngest configured but not installed).
    if (error instanceof ConfigError) {
      console.error(`gantry: ${error.message}`);
      process.exit(2);
    }
    throw error;
  }
  const address = await gateway.app.listen({ host: config.host, port: config.port });
  console.log(startBanner(config, address, master, { loadMs, ...gateway.startup, readyMs: Math.round(performance.now()) }));
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
