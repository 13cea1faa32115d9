import { deleteExpiredPseudonyms, type Database } from '@gantry/db';
import { GuardrailMiddleware, PseudonymStore, ValueSealer } from '@gantry/guardrails';
import { guardrailPolicyFor } from './config/guardrails-config.ts';
import type { GatewayConfig } from './config/load-config.ts';

const SWEEP_EVERY_MS = 10 * 60_000;

/** The guardrails middleware and its pseudonym sweeper, when the config has a `guardrails` section. */
export function createGuardrails(config: GatewayConfig, database: Database, onError: (error: unknown) => void): { middleware: GuardrailMiddleware; close(): void } | undefined {
  const settings = config.guardrails;
  if (settings === undefined) return undefined;
  const { store, key, ttlMs } = settings.pseudonyms;
  const shared = store === 'database' ? database.db : undefined;
  const middleware = new GuardrailMiddleware({
    policyFor: (context, request) => guardrailPolicyFor(settings, { apiKeyId: context.apiKeyId, teamId: context.teamId, model: request.model }),
    store: new PseudonymStore({ sealer: new ValueSealer(key), db: shared, ttlMs, onError }),
  });
  if (shared === undefined) return { middleware, close: () => {} };
  // Every instance sweeps; deleting an expired row twice is harmless.
  const timer = setInterval(() => void deleteExpiredPseudonyms(shared, new Date()).catch(onError), SWEEP_EVERY_MS);
  timer.unref();
  return { middleware, close: () => clearInterval(timer) };
}
