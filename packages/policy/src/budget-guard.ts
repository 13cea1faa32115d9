import { pauseRunTree, reserveInLedger, type GantryDb, type LedgerCheck, type LedgerReservation, type ledgerEntries, type RunLimits } from '@gantry/db';
import { BudgetExceededError, InvalidRequestError, PermissionDeniedError, UnavailableError } from '@gantry/spec';
import { minuteStart, windowKey } from './budget-periods.ts';
import { limitError, usd, type ScopeOwner } from './limit-errors.ts';
import { PolicyStore } from './policy-store.ts';
import { BudgetLeases, type BudgetLeasesOptions } from './budget-leases.ts';
import { SettledEntryWriter } from './settled-entry-writer.ts';
import { SettlementQueue, type SettlementQueueOptions, type SettlementQueueStats } from './settlement-queue.ts';

/** Who makes a call, and in which run. */
export interface CallIdentity {
  keyId: string | null;
  teamId: string | null;
  /** The customer's external id (OpenAI `user` or `x-gantry-customer-id`). */
  customer: string | undefined;
  /**
   * `starts`: a named run this call starts (the Responses API's first turn): nothing is charged to
   * it yet, so its run limits are checked in memory like a one-call run's, and its counter is
   * written by the caller with what the call settled at (`Reservation.startedRun`).
   */
  run: { id: string; rootRunId: string; depth: number; implicit: boolean; starts?: boolean; name: string | undefined };
  /** The model the client asked for. */
  model: string;
  /** The agent's own lowering of its run's limits (headers). */
  lowerRun?: { maxCostMicros?: number; maxCalls?: number };
}

/** A call's worst case, reserved before it runs. */
export interface CallEstimate {
  costMicros: number;
  tokens: number;
}

/** A call's hold on the ledger: settle it with the actual cost, or release it. Each only once. */
export interface Reservation {
  /** Whether the call went through the ledger (some limit applied). */
  readonly reserved: boolean;
  /**
   * `savedMicros`: set only for a call answered without a provider (a cache hit), what a provider
   * would have cost; the ledger entry keeps it (`saved_micros`) for spend reports. Limits count
   * `costMicros` alone (what the hit is charged).
   */
  settle(costMicros: number, tokens: number, savedMicros?: number): void;
  release(): void;
  /**
   * Set when the call starts its run and was checked against the run's limits in memory: the
   * run's counter does not exist yet. The caller writes it (`@gantry/db`'s `StartedRunCounter`)
   * with these limits and what the call settled at, before anything else can build on the run.
   */
  readonly startedRun?: { rootRunId: string; limits: RunLimits; startedAt: Date };
}

export interface BudgetGuardOptions {
  /**
   * The database for writes no call waits on (settled entries, settlements): on PGlite a call's
   * own statements go before them (`Database.backgroundDb`). Defaults to the guard's database.
   */
  backgroundDb?: GantryDb;
  /** The clock (tests inject one to cross period boundaries). */
  now?: () => Date;
  /** Reservations older than this stop counting as in flight (instances that crashed mid-call). */
  parallelTimeoutMs?: number;
  onError?: (error: unknown) => void;
  /** Budget and rate-limit headroom held per instance (decision 0006); `false`: one round trip per call. */
  leases?: BudgetLeasesOptions | false;
  /** How per-call settlements are retried while the database is away (bound, backoff). */
  settlements?: Omit<SettlementQueueOptions, 'onError'>;
}

const EPOCH = new Date(0).toISOString();

/** The limits a call is checked against, and who set each (for the refusal's message). Never mutated once built. */
interface CallPlan {
  /** The policy and minute it was built for (one-call runs' plans are reused while both hold); none for named runs. */
  snapshot: PolicyStore['current'] | undefined;
  minute: number;
  checks: LedgerCheck[];
  owners: ReadonlyMap<string, ScopeOwner>;
  /** A one-call run's limits (the key's and team's run defaults); undefined for named runs and when there are none. */
  oneCall: OneCallRunLimits | undefined;
  /** Whether every check may draw on leases (no run or parallel limit, which reserve per call). */
  leased: boolean;
  /** Whether the next minute's windows were taken ahead (see {@link TAKE_AHEAD_MS}). */
  nextTaken?: boolean;
}

/**
 * How long before a minute ends its calls take the next minute's windows ahead (rate limits; a
 * budget period too when one ends with it). Without it every call at the boundary waits for the
 * new windows' first lease, queued behind the instance's other ledger writes: at 64 calls in
 * flight on one instance that stalled a whole second of them by 7 to 20 ms at p50.
 */
const TAKE_AHEAD_MS = 2_000;

interface OneCallRunLimits {
  defaults: RunLimits;
  /** Where the defaults come from (the key's win per field), for the error's advice. */
  source: { owner: 'key' | 'team'; id: string } | undefined;
}

const NO_RUN_DEFAULTS: OneCallRunLimits = { defaults: {}, source: undefined };

/**
 * A request that names no run is a run of one call: its run limits can be checked against the call
 * alone, in memory. Throws the 402 (or the 400 of a header trying to raise a limit).
 */
function checkOneCallRun(identity: CallIdentity, { defaults, source }: OneCallRunLimits, worstCase: CallEstimate): void {
  const lower = identity.lowerRun;
  if (lower?.maxCostMicros !== undefined && defaults.maxCostMicros !== undefined && lower.maxCostMicros > defaults.maxCostMicros) {
    throw oneCallRaiseError('x-gantry-run-budget-usd', usd(defaults.maxCostMicros), source);
  }
  if (lower?.maxCalls !== undefined && defaults.maxCalls !== undefined && lower.maxCalls > defaults.maxCalls) {
    throw oneCallRaiseError('x-gantry-run-max-calls', String(defaults.maxCalls), source);
  }
  const maxCost = lower?.maxCostMicros ?? defaults.maxCostMicros;
  const maxCalls = lower?.maxCalls ?? defaults.maxCalls;
  if (maxCost !== undefined && worstCase.costMicros > maxCost) {
    throw oneCallLimitError(identity, source, `max cost: this call may cost up to ${usd(worstCase.costMicros)}, more than ${usd(maxCost)}; lower max_tokens, or`);
  }
  if (maxCalls !== undefined && maxCalls < 1) throw oneCallLimitError(identity, source, `max LLM calls is ${maxCalls}; to call at all,`);
  if (defaults.maxTokens !== undefined && worstCase.tokens > defaults.maxTokens) {
    throw oneCallLimitError(identity, source, `max tokens: this call may use up to ${worstCase.tokens} tokens, more than ${defaults.maxTokens}; lower max_tokens, or`);
  }
  if (defaults.maxDepth !== undefined && identity.run.depth > defaults.maxDepth) {
    throw oneCallLimitError(identity, source, `max sub-agent depth: ${identity.run.depth} is deeper than ${defaults.maxDepth};`);
  }
}

function oneCallLimitError(identity: CallIdentity, source: OneCallRunLimits['source'], what: string): BudgetExceededError {
  const where = source === undefined ? 'its headers' : `${source.owner} '${source.id}'`;
  const raise = source === undefined ? 'send higher limits (or none)' : `raise the ${source.owner}'s run defaults with PATCH /admin/${source.owner === 'key' ? 'keys' : 'teams'}/${source.id} {"limits": {"run": {…}}}`;
  const which = identity.run.implicit ? 'a call naming no run is a run of its own' : 'the first call of the run';
  return new BudgetExceededError(`budget exceeded for run ${identity.run.id} (${which}, limited by ${where}): ${what} ${raise}`, { kind: 'run', id: identity.run.id });
}

function oneCallRaiseError(header: string, limit: string, source: OneCallRunLimits['source']): InvalidRequestError {
  const from = source === undefined ? '' : ` (the run defaults of ${source.owner} '${source.id}')`;
  return new InvalidRequestError(`header ${header}: this call's run is limited to ${limit}${from}; this header can only lower a run's limits, never raise them`, { param: header });
}

/** A call's ledger entry as written (settled when no limit applied; a leased call's is finished by its draw). */
type LedgerEntry = typeof ledgerEntries.$inferInsert;

/** The entry a call leaves, built once per call in one shape: spreading it cost more than the rest of a draw. */
function entryOf(identity: CallIdentity, spanId: string, at: Date): LedgerEntry {
  return {
    id: spanId,
    state: 'settled',
    apiKeyId: identity.keyId,
    teamId: identity.teamId,
    customerId: identity.customer ?? null,
    runId: identity.run.id,
    rootRunId: identity.run.rootRunId,
    runName: identity.run.name ?? null,
    model: identity.model,
    reservedMicros: 0,
    reservedTokens: 0,
    settledMicros: 0,
    settledTokens: 0,
    createdAt: at,
    settledAt: null,
    savedMicros: null,
  };
}

/**
 * Whether a call that starts its run is checked in memory: only when it does not lower the run's
 * limits by header — lowered limits must be stored on the counter for the run's later calls, which
 * the call's own reservation does.
 */
function startsInMemory(identity: CallIdentity): boolean {
  return identity.run.starts === true && !identity.run.implicit && identity.lowerRun === undefined;
}

/** Whether a call's run limits are checked in memory, not through its run's counter. */
function inMemoryRun(identity: CallIdentity): boolean {
  return identity.run.implicit || startsInMemory(identity);
}

function mergeRunLimits(team: RunLimits | undefined, key: RunLimits | undefined): RunLimits {
  return { ...team, ...key };
}

/**
 * The budget and rate-limit gate of every call: decides in memory which limits apply, reserves the
 * call's worst case against all of them in one round trip, and settles or releases afterwards
 * without making the client wait. Calls to which no limit applies never touch the ledger before
 * they run; their settled entries are written in batches afterwards.
 */
export class BudgetGuard {
  private readonly now: () => Date;
  private readonly settlements: SettlementQueue;
  private readonly writer: SettledEntryWriter;
  private readonly onError: (error: unknown) => void;
  private readonly leases: BudgetLeases | undefined;
  /** Plans of one-call runs by caller (key, team, customer). */
  private readonly plans = new Map<string, CallPlan>();

  constructor(
    private readonly db: GantryDb,
    private readonly store: PolicyStore,
    private readonly options: BudgetGuardOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.onError = options.onError ?? (() => {});
    this.writer = new SettledEntryWriter(options.backgroundDb ?? db, this.onError);
    this.settlements = new SettlementQueue(options.backgroundDb ?? db, { ...options.settlements, onError: this.onError });
    this.leases = options.leases === false ? undefined : new BudgetLeases(db, this.now, { onError: this.onError, ...options.leases });
  }

  /** The clock limits are measured by. */
  clock(): Date {
    return this.now();
  }

  /** Refuses a model the key may not call (403 naming the allowed ones). */
  checkModel(keyId: string | null, model: string): void {
    if (keyId === null) return;
    const allowed = this.store.current.keys.get(keyId)?.allowedModels;
    if (allowed !== null && allowed !== undefined && !allowed.includes(model)) {
      throw new PermissionDeniedError(`key '${keyId}' may not call model '${model}'; allowed: ${allowed.join(', ') || 'none'}; change it with PATCH /admin/keys/${keyId} {"allowed_models": […]}`);
    }
  }

  /**
   * Reserves a call's worst case against every limit that applies, or refuses it. `estimate` is a
   * function so that calls to which nothing applies do not even count their tokens.
   */
  async reserve(identity: CallIdentity, spanId: string, estimate: CallEstimate | (() => CallEstimate)): Promise<Reservation> {
    const at = this.now();
    const reservation = await this.reserveChecked(identity, spanId, estimate, at);
    if (!startsInMemory(identity)) return reservation;
    // What gantry_reserve would have stored on the run's counter at its first reservation.
    const limits = this.oneCallRunLimits(identity)?.defaults ?? {};
    return { reserved: reservation.reserved, settle: reservation.settle, release: reservation.release, startedRun: { rootRunId: identity.run.rootRunId, limits, startedAt: at } };
  }

  private async reserveChecked(identity: CallIdentity, spanId: string, estimate: CallEstimate | (() => CallEstimate), at: Date): Promise<Reservation> {
    // The common case (the master key, keys without limits) decided with a few map lookups.
    if (!this.anyLimitMayApply(identity)) return this.unreserved(entryOf(identity, spanId, at));
    const plan = this.planFor(identity, at);
    const { checks, owners, leased } = plan;
    // A one-call run's own headers may lower limits it has no default for.
    const oneCall = plan.oneCall ?? (identity.run.implicit && identity.lowerRun !== undefined ? NO_RUN_DEFAULTS : undefined);
    if (checks.length === 0 && oneCall === undefined) return this.unreserved(entryOf(identity, spanId, at));

    const keyLimits = identity.keyId === null ? undefined : this.store.current.keys.get(identity.keyId)?.limits;
    const worstCase = typeof estimate === 'function' ? estimate() : estimate;
    if (oneCall !== undefined) checkOneCallRun(identity, oneCall, worstCase);
    if (checks.length === 0) return this.unreserved(entryOf(identity, spanId, at));
    // Budgets and rate limits draw on this instance's leases; run and parallel limits need the
    // ledger's per-call rows (pause, in-flight count), so a call subject to one reserves per call.
    if (this.leases !== undefined && leased) {
      const opensInMs = minuteStart(at).getTime() + 60_000 - at.getTime();
      if (plan.nextTaken !== true && opensInMs <= TAKE_AHEAD_MS) {
        plan.nextTaken = true;
        const next = new Date(at.getTime() + opensInMs);
        this.leases.takeAhead(checks, this.checksFor(identity, next, new Map()), worstCase.costMicros, worstCase.tokens, opensInMs);
      }
      return this.drawOnLeases(this.leases, checks, owners, entryOf(identity, spanId, at), worstCase);
    }
    const reservation: LedgerReservation = {
      id: spanId,
      apiKeyId: identity.keyId,
      teamId: identity.teamId,
      customerId: identity.customer ?? null,
      runId: identity.run.id,
      rootRunId: identity.run.rootRunId,
      runName: identity.run.name ?? null,
      model: identity.model,
      at,
      amountMicros: worstCase.costMicros,
      tokens: worstCase.tokens,
      ...(keyLimits?.maxParallel === undefined ? {} : { maxParallel: keyLimits.maxParallel, parallelTimeoutMs: this.options.parallelTimeoutMs ?? 600_000 }),
    };
    let outcome;
    try {
      outcome = await reserveInLedger(this.db, reservation, checks);
    } catch (error) {
      throw new UnavailableError(`the budget ledger could not be reached, so this call was refused rather than run unmetered (fail closed); retry shortly`, { cause: error });
    }
    if (!outcome.ok) {
      const owner = owners.get(outcome.scope);
      if (owner?.kind === 'run' && outcome.reason !== 'raise') await pauseRunTree(this.db, identity.run.rootRunId).catch(this.onError);
      throw limitError(outcome, owner, at);
    }
    let done = false;
    const finish = (state: 'settled' | 'released', micros: number, tokens: number, savedMicros?: number) => {
      if (done) return;
      done = true;
      this.settlements.settle({ id: spanId, state, micros, tokens, at: this.now(), ...(savedMicros === undefined ? {} : { savedMicros }) });
    };
    return { reserved: true, settle: (micros, tokens, savedMicros) => finish('settled', micros, tokens, savedMicros), release: () => finish('released', 0, 0) };
  }

  private async drawOnLeases(leases: BudgetLeases, checks: readonly LedgerCheck[], owners: ReadonlyMap<string, ScopeOwner>, entry: LedgerEntry, worstCase: CallEstimate): Promise<Reservation> {
    // No counter holds a reservation of this call's own (its lease holds them all): the entry's
    // `scopes`, which lists those, stays empty. Parsing it cost the database more than the rest of the row.
    entry.reservedMicros = worstCase.costMicros;
    entry.reservedTokens = worstCase.tokens;
    let outcome;
    try {
      outcome = await leases.draw(checks, worstCase.costMicros, worstCase.tokens, entry);
    } catch (error) {
      throw new UnavailableError(`the budget ledger could not be reached, so this call was refused rather than run unmetered (fail closed); retry shortly`, { cause: error });
    }
    if (!('finish' in outcome)) throw limitError(outcome, owners.get(outcome.scope), entry.createdAt);
    return {
      reserved: true,
      settle: (micros, tokens, savedMicros) => {
        // The entry is written with the lease's next sync, as finish leaves it.
        if (savedMicros !== undefined) entry.savedMicros = savedMicros;
        outcome.finish('settled', micros, tokens, this.now());
      },
      release: () => outcome.finish('released', 0, 0, this.now()),
    };
  }

  private unreserved(entry: LedgerEntry): Reservation {
    let done = false;
    return {
      reserved: false,
      settle: (micros, tokens, savedMicros) => {
        if (done) return;
        done = true;
        entry.settledMicros = micros;
        entry.settledTokens = tokens;
        if (savedMicros !== undefined) entry.savedMicros = savedMicros;
        entry.settledAt = this.now();
        this.writer.add(entry);
      },
      release: () => {
        done = true;
      },
    };
  }

  private anyLimitMayApply(identity: CallIdentity): boolean {
    if (!inMemoryRun(identity) || identity.lowerRun !== undefined) return true;
    const snapshot = this.store.current;
    if (identity.keyId !== null && (PolicyStore.hasLimits(snapshot.keys.get(identity.keyId)?.limits) || this.store.budgetsOf('key', identity.keyId).length > 0)) return true;
    if (identity.teamId !== null && (PolicyStore.hasLimits(snapshot.teams.get(identity.teamId)?.limits) || this.store.budgetsOf('team', identity.teamId).length > 0)) return true;
    if (identity.customer === undefined) return false;
    return this.store.budgetsOf('customer', this.store.customerId(identity.teamId, identity.customer) ?? null).length > 0;
  }

  /** The run defaults of a caller's one-call runs (the key's and team's); undefined when none. Headers may lower them per call. */
  private oneCallRunLimits(identity: CallIdentity): OneCallRunLimits | undefined {
    const snapshot = this.store.current;
    const key = identity.keyId === null ? undefined : snapshot.keys.get(identity.keyId);
    const team = identity.teamId === null ? undefined : snapshot.teams.get(identity.teamId);
    const defaults = mergeRunLimits(team?.limits.run, key?.limits.run);
    if (Object.keys(defaults).length === 0) return undefined;
    const source = key?.limits.run !== undefined ? { owner: 'key' as const, id: identity.keyId! } : team?.limits.run !== undefined ? { owner: 'team' as const, id: identity.teamId! } : undefined;
    return { defaults, source };
  }

  /**
   * What a call is checked against. A call naming no run is checked like every other of its
   * caller's: its plan is built once, and again when the policy changes or a minute starts (every
   * window key, budget periods' included, can only change with the minute).
   */
  private planFor(identity: CallIdentity, at: Date): CallPlan {
    if (!inMemoryRun(identity)) return this.buildPlan(identity, at);
    const snapshot = this.store.current;
    const minute = Math.floor(at.getTime() / 60_000);
    const key = `${identity.keyId ?? ''}\n${identity.teamId ?? ''}\n${identity.customer ?? ''}`;
    const cached = this.plans.get(key);
    if (cached !== undefined && cached.snapshot === snapshot && cached.minute === minute) return cached;
    const plan = this.buildPlan(identity, at, snapshot, minute);
    if (this.plans.size >= 10_000) this.plans.clear();
    this.plans.set(key, plan);
    return plan;
  }

  private buildPlan(identity: CallIdentity, at: Date, snapshot?: CallPlan['snapshot'], minute = Number.NaN): CallPlan {
    const owners = new Map<string, ScopeOwner>();
    const checks = this.checksFor(identity, at, owners);
    return {
      snapshot,
      minute,
      checks,
      owners,
      oneCall: inMemoryRun(identity) ? this.oneCallRunLimits(identity) : undefined,
      leased: checks.every((check) => check.stored !== true && !check.scope.startsWith('parallel:')),
    };
  }

  private checksFor(identity: CallIdentity, at: Date, owners: Map<string, ScopeOwner>): LedgerCheck[] {
    const checks: LedgerCheck[] = [];
    const snapshot = this.store.current;
    const key = identity.keyId === null ? undefined : snapshot.keys.get(identity.keyId);
    const team = identity.teamId === null ? undefined : snapshot.teams.get(identity.teamId);
    const customerId = identity.customer === undefined ? undefined : this.store.customerId(identity.teamId, identity.customer);
    const budgetSets = [
      { list: this.store.budgetsOf('key', identity.keyId), name: key?.name ?? identity.keyId ?? '' },
      { list: this.store.budgetsOf('team', identity.teamId), name: team?.name ?? identity.teamId ?? '' },
      { list: this.store.budgetsOf('customer', customerId ?? null), name: identity.customer ?? '' },
    ];
    for (const { list, name } of budgetSets) {
      for (const budget of list) {
        const scope = `budget:${budget.id}`;
        owners.set(scope, { kind: 'budget', budget, ownerName: name });
        checks.push({ scope, window: windowKey(budget.period, at), limitMicros: budget.limitMicros });
      }
    }
    const minute = minuteStart(at);
    const rates = [
      { owner: 'key' as const, id: identity.keyId, limits: key?.limits },
      { owner: 'team' as const, id: identity.teamId, limits: team?.limits },
    ];
    for (const { owner, id, limits } of rates) {
      if (id === null || limits === undefined || (limits.rpm === undefined && limits.tpm === undefined)) continue;
      const scope = `rate:${owner}:${id}`;
      owners.set(scope, { kind: 'rate', owner, id, rpm: limits.rpm, tpm: limits.tpm, windowEnd: new Date(minute.getTime() + 60_000) });
      checks.push({ scope, window: windowKey('minute', at), ...(limits.rpm === undefined ? {} : { limitCalls: limits.rpm }), ...(limits.tpm === undefined ? {} : { limitTokens: limits.tpm }) });
    }
    if (identity.keyId !== null && key?.limits.maxParallel !== undefined) {
      const scope = `parallel:key:${identity.keyId}`;
      owners.set(scope, { kind: 'parallel', keyId: identity.keyId });
      checks.push({ scope, window: EPOCH });
    }
    const runDefaults = mergeRunLimits(team?.limits.run, key?.limits.run);
    // A named run may be given limits by an admin at any moment, on any instance: its calls always
    // go through its counter. A request that named no run is a one-call run, checked in memory
    // against the defaults (oneCallRunLimits): no counter row per call. So is the first call of a
    // run it starts: its counter is written afterwards, with what the call settled at.
    if (!inMemoryRun(identity)) {
      const scope = `run:${identity.run.rootRunId}`;
      owners.set(scope, { kind: 'run', runId: identity.run.id, rootRunId: identity.run.rootRunId });
      checks.push({
        scope,
        window: EPOCH,
        stored: true,
        depth: identity.run.depth,
        ...(runDefaults.maxCostMicros === undefined ? {} : { limitMicros: runDefaults.maxCostMicros }),
        ...(runDefaults.maxCalls === undefined ? {} : { limitCalls: runDefaults.maxCalls }),
        ...(runDefaults.maxTokens === undefined ? {} : { limitTokens: runDefaults.maxTokens }),
        ...(runDefaults.maxDepth === undefined ? {} : { limitDepth: runDefaults.maxDepth }),
        ...(runDefaults.maxWallMs === undefined ? {} : { limitWallMs: runDefaults.maxWallMs }),
        ...(identity.lowerRun?.maxCostMicros === undefined ? {} : { lowerMicros: identity.lowerRun.maxCostMicros }),
        ...(identity.lowerRun?.maxCalls === undefined ? {} : { lowerCalls: identity.lowerRun.maxCalls }),
      });
    }
    return checks;
  }

  /** What became of per-call settlements: written, waiting for the database, left to the sweeper. */
  settlementStats(): SettlementQueueStats {
    return this.settlements.getStats();
  }

  /**
   * Waits for every settlement and batched entry started so far (tests, shutdown). Settlements
   * waiting for the database are retried at once; if it is still away they stay queued.
   */
  async drain(): Promise<void> {
    await this.settlements.drain();
    await this.leases?.drain();
    await this.writer.flush();
  }

  /** Drains, then stops: settlements the database still cannot take are left to the reservation sweeper. */
  async close(): Promise<void> {
    await this.drain();
    await this.settlements.close();
    await this.leases?.close();
    await this.writer.close();
  }
}
