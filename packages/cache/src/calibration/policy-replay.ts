import { addObservation, decide, type Observation } from '../semantic/entry-policy.ts';
import type { ScoredPair } from './labelled-pairs.ts';
import { mulberry32, shuffled } from './seeded-random.ts';
import { wilsonUpperBound } from './wilson-bound.ts';

/** How the per-entry policy is replayed over the pairs. */
export interface PolicyReplayOptions {
  /** The policy's error target δ, in (0, 1). */
  delta: number;
  /** Times each entry sees all its pairs, reshuffled each time, to emulate a stream. At least 1. */
  passes: number;
  /** Seed of the shuffles and of the policy's exploration draws. */
  seed: number;
}

/** Lookups, hits and served errors of one kind of pair. */
export interface KindOutcome {
  lookups: number;
  hits: number;
  errors: number;
}

/** What the per-entry policy did over the replayed stream. */
export interface PolicyReplayResult extends PolicyReplayOptions {
  /** Distinct `a`s: the cached entries. */
  entries: number;
  /** Entries that served at least once. */
  servingEntries: number;
  /** Lookups: pairs × passes. */
  lookups: number;
  /** Lookups served from the entry. */
  hits: number;
  /** hits ÷ lookups. */
  hitRate: number;
  /** Share of the hits whose pair is `same`; null when nothing was served. */
  precision: number | null;
  /** Hits whose pair is not `same`: wrong answers served. */
  errors: number;
  /** 95% Wilson upper bound on errors ÷ hits; 1 with no hits. */
  errorUpper: number;
  /** Lookups explored: answered by the provider and added to the entry's labels. */
  explorations: number;
  /** The same figures per pair kind (`unlabelled` for pairs without one). */
  byKind: Record<string, KindOutcome>;
}

/** The pairs of each entry (each distinct `a`), in order of the entry's first pair. */
export function groupByEntry(pairs: readonly ScoredPair[]): ScoredPair[][] {
  const entries = new Map<string, ScoredPair[]>();
  for (const pair of pairs) {
    const list = entries.get(pair.a);
    if (list === undefined) entries.set(pair.a, [pair]);
    else list.push(pair);
  }
  return [...entries.values()];
}

/**
 * Replays the pairs through the per-entry policy ({@link decide}) as a cache would meet them:
 * each distinct `a` is one entry with its own labels; each pass, every entry sees its `b`s in a
 * fresh seeded order. A serve is a hit (an error if the pair is not `same`); an exploration adds
 * the pair's label to the entry, as the cache adds the judged fresh answer. Repeats of a `b` in
 * later passes stand for the stream's recurring prompts, so the hit rate here is a stream's, not
 * a pair's — a static threshold on the same stream would hit each pair in every pass.
 * Deterministic for a seed.
 */
export function replayPolicy(pairs: readonly ScoredPair[], options: PolicyReplayOptions): PolicyReplayResult {
  if (!(Number.isInteger(options.passes) && options.passes >= 1)) throw new RangeError(`passes must be a whole number of at least 1, got ${options.passes}`);
  const random = mulberry32(options.seed);
  const entries = groupByEntry(pairs);
  const labels: Observation[][] = entries.map(() => []);
  const served = new Set<number>();
  const byKind: Record<string, KindOutcome> = {};
  let hits = 0;
  let errors = 0;
  let explorations = 0;
  for (let pass = 0; pass < options.passes; pass++) {
    entries.forEach((entryPairs, entry) => {
      for (const pair of shuffled(entryPairs, random)) {
        const kind = (byKind[pair.kind ?? 'unlabelled'] ??= { lookups: 0, hits: 0, errors: 0 });
        kind.lookups += 1;
        const decision = decide(pair.similarity, labels[entry]!, { delta: options.delta, random });
        if (decision.action === 'explore') {
          labels[entry] = addObservation(labels[entry]!, { similarity: pair.similarity, correct: pair.same });
          explorations += 1;
          continue;
        }
        served.add(entry);
        hits += 1;
        kind.hits += 1;
        if (!pair.same) {
          errors += 1;
          kind.errors += 1;
        }
      }
    });
  }
  const lookups = pairs.length * options.passes;
  return {
    ...options,
    entries: entries.length,
    servingEntries: served.size,
    lookups,
    hits,
    hitRate: lookups === 0 ? 0 : hits / lookups,
    precision: hits === 0 ? null : (hits - errors) / hits,
    errors,
    errorUpper: wilsonUpperBound(errors, hits),
    explorations,
    byKind,
  };
}
