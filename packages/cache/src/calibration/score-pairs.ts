import { CalibrationInputError, type LabelledPair, type ScoredPair } from './labelled-pairs.ts';

/**
 * The cosine of the angle between two vectors of one length, clamped to [-1, 1] (float rounding
 * can put the cosine of a vector with itself a hair above 1, which the policy would refuse).
 * Throws a RangeError on different lengths or a zero vector: neither has a direction.
 */
export function cosineSimilarity(left: readonly number[], right: readonly number[]): number {
  if (left.length !== right.length || left.length === 0) {
    throw new RangeError(`cosine similarity needs two non-empty vectors of one length, got ${left.length} and ${right.length}`);
  }
  let dot = 0;
  let leftNorm = 0;
  let rightNorm = 0;
  for (let index = 0; index < left.length; index++) {
    const x = left[index]!;
    const y = right[index]!;
    dot += x * y;
    leftNorm += x * x;
    rightNorm += y * y;
  }
  if (!(leftNorm > 0 && rightNorm > 0)) throw new RangeError('cosine similarity of a zero vector is undefined');
  return Math.max(-1, Math.min(1, dot / Math.sqrt(leftNorm * rightNorm)));
}

/**
 * Each pair with the cosine similarity of its prompts' embeddings. Throws a
 * {@link CalibrationInputError} naming the prompt that has no embedding or an unusable one.
 */
export function scorePairs(pairs: readonly LabelledPair[], embeddings: ReadonlyMap<string, readonly number[]>): ScoredPair[] {
  const vectorOf = (prompt: string): readonly number[] => {
    const vector = embeddings.get(prompt);
    if (vector === undefined) throw new CalibrationInputError(`no embedding for the prompt ${JSON.stringify(prompt.slice(0, 80))}`);
    return vector;
  };
  return pairs.map((pair) => {
    try {
      return { ...pair, similarity: cosineSimilarity(vectorOf(pair.a), vectorOf(pair.b)) };
    } catch (error) {
      if (error instanceof CalibrationInputError) throw error;
      throw new CalibrationInputError(`the embeddings of ${JSON.stringify(pair.a.slice(0, 60))} and ${JSON.stringify(pair.b.slice(0, 60))}: ${(error as Error).message}`);
    }
  });
}
