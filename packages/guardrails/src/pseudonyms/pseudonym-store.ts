import { insertPseudonyms, listRunPseudonyms, type GantryDb, type NewPseudonymRow, type PseudonymRow } from '@gantry/db';
import { LRUCache } from 'lru-cache';
import { placeholderFor } from './placeholders.ts';
import type { ValueSealer } from './sealed-values.ts';

/** A value to stand in for. */
export interface PseudonymWanted {
  detector: string;
  kind: string | undefined;
  value: string;
}

/** Most pseudonyms one run tree keeps; past it, new values in the run are masked instead. */
export const MAX_PSEUDONYMS_PER_RUN = 10_000;
/** Attempts at a placeholder that collides with nothing before giving up on a value. */
const MAX_ATTEMPTS = 16;
/** Placeholder draws remembered, and the characters (values and placeholders) they may hold in all. */
const MAX_DRAWS_KEPT = 8192;
const MAX_DRAWN_CHARACTERS = 2_000_000;

const keyOf = (detector: string, value: string) => `${detector}\0${value}`;

/** One run tree's pseudonyms, both ways. */
export class RunPseudonyms {
  readonly #byValue = new Map<string, string>();
  readonly #byPlaceholder = new Map<string, string>();

  placeholderOf(detector: string, value: string): string | undefined {
    return this.#byValue.get(keyOf(detector, value));
  }

  /** Placeholder → value, for restoring answers. */
  get values(): ReadonlyMap<string, string> {
    return this.#byPlaceholder;
  }

  get size(): number {
    return this.#byValue.size;
  }

  uses(placeholder: string): boolean {
    return this.#byPlaceholder.has(placeholder);
  }

  add(detector: string, value: string, placeholder: string): void {
    this.#byValue.set(keyOf(detector, value), placeholder);
    this.#byPlaceholder.set(placeholder, value);
  }
}

export interface PseudonymStoreOptions {
  sealer: ValueSealer;
  /** Where run trees' maps are shared between instances; without it they live in this process only. */
  db: GantryDb | undefined;
  /** How long a run tree's map is kept after it was last used (memory) or created (database). */
  ttlMs: number;
  onError: (error: unknown) => void;
  now?: () => Date;
}

/**
 * Placeholders per run tree: the same value gets the same placeholder in every call of a run and
 * its sub-runs. With a database the map is shared (first writer wins; the others read its choice
 * back), so every instance agrees; each instance keeps the run trees it saw in memory. A call with
 * no run (`rootRunId` undefined) gets a map of its own. A database that fails falls back to a map
 * for the call alone: values are still never sent, only consistency across calls is lost.
 */
export class PseudonymStore {
  readonly #options: PseudonymStoreOptions;
  readonly #runs: LRUCache<string, RunPseudonyms>;
  /**
   * Placeholders drawn lately, by detector, kind, attempt and value: a draw is an HMAC (microseconds
   * each), and the same values come back call after call (an agent resends its conversation; a
   * call without a run gets a map of its own every time). Bounded, and kept no longer than a run's map.
   */
  readonly #drawn: LRUCache<string, string>;

  constructor(options: PseudonymStoreOptions) {
    this.#options = options;
    this.#runs = new LRUCache({ max: 10_000, ttl: options.ttlMs, updateAgeOnGet: options.db === undefined });
    this.#drawn = new LRUCache({ max: MAX_DRAWS_KEPT, maxSize: MAX_DRAWN_CHARACTERS, sizeCalculation: (placeholder, key) => key.length + placeholder.length, ttl: options.ttlMs });
  }

  /** Placeholders for `wanted` in the run tree, none of them text for which `taken` holds. */
  async assign(rootRunId: string | undefined, wanted: readonly PseudonymWanted[], taken: (text: string) => boolean): Promise<RunPseudonyms> {
    if (rootRunId === undefined) return this.#assignLocally(new RunPseudonyms(), wanted, taken);
    let run = this.#runs.get(rootRunId);
    const { db } = this.#options;
    if (db === undefined) {
      if (run === undefined) this.#runs.set(rootRunId, (run = new RunPseudonyms()));
      return this.#assignLocally(run, wanted, taken);
    }
    try {
      if (run === undefined) run = await this.#load(db, rootRunId, new RunPseudonyms());
      await this.#assignShared(db, rootRunId, run, wanted, taken);
      this.#runs.set(rootRunId, run);
      return run;
    } catch (error) {
      this.#options.onError(error);
      return this.#assignLocally(new RunPseudonyms(), wanted, taken);
    }
  }

  /** The run tree's map as this instance knows it (for restoring answers that name no value of this call). */
  known(rootRunId: string): RunPseudonyms | undefined {
    return this.#runs.get(rootRunId);
  }

  #pick(run: RunPseudonyms, want: PseudonymWanted, from: number, taken: (text: string) => boolean): { placeholder: string; attempt: number } | undefined {
    for (let attempt = from; attempt < MAX_ATTEMPTS; attempt++) {
      const placeholder = this.#draw(want, attempt);
      if (!run.uses(placeholder) && !taken(placeholder)) return { placeholder, attempt };
    }
    return undefined;
  }

  #draw(want: PseudonymWanted, attempt: number): string {
    const key = `${want.detector}\0${want.kind ?? ''}\0${attempt}\0${want.value}`;
    let placeholder = this.#drawn.get(key);
    if (placeholder === undefined) {
      placeholder = placeholderFor(this.#options.sealer.placeholderKey, want.detector, want.kind, want.value, attempt);
      this.#drawn.set(key, placeholder);
    }
    return placeholder;
  }

  #assignLocally(run: RunPseudonyms, wanted: readonly PseudonymWanted[], taken: (text: string) => boolean): RunPseudonyms {
    for (const want of wanted) {
      if (run.placeholderOf(want.detector, want.value) !== undefined || run.size >= MAX_PSEUDONYMS_PER_RUN) continue;
      const picked = this.#pick(run, want, 0, taken);
      if (picked !== undefined) run.add(want.detector, want.value, picked.placeholder);
    }
    return run;
  }

  async #load(db: GantryDb, rootRunId: string, run: RunPseudonyms): Promise<RunPseudonyms> {
    const rows = await listRunPseudonyms(db, rootRunId, this.#now(), MAX_PSEUDONYMS_PER_RUN);
    for (const row of rows) run.add(row.detector, this.#options.sealer.open(row.valueSealed), row.placeholder);
    return run;
  }

  /**
   * Writes placeholders for the values the run does not have yet. A row that loses on the value
   * (another instance stored it first) is read back; one that loses on the placeholder (another
   * value took it) tries its next attempt.
   */
  async #assignShared(db: GantryDb, rootRunId: string, run: RunPseudonyms, wanted: readonly PseudonymWanted[], taken: (text: string) => boolean): Promise<void> {
    const { sealer } = this.#options;
    const attempts = new Map<PseudonymWanted, number>();
    let missing = wanted.filter((want) => run.placeholderOf(want.detector, want.value) === undefined);
    while (missing.length > 0 && run.size < MAX_PSEUDONYMS_PER_RUN) {
      const rows: NewPseudonymRow[] = [];
      const valueOf = new Map<string, string>();
      const expiresAt = new Date(this.#now().getTime() + this.#options.ttlMs);
      for (const want of missing) {
        const picked = this.#pick(run, want, attempts.get(want) ?? 0, taken);
        if (picked === undefined) continue;
        attempts.set(want, picked.attempt + 1);
        const valueHash = sealer.hash(want.detector, want.value);
        valueOf.set(valueHash, want.value);
        rows.push({ rootRunId, valueHash, detector: want.detector, placeholder: picked.placeholder, valueSealed: sealer.seal(want.value), expiresAt });
      }
      if (rows.length === 0) return;
      const inserted: PseudonymRow[] = await insertPseudonyms(db, rows);
      for (const row of inserted) run.add(row.detector, valueOf.get(row.valueHash)!, row.placeholder);
      if (inserted.length < rows.length) await this.#load(db, rootRunId, run);
      missing = missing.filter((want) => run.placeholderOf(want.detector, want.value) === undefined && (attempts.get(want) ?? 0) < MAX_ATTEMPTS);
    }
  }

  #now(): Date {
    return this.#options.now?.() ?? new Date();
  }
}
