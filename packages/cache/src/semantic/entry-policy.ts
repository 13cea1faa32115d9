import { assertSimilarity, type Observation } from './entry-observations.ts';
import { correctLogitAt, DEFAULT_SIGMOID_PRIOR, fitSigmoid, type SigmoidPrior } from './fit-sigmoid.ts';
import { normalCdf, normalQuantile } from './normal-distribution.ts';

export { addObservation, MAX_OBSERVATIONS, type Observation } from './entry-observations.ts';
export { correctLogitAt, DEFAULT_SIGMOID_PRIOR, fitSigmoid, type SigmoidFit, type SigmoidPrior } from './fit-sigmoid.ts';

/**
 * How one cached entry decides between serving its answer and exploring (calling the provider and
 * labelling the result), after vCache (Schroeder et al., "vCache: Verified Semantic Prompt Caching",
 * arXiv 2502.03771): each entry learns P(correct | s) = 1 / (1 + exp(−γ (s − t))) from its own
 * labelled lookups, and serves only when a confidence bound says its answer is wrong with
 * probability at most `delta`.
 */
export interface PolicyOptions {
  /** The error rate to keep served answers under, in (0, 1). Default 0.02. */
  delta: number;
  /**
   * Labelled lookups an entry needs before it may serve at all. Default 8: the fit has two
   * parameters, and with fewer than about four labels per parameter its Gaussian (Laplace)
   * uncertainty is not to be trusted; each of these explorations is a provider call the client
   * would have paid for on a plain cache miss anyway, so the price is low.
   */
  minObservations: number;
  /**
   * One-sided confidence of the bound on the error probability, in (0.5, 1). Default 0.9: the
   * bound is checked per lookup, and the served error rate over a stream averages it over
   * similarities mostly well inside the boundary; in simulation (test/entry-policy.simulation.test.ts)
   * 0.9 keeps that rate far below δ (0.5% at δ=0.02 on a paraphrase-like entry) while serving
   * more often than 0.95 would (6.9% of lookups against about 4%). Lower it for more hits and a
   * thinner margin: a plain point estimate (no bound) served 26% there at 0.9% wrong, but it has
   * no guarantee for an entry that has few labels or a gentle boundary.
   */
  confidence?: number;
  /** Uniform [0, 1) draws; default Math.random. Decisions are deterministic given this. */
  random?: () => number;
  /** The fit's prior; default {@link DEFAULT_SIGMOID_PRIOR}. */
  prior?: SigmoidPrior;
}

/** What to do with one lookup of an entry, and why. */
export interface PolicyDecision {
  action: 'serve' | 'explore';
  /** Why, in a sentence with the numbers behind it. */
  reason: string;
  /**
   * Upper confidence bound (at `confidence`) on the probability that the entry's answer is wrong
   * at this similarity; 1 when the entry has no bound yet (too few labels, or the similarity is
   * below any at which it was ever right).
   */
  errorBound: number;
  /** The probability τ with which this lookup explores; it serves with probability 1 − τ. */
  exploreProbability: number;
}

/** Defaults for {@link PolicyOptions}. */
export const DEFAULT_POLICY_OPTIONS: Required<Omit<PolicyOptions, 'random' | 'prior'>> = {
  delta: 0.02,
  minObservations: 8,
  confidence: 0.9,
};

/**
 * Serve the entry's answer for a prompt at `similarity`, or explore, given the entry's labelled
 * `observations`:
 * 1. fewer than `minObservations` labels: explore;
 * 2. the similarity is below every one at which the entry was ever right (or it never was):
 *    explore — nothing supports the answer there, and the sigmoid's tail is not evidence;
 * 3. otherwise fit the sigmoid and bound the error: the fitted log-odds of a right answer at this
 *    similarity is approximately Gaussian, so the probability that the true error exceeds `delta`
 *    is p = Φ((logit(1 − δ) − mean) / sd). The lookup explores with τ = min(1, p / (1 − confidence))
 *    and serves otherwise: τ = 1 (always explore) wherever the bound is above `delta`, falling to 0
 *    as the evidence that the answer is right grows.
 *
 * Where this departs from the paper, and why:
 * - The guarantee is on the error rate of served answers (wrong served ÷ served), not of all
 *   lookups. vCache bounds the share of all requests answered wrongly; since an exploration is
 *   never wrong, that lets it serve some lookups whose own error is above δ, as long as it explores
 *   enough of them. Here an answer is served only where its own bound is at most δ: every served
 *   answer is right with probability at least 1 − δ (at the confidence), which is the promise a
 *   gateway's user reads into "δ of cache hits are wrong", and it implies the per-request rate.
 *   So τ strictly between 0 and 1 only occurs inside the region the bound allows: it keeps
 *   labelling lookups near the boundary, where labels move the fit most.
 * - The bound is on the log-odds at this similarity, from the joint uncertainty of (t, γ), rather
 *   than on t alone with γ fixed at its estimate.
 * - The fit has a Gaussian prior (see {@link DEFAULT_SIGMOID_PRIOR}) instead of a plain MLE, so that
 *   one-class and separated data give a finite, cautious fit; the band is its Laplace approximation.
 * - Rule 2 is ours: a cheap, model-free floor under the sigmoid.
 */
export function decide(similarity: number, observations: readonly Observation[], options: Partial<PolicyOptions> = {}): PolicyDecision {
  assertSimilarity(similarity, 'similarity');
  const { delta, minObservations, confidence } = resolveOptions(options);
  if (observations.length < minObservations) {
    return explore(`${observations.length} of ${minObservations} labelled lookups: the entry explores until it has ${minObservations}`);
  }
  const lowestRight = lowestCorrectSimilarity(observations);
  if (lowestRight === undefined) {
    return explore(`none of the entry's ${observations.length} labelled lookups was right`);
  }
  if (similarity < lowestRight) {
    return explore(`similarity ${similarity.toFixed(4)} is below every one at which the entry was right (lowest ${lowestRight.toFixed(4)})`);
  }
  const fit = fitSigmoid(observations, options.prior ?? DEFAULT_SIGMOID_PRIOR);
  const logit = correctLogitAt(fit, similarity);
  const sd = Math.sqrt(logit.variance);
  if (!(fit.converged && Number.isFinite(logit.mean) && sd > 0 && Number.isFinite(sd))) {
    return explore(`the fit of ${fit.observations} labels did not settle (${fit.iterations} steps): no bound, so explore`);
  }
  const errorBound = logistic(-(logit.mean - normalQuantile(confidence) * sd));
  // P(true error at this similarity > δ) = P(log-odds of right < logit(1 − δ)) under the fit.
  const exceedProbability = normalCdf((Math.log((1 - delta) / delta) - logit.mean) / sd);
  const exploreProbability = Math.min(1, exceedProbability / (1 - confidence));
  const bound = `error bound ${errorBound.toFixed(4)} at ${(confidence * 100).toFixed(1)}% (fit t=${fit.t.toFixed(4)}, γ=${fit.gamma.toFixed(1)}, ${fit.observations} labels)`;
  if (!(exploreProbability < 1)) {
    return { action: 'explore', reason: `${bound} is above δ=${delta}`, errorBound, exploreProbability: 1 };
  }
  const draw = (options.random ?? Math.random)();
  const action = draw < exploreProbability ? 'explore' : 'serve';
  const reason =
    action === 'serve'
      ? `${bound} is within δ=${delta}; served (τ=${exploreProbability.toFixed(4)})`
      : `${bound} is within δ=${delta}; explored to keep labelling near the boundary (τ=${exploreProbability.toFixed(4)})`;
  return { action, reason, errorBound, exploreProbability };
}

function explore(reason: string): PolicyDecision {
  return { action: 'explore', reason, errorBound: 1, exploreProbability: 1 };
}

function lowestCorrectSimilarity(observations: readonly Observation[]): number | undefined {
  let lowest: number | undefined;
  for (const observation of observations) {
    if (observation.correct && (lowest === undefined || observation.similarity < lowest)) lowest = observation.similarity;
  }
  return lowest;
}

function logistic(eta: number): number {
  return eta >= 0 ? 1 / (1 + Math.exp(-eta)) : Math.exp(eta) / (1 + Math.exp(eta));
}

function resolveOptions(options: Partial<PolicyOptions>): Required<Omit<PolicyOptions, 'random' | 'prior'>> {
  const resolved = { ...DEFAULT_POLICY_OPTIONS, ...withoutUndefined(options) };
  if (!(resolved.delta > 0 && resolved.delta < 1)) throw new RangeError(`delta must be in (0, 1), got ${resolved.delta}`);
  if (!(Number.isInteger(resolved.minObservations) && resolved.minObservations >= 2)) {
    throw new RangeError(`minObservations must be an integer of at least 2 (the fit has two parameters), got ${resolved.minObservations}`);
  }
  if (!(resolved.confidence > 0.5 && resolved.confidence < 1)) {
    throw new RangeError(`confidence must be in (0.5, 1), got ${resolved.confidence}`);
  }
  return resolved;
}

function withoutUndefined(options: Partial<PolicyOptions>): Partial<Pick<PolicyOptions, 'delta' | 'minObservations' | 'confidence'>> {
  const picked: Partial<Pick<PolicyOptions, 'delta' | 'minObservations' | 'confidence'>> = {};
  if (options.delta !== undefined) picked.delta = options.delta;
  if (options.minObservations !== undefined) picked.minObservations = options.minObservations;
  if (options.confidence !== undefined) picked.confidence = options.confidence;
  return picked;
}
