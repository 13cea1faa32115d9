import { mulberry32 } from '../src/calibration/seeded-random.ts';
import { addObservation, type Observation, type PolicyDecision } from '../src/semantic/entry-policy.ts';

export { mulberry32 };


/** 1 / (1 + e^−x). */
export function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** A synthetic cached entry whose true P(correct | similarity) is known. */
export interface SyntheticEntry {
  name: string;
  /** The true probability that the entry's answer is right for a prompt at this similarity. */
  correctProbability: (similarity: number) => number;
  /** Draws the similarity of the next lookup's prompt to the entry. */
  drawSimilarity: (random: () => number) => number;
}

/** A policy under test: decides one lookup from the entry's labels and a uniform source. */
export type Policy = (similarity: number, observations: readonly Observation[], random: () => number) => PolicyDecision;

/** What a simulated stream of lookups did. */
export interface SimulationResult {
  lookups: number;
  served: number;
  /** Served answers that were wrong. */
  servedWrong: number;
  /** Lookups at which the true error was at most delta: what an all-knowing policy could serve. */
  servable: number;
  /** Served lookups among the second half of the stream, once the entry has learnt. */
  servedLate: number;
}

/**
 * Runs `lookups` lookups of `entry` through `policy`: each draws a similarity, asks the policy, and
 * draws the true label from the entry's probability. An exploration adds the label to the entry's
 * history (capped as the cache would); a serve counts whether the served answer was wrong.
 */
export function simulate(entry: SyntheticEntry, policy: Policy, options: { lookups: number; delta: number; seed: number }): SimulationResult {
  const random = mulberry32(options.seed);
  let observations: Observation[] = [];
  const result: SimulationResult = { lookups: options.lookups, served: 0, servedWrong: 0, servable: 0, servedLate: 0 };
  for (let lookup = 0; lookup < options.lookups; lookup++) {
    const similarity = entry.drawSimilarity(random);
    const probability = entry.correctProbability(similarity);
    if (1 - probability <= options.delta) result.servable += 1;
    const decision = policy(similarity, observations, random);
    const correct = random() < probability;
    if (decision.action === 'explore') {
      observations = addObservation(observations, { similarity, correct });
      continue;
    }
    result.served += 1;
    if (!correct) result.servedWrong += 1;
    if (lookup >= options.lookups / 2) result.servedLate += 1;
  }
  return result;
}

/**
 * Whether the served answers' error rate is consistent with at most `delta`: the observed rate is
 * no more than δ plus three binomial standard deviations at δ. Fails only on clear evidence.
 */
export function withinErrorRate(result: SimulationResult, delta: number): boolean {
  if (result.served === 0) return true;
  const rate = result.servedWrong / result.served;
  return rate <= delta + 3 * Math.sqrt((delta * (1 - delta)) / result.served);
}

/** A draw from a mixture: with probability `highShare` uniform on `high`, else uniform on `low`. */
export function mixture(low: [number, number], high: [number, number], highShare: number): (random: () => number) => number {
  return (random) => {
    const [from, to] = random() < highShare ? high : low;
    return Math.min(1, from + (to - from) * random());
  };
}

/**
 * The synthetic entries: a paraphrase-like boundary, a slot-swap-like sharp boundary at 0.95, an
 * entry that is never right, and one that is always right above 0.7 (never below). Half of each
 * entry's lookups come from near prompts, half from farther ones.
 */
export const SYNTHETIC_ENTRIES: SyntheticEntry[] = [
  {
    name: 'paraphrase (t=0.85, γ=40)',
    correctProbability: (similarity) => sigmoid(40 * (similarity - 0.85)),
    drawSimilarity: mixture([0.6, 0.9], [0.9, 1], 0.5),
  },
  {
    name: 'slot swap (t=0.95, γ=150)',
    correctProbability: (similarity) => sigmoid(150 * (similarity - 0.95)),
    drawSimilarity: mixture([0.8, 0.96], [0.96, 1], 0.5),
  },
  {
    name: 'never right',
    correctProbability: () => 0,
    drawSimilarity: mixture([0.6, 0.9], [0.9, 1], 0.5),
  },
  {
    name: 'always right above 0.7',
    correctProbability: (similarity) => (similarity >= 0.7 ? 1 : 0),
    drawSimilarity: mixture([0.5, 0.8], [0.8, 1], 0.5),
  },
];
