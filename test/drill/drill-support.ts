import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { answers, spawnServer, type Server } from '../bench/spawn-server.ts';
import { builtGateway } from '../support/built-gateway.ts';

/**
 * What the phases of `pnpm drill` share: the ports, the master key, starting Gantry on the drill's
 * work directory, and checking that calls a client saw succeed have their span.
 */

/** The repository root. */
export const root = fileURLToPath(new URL('../../', import.meta.url));
export const MOCK_PORT = 4910;
/**
 * The hostile tenant's provider in the hostile-tenant phase: a mock process of its own (the
 * provider `hostile-mock` in the drill's gantry.yaml), as a real tenant's provider is not another's.
 */
export const HOSTILE_MOCK_PORT = 4911;
export const GANTRY_PORT = 4930;
export const GANTRY_URL = `http://127.0.0.1:${GANTRY_PORT}`;
export const MASTER_KEY = 'gk-master-drill-0123456789';
/** The recorder's flush interval in the drill's gantry.yaml, in milliseconds. */
export const FLUSH_INTERVAL_MS = 200;

/** Every drill call costs the same: the mock's default answer to the same request, priced in gantry.yaml. */
export const DRILL_CALL_BODY = JSON.stringify({ model: 'mock/drill-model', messages: [{ role: 'user', content: 'Say hello in five words.' }], max_tokens: 32 });

/** A call a client saw succeed: the run and span the runs API must then have. */
export interface Success {
  /** A run id the master key finds: the client's own (master key calls) or Gantry's (x-gantry-run-id of the answer). */
  runId: string;
  spanId: string;
  /** When the client had the whole answer (epoch ms). */
  endedAt: number;
}

/** Starts the gateway on the drill's work directory (its gantry.yaml; PGlite in it unless `databaseUrl`). */
export async function startGantry(work: string, databaseUrl: string | undefined): Promise<Server> {
  const env: Record<string, string> = { GANTRY_PORT: String(GANTRY_PORT), GANTRY_MASTER_KEY: MASTER_KEY, GANTRY_LOG_LEVEL: 'error' };
  if (databaseUrl !== undefined) env.DATABASE_URL = databaseUrl;
  return spawnServer(builtGateway(root), { cwd: work, env, ready: () => answers(`${GANTRY_URL}/readyz`) });
}

/** The successes whose span the runs API does not have (asked with the master key, 32 at a time). */
export async function missingSpans(successes: readonly Success[]): Promise<Success[]> {
  const missing: Success[] = [];
  for (let start = 0; start < successes.length; start += 32) {
    const batch = successes.slice(start, start + 32);
    const found = await Promise.all(
      batch.map(async (success) => {
        const response = await fetch(`${GANTRY_URL}/v1/runs/${success.runId}/spans/${success.spanId}`, { headers: { authorization: `Bearer ${MASTER_KEY}` } });
        await response.arrayBuffer();
        return response.status === 200;
      }),
    );
    batch.forEach((success, index) => {
      if (!found[index]) missing.push(success);
    });
  }
  return missing;
}

/** Adds one to `key`'s count. */
export function countInto(counts: Map<string, number>, key: string): void {
  counts.set(key, (counts.get(key) ?? 0) + 1);
}

/** The counts of several maps added up, key by key. */
export function sumCounts(counts: readonly ReadonlyMap<string, number>[]): Map<string, number> {
  const sum = new Map<string, number>();
  for (const [key, count] of counts.flatMap((each) => [...each])) sum.set(key, (sum.get(key) ?? 0) + count);
  return sum;
}

/** `503 ×2, ECONNRESET ×1`, or `none`. */
export const failuresText = (failures: ReadonlyMap<string, number>): string => [...failures].map(([code, count]) => `${code} ×${count}`).join(', ') || 'none';
