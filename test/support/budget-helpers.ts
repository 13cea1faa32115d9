import type { Database } from '@gantry/db';
import { MASTER_KEY } from './start-stack.ts';

/** Calls the admin API with the master key and returns the parsed JSON (throws on non-2xx unless `expectStatus`). */
export async function adminCall<T = Record<string, unknown>>(url: string, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${MASTER_KEY}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as T };
}

/** A raw OpenAI-wire chat call, so status, headers and error body can be checked exactly. */
export function chatCall(url: string, apiKey: string, model: string, options: { headers?: Record<string, string>; body?: Record<string, unknown> } = {}): Promise<Response> {
  return fetch(`${url}/v1/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...options.headers },
    body: JSON.stringify({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 3, ...options.body }),
  });
}

/** An Anthropic-wire call to /v1/messages. */
export function messagesCall(url: string, apiKey: string, model: string, headers: Record<string, string> = {}): Promise<Response> {
  return fetch(`${url}/v1/messages`, {
    method: 'POST',
    headers: { 'x-api-key': apiKey, 'anthropic-version': '2023-06-01', 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ model, max_tokens: 3, messages: [{ role: 'user', content: 'hi' }] }),
  });
}

/** A SQL string literal (test-controlled ids only). */
function literal(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

export interface LedgerTotals {
  /** Sum of what entries reserved. */
  reserved: number;
  /** Reserved by entries now settled / released. */
  reservedOfSettled: number;
  reservedOfReleased: number;
  /** Entries still reserved. */
  open: number;
  /** Actual settled cost. */
  settled: number;
  /** Sum over settled entries of what they used beyond their own reservation. */
  overrun: number;
  settledCount: number;
}

/** The ledger of one key or one run tree, summed. */
export async function ledgerTotals(database: Database, where: { apiKeyId?: string; rootRunId?: string }): Promise<LedgerTotals> {
  const filter = where.apiKeyId !== undefined ? `api_key_id = ${literal(where.apiKeyId)}` : `root_run_id = ${literal(where.rootRunId!)}`;
  const result = await database.db.execute<Record<string, string>>(`
    select coalesce(sum(reserved_micros), 0)::text as reserved,
      coalesce(sum(reserved_micros) filter (where state = 'settled'), 0)::text as reserved_of_settled,
      coalesce(sum(reserved_micros) filter (where state = 'released'), 0)::text as reserved_of_released,
      count(*) filter (where state = 'reserved')::text as open,
      coalesce(sum(settled_micros), 0)::text as settled,
      coalesce(sum(greatest(settled_micros - reserved_micros, 0)) filter (where state = 'settled'), 0)::text as overrun,
      count(*) filter (where state = 'settled')::text as settled_count
    from ledger_entries where ${filter}`);
  const row = result.rows[0]!;
  return {
    reserved: Number(row.reserved),
    reservedOfSettled: Number(row.reserved_of_settled),
    reservedOfReleased: Number(row.reserved_of_released),
    open: Number(row.open),
    settled: Number(row.settled),
    overrun: Number(row.overrun),
    settledCount: Number(row.settled_count),
  };
}

/**
 * Polls until the ledger of a key / run tree is complete: no entry still reserved (settlement is
 * asynchronous), and no instance still holds a lease on `scope` (calls drawn on a lease reach the
 * ledger when their instance syncs, and the lease is given back once idle: decision 0006).
 */
export async function settledLedger(database: Database, where: { apiKeyId?: string; rootRunId?: string; scope?: string }, timeoutMs = 15_000): Promise<LedgerTotals> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Leases first: a sync writes its calls' entries in the transaction that gives the lease back,
    // so once no lease is left every entry is visible. (Read the other way round, a sync committing
    // between the two reads showed no lease and not yet its entries.)
    const leases = where.scope === undefined ? 0 : await leasesOn(database, where.scope);
    const totals = await ledgerTotals(database, where);
    if ((totals.open === 0 && leases === 0) || Date.now() > deadline) return totals;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** How many instances hold a lease on a counter scope. */
async function leasesOn(database: Database, scope: string): Promise<number> {
  const result = await database.db.execute<{ count: string }>(`select count(*)::text as count from budget_leases where scope = ${literal(scope)}`);
  return Number(result.rows[0]!.count);
}

/** The counter row of a scope (all windows summed). */
export async function counterTotals(database: Database, scope: string): Promise<{ spent: number; reserved: number }> {
  const result = await database.db.execute<{ spent: string; reserved: string }>(
    `select coalesce(sum(spent_micros), 0)::text as spent, coalesce(sum(reserved_micros), 0)::text as reserved from budget_counters where scope = ${literal(scope)}`,
  );
  return { spent: Number(result.rows[0]!.spent), reserved: Number(result.rows[0]!.reserved) };
}
