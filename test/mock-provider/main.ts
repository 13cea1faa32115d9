/**
 * Standalone mock provider: `node --import tsx test/mock-provider/main.ts`.
 * Listens on 127.0.0.1:$MOCK_PORT (default 4010) until SIGINT or SIGTERM.
 */
import { startMockProvider } from './index.ts';

const port = Number(process.env.MOCK_PORT ?? 4010);
if (!Number.isInteger(port) || port < 0 || port > 65_535) {
  console.error(`MOCK_PORT must be a port number (0-65535), got "${process.env.MOCK_PORT}"`);
  process.exit(1);
}

// The request log (GET /_mock/requests) keeps the latest MOCK_MAX_REQUESTS (default 1000): a mock
// left running under a bench or a demo must not hold every request it was ever sent.
const maxRequests = Number(process.env.MOCK_MAX_REQUESTS ?? 1000);
if (!Number.isInteger(maxRequests) || maxRequests < 1) {
  console.error(`MOCK_MAX_REQUESTS must be a positive whole number, got "${process.env.MOCK_MAX_REQUESTS}"`);
  process.exit(1);
}

const provider = await startMockProvider({ port, maxRequests });
console.log(`mock provider listening on ${provider.url}`);

let stopping = false;
const stop = (signal: string): void => {
  if (stopping) return;
  stopping = true;
  console.log(`mock provider: ${signal}, closing`);
  provider.close().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error('mock provider: close failed', error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => stop('SIGINT'));
process.on('SIGTERM', () => stop('SIGTERM'));
