import { sweepExpiredReservations, type GantryDb } from '@gantry/db';

/** Default expiry of a per-call reservation: far above the longest legitimate call (streams may run many minutes). */
export const DEFAULT_RESERVATION_EXPIRY_MS = 30 * 60_000;

export interface ReservationSweeperOptions {
  /**
   * A reservation still `reserved` this long after it was made is presumed orphaned (its instance
   * crashed, or settling it failed for longer than it was retried) and is closed.
   */
  expiryMs?: number;
  /** How often to sweep; default a quarter of the expiry, between 1 s and 60 s. */
  intervalMs?: number;
  /** Entries closed per statement; a sweep repeats until a statement finds fewer. */
  batchSize?: number;
  /** The clock reservations' ages are measured by (the one they were made by). */
  now?: () => Date;
  onError?: (error: unknown) => void;
  /** Told what a sweep closed, when it closed anything. */
  onSwept?: (swept: SweepCounts) => void;
}

/** How many expired reservations one sweep closed. */
export interface SweepCounts {
  /** Settled at the usage their call's span recorded. */
  settled: number;
  /** Released: their call left no span, or one that used nothing. */
  released: number;
}

/**
 * The safety net under per-call reservations: every instance runs one, and any number may sweep
 * one database at once (`gantry_sweep` skips entries another sweeper holds, so each is closed
 * exactly once). A reservation past its expiry is settled at its span's recorded usage when the
 * call's span was written, else released; the ledger marks it `settled_by = 'sweeper'`. A call that
 * outlives the expiry and settles afterwards is still counted (`gantry_settle` takes a late
 * settlement of an entry the sweeper released, `settled_by = 'late_call'`), so a too-short expiry
 * loosens limits for long calls while they run but loses no spend.
 */
export class ReservationSweeper {
  readonly expiryMs: number;
  readonly intervalMs: number;
  private readonly batchSize: number;
  private readonly now: () => Date;
  private readonly onError: (error: unknown) => void;
  private readonly onSwept: (swept: SweepCounts) => void;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<SweepCounts> | undefined;

  constructor(
    private readonly db: GantryDb,
    options: ReservationSweeperOptions = {},
  ) {
    this.expiryMs = options.expiryMs ?? DEFAULT_RESERVATION_EXPIRY_MS;
    this.intervalMs = options.intervalMs ?? Math.min(60_000, Math.max(1_000, Math.floor(this.expiryMs / 4)));
    this.batchSize = options.batchSize ?? 500;
    this.now = options.now ?? (() => new Date());
    this.onError = options.onError ?? (() => {});
    this.onSwept = options.onSwept ?? (() => {});
  }

  /** Sweeps every `intervalMs` until closed. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => {
      this.sweep().catch(this.onError);
    }, this.intervalMs);
    this.timer.unref();
  }

  /**
   * Closes every reservation that has expired by now, in batches. One sweep at a time per
   * instance: a call while one runs gets that one's outcome.
   */
  sweep(): Promise<SweepCounts> {
    this.running ??= this.sweepAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async sweepAll(): Promise<SweepCounts> {
    const counts: SweepCounts = { settled: 0, released: 0 };
    for (;;) {
      const at = this.now();
      const swept = await sweepExpiredReservations(this.db, new Date(at.getTime() - this.expiryMs), at, this.batchSize);
      counts.settled += swept.settled.length;
      counts.released += swept.released.length;
      // Fewer than asked: nothing expired is left, or another sweeper holds the rest.
      if (swept.settled.length + swept.released.length < this.batchSize) break;
    }
    if (counts.settled + counts.released > 0) this.onSwept(counts);
    return counts;
  }

  /** Stops sweeping and waits for a sweep under way. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    await this.running?.catch(() => {});
  }
}
