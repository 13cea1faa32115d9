/**
 * One labelled lookup of a cached entry: a prompt at `similarity` to the entry was answered by the
 * provider (an exploration), and the fresh answer was compared with the entry's cached answer.
 */
export interface Observation {
  /** Cosine similarity of the prompt's embedding to the entry's, in [-1, 1]. */
  similarity: number;
  /** Whether the entry's cached answer would have been right for that prompt. */
  correct: boolean;
}

/**
 * The most observations kept per entry: the most recent 128. A two-parameter fit gains little
 * beyond that, the fit runs on every lookup of the entry (its cost is linear in this number), and
 * a window lets an entry whose answers went stale relearn from its recent labels.
 */
export const MAX_OBSERVATIONS = 128;

/**
 * `list` with `observation` appended, keeping only the most recent {@link MAX_OBSERVATIONS}.
 * Returns a new array; `list` is not changed. Throws a RangeError on a similarity that is not a
 * number in [-1, 1], so a bad label never reaches an entry's history.
 */
export function addObservation(list: readonly Observation[], observation: Observation): Observation[] {
  assertSimilarity(observation.similarity, 'observation.similarity');
  const next = [...list, { similarity: observation.similarity, correct: observation.correct }];
  return next.length > MAX_OBSERVATIONS ? next.slice(next.length - MAX_OBSERVATIONS) : next;
}

/** Throws a RangeError naming `name` unless `similarity` is a finite number in [-1, 1]. */
export function assertSimilarity(similarity: number, name: string): void {
  if (!(Number.isFinite(similarity) && similarity >= -1 && similarity <= 1)) {
    throw new RangeError(`${name} must be a cosine similarity in [-1, 1], got ${similarity}`);
  }
}
