/**
 * `pnpm start`: builds the gateway (scripts/build.mjs, about a second) and runs the build in this
 * process, so that signals reach the server itself and no TypeScript loader runs beside it.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { stop } from 'esbuild';
import { buildGateway, outdir } from './build.mjs';

await buildGateway();
// esbuild's service process is not needed past the build (the console starts its own when it builds).
await stop();
await import(pathToFileURL(join(outdir, 'main.mjs')).href);
