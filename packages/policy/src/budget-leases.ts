import { randomUUID } from 'node:crypto';
import { leaseInLedger, ledgerEntryWrite, syncLeasesInLedger, type GantryDb, type LeaseSync, type LeaseWant, type LedgerCheck, type LedgerEntryWrite, type LedgerRefusal, type ledgerEntries } from '@gantry/db';
import { amountsFor, DIMENSIONS, leaseKey, limitFields, limitsOf, move, takenUnder, zero, type Amounts, type Lease } from './lease-state.ts';
import { LedgerEntryBuffer } from './ledger-entry-buffer.ts';
import { RefusedSyncRows } from './refused-sync-rows.ts';

type Entry = typeof ledgerEntries.$inferInsert;

/** A draw's failed round trip, in words a client may see: the driver's error, which quotes the statement, is only its cause. */
function unanswered(error: unknown): never {
  throw new Error('the database did not answer a budget lease request', { cause: error });
}

/** A call's draw on its leases: finish it exactly once. */
export interface LeaseDraw {
  finish(state: 'settled' | 'released', micros: number, tokens: number, finishedAt: Date): void;
}

export interface BudgetLeasesOptions {
  /**
   * Headroom taken ahead per counter, in calls' worth: at least this many, or a second of the
   * counter's recent traffic if more (never more than a quarter of what is left).
   * 0: only what each call needs, one round trip per call.
   */
  aheadCalls?: number;
  /** A lease not synced for this long is taken back by whichever instance touches its counter next. */
  ttlMs?: number;
  /** How often used amounts and ledger entries are written. */
  syncMs?: number;
  /** A lease no call drew on for this long is given back. */
  idleMs?: number;
  /**
   * Ledger entries of finished calls held while the database is away; past this the oldest are
   * dropped and counted (their use still reaches the counters: limits stay exact, spend reports
   * miss them). Default 50 000.
   */
  maxBufferedEntries?: number;
  onError?: (error: unknown) => void;
}

/** What the instance holds for the database, and what it gave up on (see {@link BudgetLeases.getStats}). */
export interface BudgetLeasesStats {
  /** Ledger entries of finished calls waiting for the next sync. */
  bufferedEntries: number;
  /** Ledger entries dropped, oldest first, because the buffer was full while the database was away. */
  droppedEntries: number;
  /** Ledger entries the database refused in syncs (set aside, never retried). */
  refusedEntries: number;
  /** Lease syncs the database refused (set aside, never retried). */
  refusedSyncs: number;
}


/**
 * Budget and rate-limit headroom held by this instance (decision 0006): calls far from a limit draw
 * on it in memory, with no round trip; what they used is reported in batches together with their
 * ledger entries. Near a limit a counter hands out exactly what each call needs, so the database
 * still decides every refusal, and instances sharing a counter together never pass its limit.
 * Every database operation of the instance runs one at a time, in order, so the in-memory mirror of
 * each hold stays exact.
 */
export class BudgetLeases {
  readonly instanceId = randomUUID();
  private readonly leases = new Map<string, Lease>();
  private readonly entries: LedgerEntryBuffer<LedgerEntryWrite>;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly timer: NodeJS.Timeout;
  private readonly prefetch: number;
  private readonly ttlMs: number;
  private readonly idleMs: number;
  private readonly onError: (error: unknown) => void;
  private tickQueued = false;
  /** Sync failures since the last report, and when that was: a database that is away is reported every 10 s, not every tick. */
  private failedSyncs = 0;
  private lastReport = 0;
  /** What the database refused in syncs (set aside, never retried): counts, and the last few kept. */
  private readonly refused = new RefusedSyncRows<Entry>();
  private refillQueued = false;
  /** The last database operation's failure, while none has succeeded since (monotonic ms). */
  private lastFailure: { at: number; error: unknown } | undefined;
  private lastTick = performance.now();

  constructor(
    private readonly db: GantryDb,
    private readonly now: () => Date,
    options: BudgetLeasesOptions = {},
  ) {
    this.prefetch = options.aheadCalls ?? 64;
    this.ttlMs = options.ttlMs ?? 30_000;
    this.idleMs = options.idleMs ?? 1_000;
    this.entries = new LedgerEntryBuffer(options.maxBufferedEntries ?? 50_000);
    this.onError = options.onError ?? (() => {});
    this.timer = setInterval(() => {
      this.measureRates();
      if (this.tickQueued) return;
      this.tickQueued = true;
      this.enqueue(() => {
        this.tickQueued = false;
        return this.sync(false);
      }).catch((error: unknown) => this.reportSyncError(error));
    }, options.syncMs ?? 200);
    this.timer.unref();
  }

  /**
   * Draws a call's worst case on every counter it is checked against: in memory when each lease has
   * room, else after taking more from the database (queued behind the instance's other operations).
   * Resolves to the refusal of the first limit the call would pass.
   */
  async draw(checks: readonly LedgerCheck[], costMicros: number, tokens: number, entry: Entry): Promise<LeaseDraw | LedgerRefusal> {
    const fast = this.tryDraw(checks, costMicros, tokens, entry);
    if (fast !== undefined) return fast;
    const amounts = checks.map((check) => amountsFor(check, costMicros, tokens));
    const queuedAt = performance.now();
    return this.enqueue(async () => {
      for (;;) {
        const drawn = this.tryDraw(checks, costMicros, tokens, entry);
        if (drawn !== undefined) return drawn;
        // An operation ahead of this call found the database away while it waited: refuse it now,
        // rather than queue one timeout behind another (a hundred waiting calls, a hundred timeouts).
        const failure = this.lastFailure;
        if (failure !== undefined && failure.at >= queuedAt) throw new Error('the database did not answer while this call waited for budget headroom', { cause: failure.error });
        try {
          await this.refresh(checks);
        } catch (error) {
          unanswered(error);
        }
        const wants: LeaseWant[] = [];
        checks.forEach((check, index) => {
          const lease = this.leaseOf(check);
          const avail = this.available(lease);
          const ahead = this.ahead(lease, amounts[index]!);
          const need = zero();
          const want = zero();
          const own = zero();
          for (const dimension of DIMENSIONS) {
            // Only limited dimensions have a draw (and a hold): the others are counted at sync.
            const amount = amounts[index]![dimension];
            if (amount === 0) continue;
            need[dimension] = Math.max(0, amount - avail[dimension]);
            want[dimension] = ahead[dimension];
            own[dimension] = Math.max(0, avail[dimension]);
          }
          if (need.micros > 0 || need.calls > 0 || need.tokens > 0) {
            wants.push({ scope: check.scope, window: check.window, ...limitFields(limitsOf(check)), need, want, own, call: { micros: costMicros, tokens } });
          }
        });
        // Unreachable unless the mirror is inconsistent: fail the call rather than spin.
        if (wants.length === 0) throw new Error('budget lease: a call found no room yet needed nothing more');
        let outcome;
        try {
          outcome = await this.lease(wants);
        } catch (error) {
          unanswered(error);
        }
        if (!outcome.ok) return outcome;
      }
    });
  }

  /**
   * Takes headroom on windows about to open (`next`, the counters of `current` in a later window)
   * that this instance holds nothing on yet, in one background round trip, so calls need not wait
   * for it when they open. Sized like a refill, by the current window's traffic; idle from when the
   * window opens (`opensInMs`), so it is not given back before.
   */
  takeAhead(current: readonly LedgerCheck[], next: readonly LedgerCheck[], costMicros: number, tokens: number, opensInMs: number): void {
    if (this.prefetch === 0) return;
    const wants: LeaseWant[] = [];
    for (const check of next) {
      const now = current.find((candidate) => candidate.scope === check.scope);
      // A window that does not change at the minute (a day, month or total budget) opens nothing:
      // its lease may still be in the making by the call that asked, and must not be taken twice.
      if (now?.window === check.window || this.leases.has(leaseKey(check.scope, check.window))) continue;
      const lease = this.leaseOf(check);
      lease.rate = now === undefined ? 0 : (this.leases.get(leaseKey(now.scope, now.window))?.rate ?? 0);
      lease.lastDrawn = performance.now() + opensInMs;
      const want = this.ahead(lease, amountsFor(check, costMicros, tokens));
      if (want.micros === 0 && want.calls === 0 && want.tokens === 0) continue;
      wants.push({ scope: check.scope, window: check.window, ...limitFields(lease.limits), need: zero(), want, own: zero(), call: { micros: 0, tokens: 0 } });
    }
    if (wants.length === 0) return;
    // A counter already at its limit gives nothing and refuses nothing: the window's first call then asks as usual.
    this.enqueue(() => this.lease(wants)).catch(this.onError);
  }

  private reportSyncError(error: unknown): void {
    this.failedSyncs += 1;
    if (performance.now() - this.lastReport < 10_000) return;
    this.lastReport = performance.now();
    const failures = this.failedSyncs;
    this.failedSyncs = 0;
    this.onError(new Error(`budget lease sync failed (${failures} time${failures === 1 ? '' : 's'} since the last report); used amounts and ledger entries stay buffered and are retried: ${(error as Error).message}`, { cause: error }));
  }

  /** Draws per second of each lease, smoothed over the last few ticks. */
  private measureRates(): void {
    const now = performance.now();
    const seconds = (now - this.lastTick) / 1000;
    this.lastTick = now;
    if (seconds <= 0) return;
    for (const lease of this.leases.values()) {
      lease.rate = lease.rate / 2 + lease.draws / seconds / 2;
      lease.draws = 0;
    }
  }

  /** How much to take ahead for a draw of `amount`: prefetchCalls' worth, or a second of traffic if more. */
  private ahead(lease: Lease, amount: Amounts): Amounts {
    const calls = this.prefetch === 0 ? 0 : Math.max(this.prefetch, Math.ceil(lease.rate));
    return { micros: amount.micros * calls, calls: amount.calls * calls, tokens: amount.tokens * calls };
  }

  private leaseOf(check: LedgerCheck): Lease {
    const key = leaseKey(check.scope, check.window);
    let lease = this.leases.get(key);
    if (lease === undefined) {
      lease = { scope: check.scope, window: check.window, limits: limitsOf(check), held: zero(), inFlight: zero(), used: zero(), validUntil: 0, lastDrawn: 0, open: 0, draws: 0, rate: 0, refill: undefined };
      this.leases.set(key, lease);
    }
    return lease;
  }

  private available(lease: Lease): Amounts {
    if (performance.now() >= lease.validUntil) return zero();
    return {
      micros: lease.held.micros - lease.inFlight.micros - lease.used.micros,
      calls: lease.held.calls - lease.inFlight.calls - lease.used.calls,
      tokens: lease.held.tokens - lease.inFlight.tokens - lease.used.tokens,
    };
  }

  /**
   * The draw, if every lease has room for it now and was taken under the same limits. On every
   * limited call, so it allocates only the draw: a call's amount on a counter is its cost, one
   * call and its tokens, on the dimensions the counter limits.
   */
  private tryDraw(checks: readonly LedgerCheck[], costMicros: number, tokens: number, entry: Entry): LeaseDraw | undefined {
    const leases: Lease[] = [];
    const drawnAt = performance.now();
    for (const check of checks) {
      const lease = this.leaseOf(check);
      const micros = check.limitMicros === undefined ? 0 : costMicros;
      const calls = check.limitCalls === undefined ? 0 : 1;
      const drawnTokens = check.limitTokens === undefined ? 0 : tokens;
      // A call that draws nothing on a counter (an unpriced model under a budget) only reports its use.
      if (micros > 0 || calls > 0 || drawnTokens > 0) {
        if (!takenUnder(lease, check) || drawnAt >= lease.validUntil) return undefined;
        const { held, inFlight, used } = lease;
        // Only limited dimensions are drawn on (amount > 0); the others run past their (zero) hold.
        if (micros > 0 && micros > held.micros - inFlight.micros - used.micros) return undefined;
        if (calls > 0 && calls > held.calls - inFlight.calls - used.calls) return undefined;
        if (drawnTokens > 0 && drawnTokens > held.tokens - inFlight.tokens - used.tokens) return undefined;
      }
      leases.push(lease);
    }
    for (let index = 0; index < leases.length; index++) {
      const lease = leases[index]!;
      move(lease.inFlight, checks[index]!, costMicros, tokens, 1);
      lease.lastDrawn = drawnAt;
      lease.open += 1;
      lease.draws += 1;
      this.refillIfLow(lease, checks[index]!, costMicros, tokens);
    }
    let done = false;
    return {
      finish: (state, micros, usedTokens, finishedAt) => {
        if (done) return;
        done = true;
        const settled = state === 'settled';
        for (let index = 0; index < leases.length; index++) {
          const lease = leases[index]!;
          move(lease.inFlight, checks[index]!, costMicros, tokens, -1);
          lease.open -= 1;
          // Like a per-call reservation: a released call still counts toward its rate window.
          lease.used.calls += 1;
          if (settled) {
            lease.used.micros += micros;
            lease.used.tokens += usedTokens;
          }
        }
        entry.state = state;
        entry.settledMicros = settled ? micros : 0;
        entry.settledTokens = settled ? usedTokens : 0;
        entry.settledAt = finishedAt;
        this.entries.add(ledgerEntryWrite(entry));
      },
    };
  }

  /**
   * Marks a lease whose room fell below a quarter of what is taken ahead, and takes more for every
   * marked lease in one background round trip, so calls rarely wait for one.
   */
  private refillIfLow(lease: Lease, check: LedgerCheck, costMicros: number, tokens: number): void {
    if (this.prefetch === 0 || lease.refill !== undefined) return;
    // Checked on every draw, so without allocating: room per dimension against a quarter of what is taken ahead.
    const quarter = Math.max(this.prefetch, Math.ceil(lease.rate)) / 4;
    const { held, inFlight, used } = lease;
    const micros = check.limitMicros === undefined ? 0 : costMicros;
    const calls = check.limitCalls === undefined ? 0 : 1;
    const drawnTokens = check.limitTokens === undefined ? 0 : tokens;
    const low =
      (micros > 0 && held.micros - inFlight.micros - used.micros < micros * quarter) ||
      (calls > 0 && held.calls - inFlight.calls - used.calls < calls * quarter) ||
      (drawnTokens > 0 && held.tokens - inFlight.tokens - used.tokens < drawnTokens * quarter);
    if (!low) return;
    lease.refill = this.ahead(lease, amountsFor(check, costMicros, tokens));
    if (this.refillQueued) return;
    this.refillQueued = true;
    this.enqueue(async () => {
      this.refillQueued = false;
      const wants: LeaseWant[] = [];
      for (const marked of this.leases.values()) {
        if (marked.refill === undefined) continue;
        if (performance.now() < marked.validUntil) {
          wants.push({
            scope: marked.scope,
            window: marked.window,
            ...limitFields(marked.limits),
            need: zero(),
            want: marked.refill,
            own: zero(),
            call: { micros: 0, tokens: 0 },
          });
        }
        marked.refill = undefined;
      }
      // Nothing needed: a counter with nothing left gives nothing and refuses nothing.
      await this.lease(wants);
    }).catch(this.onError);
  }

  /** Leases of these checks that were taken under other limits, or went unsynced too long, are reported (and trimmed) first. */
  private async refresh(checks: readonly LedgerCheck[]): Promise<void> {
    const stale = new Map<Lease, Partial<Amounts>>();
    for (const check of checks) {
      const lease = this.leases.get(leaseKey(check.scope, check.window));
      if (lease === undefined) continue;
      const limits = limitsOf(check);
      const holds = DIMENSIONS.some((dimension) => lease.held[dimension] !== 0);
      if (holds && (!takenUnder(lease, check) || performance.now() >= lease.validUntil)) stale.set(lease, limits);
      else lease.limits = limits;
    }
    if (stale.size === 0) return;
    await this.sync(false, new Set(stale.keys()));
    for (const [lease, limits] of stale) lease.limits = limits;
  }

  private async lease(wants: readonly LeaseWant[]): Promise<{ ok: true } | LedgerRefusal> {
    if (wants.length === 0) return { ok: true };
    const startedAt = performance.now();
    let outcome;
    try {
      outcome = await leaseInLedger(this.db, this.instanceId, this.now(), this.ttlMs, wants);
      this.lastFailure = undefined;
    } catch (error) {
      this.noteFailure(error);
      throw error;
    }
    if (!outcome.ok) return outcome;
    for (const hold of outcome.leases) this.setHeld(hold.scope, hold.window, hold, startedAt);
    return { ok: true };
  }

  private setHeld(scope: string, window: string, held: Amounts, startedAt: number): void {
    const lease = this.leases.get(leaseKey(scope, window));
    if (lease === undefined) return;
    lease.held = { micros: held.micros, calls: held.calls, tokens: held.tokens };
    // A quarter of the lifetime spare: the database takes the lease back only after all of it.
    lease.validUntil = startedAt + (this.ttlMs * 3) / 4;
  }

  /**
   * Reports every lease's use together with the finished calls' ledger entries. Trims to what calls
   * in flight hold: `trimAll`, the leases in `trim`, and those idle for `idleMs`; extends the rest.
   */
  private async sync(trimAll: boolean, trim: ReadonlySet<Lease> = new Set()): Promise<void> {
    const startedAt = performance.now();
    const syncs: LeaseSync[] = [];
    const reported: Array<{ lease: Lease; used: Amounts }> = [];
    for (const lease of this.leases.values()) {
      // Trimming keeps what calls in flight drew, so a long call does not keep a lease busy. Not
      // while the database is away: a trim that fails leaves its lease undrawable (the database may
      // have taken the hold back), and no other instance can take the headroom meanwhile anyway.
      const idle = this.lastFailure === undefined && startedAt - lease.lastDrawn >= this.idleMs;
      const trimmed = trimAll || trim.has(lease) || idle;
      const hasUse = lease.used.micros !== 0 || lease.used.calls !== 0 || lease.used.tokens !== 0;
      const expiring = lease.validUntil - startedAt < this.ttlMs / 4;
      const { held, inFlight } = lease;
      const holds = held.micros !== 0 || held.calls !== 0 || held.tokens !== 0;
      // Only a hold beyond what running calls drew can be trimmed (a long call is not synced every tick).
      const spare = held.micros > inFlight.micros || held.calls > inFlight.calls || held.tokens > inFlight.tokens;
      if (!hasUse && !(trimmed && spare) && !(holds && expiring) && !trim.has(lease)) continue;
      const used = { ...lease.used };
      syncs.push({ scope: lease.scope, window: lease.window, used, ...(trimmed ? { keep: { ...inFlight } } : {}) });
      reported.push({ lease, used });
    }
    if (syncs.length === 0 && this.entries.size === 0) {
      this.forgetEmpty();
      return;
    }
    const entries = this.entries.take();
    // A hold being trimmed must not be drawn on meanwhile: the database gives back what it had as
    // spare when the sync started. Calls arriving now wait in the queue; the sync's answer
    // (setHeld) makes the lease drawable again.
    for (const sync of syncs) if (sync.keep !== undefined) this.leases.get(leaseKey(sync.scope, sync.window))!.validUntil = 0;
    this.reportDrops();
    let outcome;
    try {
      outcome = await syncLeasesInLedger(this.db, this.instanceId, this.now(), this.ttlMs, syncs, entries);
      this.lastFailure = undefined;
    } catch (error) {
      this.noteFailure(error);
      this.entries.putBack(entries);
      throw error;
    }
    // A refused sync's use is given up on with the rest (and reported): retrying it would fail the
    // same way, and hold back every other lease's sync with it.
    for (const { lease, used } of reported) for (const dimension of DIMENSIONS) lease.used[dimension] -= used[dimension];
    for (const hold of outcome.holds) this.setHeld(hold.scope, hold.window, hold, startedAt);
    if (outcome.refusedEntries.length > 0 || outcome.refusedSyncs.length > 0) this.onError(this.refused.add(outcome.refusedEntries, outcome.refusedSyncs));
    this.forgetEmpty();
  }



  /** Reports entries dropped since the last report, once per sync rather than per entry. */
  private reportDrops(): void {
    const dropped = this.entries.takeUnreportedDrops();
    if (dropped === 0) return;
    this.onError(
      new Error(
        `budget lease ledger buffer full (${this.entries.max} entries): dropped the ${dropped} oldest ledger ${dropped === 1 ? 'entry' : 'entries'} of finished calls while the database was away; their use still counts toward limits, spend reports miss them`,
      ),
    );
  }

  /** Entries buffered, dropped and refused, and refused syncs, since start. */
  getStats(): BudgetLeasesStats {
    return { bufferedEntries: this.entries.size, droppedEntries: this.entries.dropped, refusedEntries: this.refused.entries, refusedSyncs: this.refused.syncs };
  }

  /** What lease syncs had refused: counts since start, and the last 100 refused entries and syncs with their errors. */
  refusedInSyncs(): ReturnType<RefusedSyncRows<Entry>['snapshot']> {
    return this.refused.snapshot();
  }

  /** Leases holding, drawing and owing nothing are dropped from memory (old windows, idle keys). */
  private forgetEmpty(): void {
    for (const [key, lease] of this.leases) {
      const empty = DIMENSIONS.every((dimension) => lease.held[dimension] === 0 && lease.inFlight[dimension] === 0 && lease.used[dimension] === 0);
      if (empty && lease.open === 0 && lease.refill === undefined && performance.now() - lease.lastDrawn >= this.idleMs) this.leases.delete(key);
    }
  }

  /**
   * Remembers when a database operation failed (cleared by the next that succeeds), for draws
   * queued behind it. Set inline in the awaiting functions, not by wrapping their promise: an extra
   * tick there reorders queued draws against syncs.
   */
  private noteFailure(error: unknown): void {
    this.lastFailure = { at: performance.now(), error };
  }


  private enqueue<T>(operation: () => Promise<T>): Promise<T> {
    const next = this.queue.catch(() => {}).then(operation);
    this.queue = next.catch(() => {});
    return next;
  }

  /**
   * Reports everything used so far and gives back every hold not needed by a call in flight, so the
   * counters show exactly what was spent (tests, shutdown).
   */
  async drain(): Promise<void> {
    await this.enqueue(() => this.sync(true));
  }

  async close(): Promise<void> {
    clearInterval(this.timer);
    await this.drain();
  }
}
