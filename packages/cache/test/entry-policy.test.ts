import { describe, expect, it } from 'vitest';
import {
  addObservation,
  correctLogitAt,
  decide,
  DEFAULT_POLICY_OPTIONS,
  fitSigmoid,
  MAX_OBSERVATIONS,
  type Observation,
} from '../src/semantic/entry-policy.ts';
import { normalCdf, normalQuantile } from '../src/semantic/normal-distribution.ts';
import { mulberry32, sigmoid } from './entry-policy-simulation.ts';

/** `count` observations at evenly spaced similarities from `low` to `high`, labelled by `correct`. */
function evenly(count: number, low: number, high: number, correct: (similarity: number) => boolean): Observation[] {
  return Array.from({ length: count }, (_, index) => {
    const similarity = low + ((high - low) * index) / (count - 1);
    return { similarity, correct: correct(similarity) };
  });
}

/** `count` observations with similarities uniform on [low, high] and labels from a true sigmoid. */
function sampled(count: number, t: number, gamma: number, low: number, high: number, seed: number): Observation[] {
  const random = mulberry32(seed);
  return Array.from({ length: count }, () => {
    const similarity = low + (high - low) * random();
    return { similarity, correct: random() < sigmoid(gamma * (similarity - t)) };
  });
}

const neverDraw = (): number => {
  throw new Error('the policy drew a random number where its decision was already forced');
};

describe('decide', () => {
  it('explores every lookup until the entry has minObservations labels, whatever the labels say', () => {
    const right = evenly(20, 0.9, 1, () => true);
    for (let count = 0; count < DEFAULT_POLICY_OPTIONS.minObservations; count++) {
      const decision = decide(1, right.slice(0, count), { random: neverDraw });
      expect(decision).toMatchObject({ action: 'explore', errorBound: 1, exploreProbability: 1 });
      expect(decision.reason).toContain(`${count} of ${DEFAULT_POLICY_OPTIONS.minObservations} labelled lookups`);
    }
    expect(decide(1, right.slice(0, 11), { minObservations: 12, random: neverDraw }).action).toBe('explore');
  });

  it('never serves an entry none of whose labels was right, even for the same prompt', () => {
    const wrong = evenly(MAX_OBSERVATIONS, 0.6, 1, () => false);
    const decision = decide(1, wrong, { random: () => 0.999_999 });
    expect(decision).toMatchObject({ action: 'explore', errorBound: 1, exploreProbability: 1 });
    expect(decision.reason).toContain('none of the entry');
  });

  it('explores below the lowest similarity at which the entry was ever right', () => {
    const labels = evenly(64, 0.6, 1, (similarity) => similarity >= 0.8);
    const lowestRight = Math.min(...labels.filter((label) => label.correct).map((label) => label.similarity));
    const decision = decide(lowestRight - 0.001, labels, { random: neverDraw });
    expect(decision).toMatchObject({ action: 'explore', exploreProbability: 1 });
    expect(decision.reason).toContain('below every one at which the entry was right');
  });

  it('serves well above a boundary that many labels pin down, and explores just above it', () => {
    const labels = evenly(MAX_OBSERVATIONS, 0.6, 1, (similarity) => similarity >= 0.8);
    const far = decide(0.99, labels, { random: () => 0.5 });
    expect(far.action).toBe('serve');
    expect(far.errorBound).toBeLessThan(0.001);
    expect(far.exploreProbability).toBeLessThan(0.01);
    const near = decide(0.81, labels, { random: () => 0.999 });
    expect(near).toMatchObject({ action: 'explore', exploreProbability: 1 });
    expect(near.errorBound).toBeGreaterThan(DEFAULT_POLICY_OPTIONS.delta);
  });

  it('explores with probability τ where the bound allows serving: a draw below τ explores, one above serves', () => {
    const labels = evenly(MAX_OBSERVATIONS, 0.6, 1, (similarity) => similarity >= 0.8);
    const probe = decide(0.9, labels, { random: () => 0.5 });
    expect(probe.errorBound).toBeLessThanOrEqual(DEFAULT_POLICY_OPTIONS.delta);
    expect(probe.exploreProbability).toBeGreaterThan(0.01);
    expect(probe.exploreProbability).toBeLessThan(0.99);
    const tau = probe.exploreProbability;
    expect(decide(0.9, labels, { random: () => tau * 0.99 }).action).toBe('explore');
    expect(decide(0.9, labels, { random: () => tau * 1.01 }).action).toBe('serve');
  });

  it('gives the same decision for the same inputs and draws', () => {
    const labels = sampled(MAX_OBSERVATIONS, 0.85, 40, 0.6, 1, 7);
    for (const similarity of [0.8, 0.9, 0.95, 0.99]) {
      expect(decide(similarity, labels, { random: mulberry32(3) })).toEqual(decide(similarity, labels, { random: mulberry32(3) }));
    }
  });

  it('needs a smaller bound for a smaller delta: the same lookup served at δ=0.05 is explored at δ=0.005', () => {
    const labels = sampled(MAX_OBSERVATIONS, 0.85, 40, 0.75, 0.95, 11);
    const similarity = 0.96;
    const loose = decide(similarity, labels, { delta: 0.05, random: () => 0.999 });
    const strict = decide(similarity, labels, { delta: 0.005, random: () => 0.999 });
    expect(loose.action).toBe('serve');
    expect(strict.action).toBe('explore');
    expect(strict.errorBound).toBe(loose.errorBound);
  });

  it('rejects a similarity, delta, confidence or minObservations out of range, naming it', () => {
    const labels = evenly(16, 0.8, 1, () => true);
    expect(() => decide(1.5, labels)).toThrow(/similarity must be a cosine similarity in \[-1, 1\], got 1.5/);
    expect(() => decide(Number.NaN, labels)).toThrow(/similarity/);
    expect(() => decide(0.9, labels, { delta: 0 })).toThrow(/delta must be in \(0, 1\)/);
    expect(() => decide(0.9, labels, { confidence: 0.4 })).toThrow(/confidence must be in \(0.5, 1\)/);
    expect(() => decide(0.9, labels, { minObservations: 1 })).toThrow(/minObservations must be an integer of at least 2/);
  });
});

describe('fitSigmoid', () => {
  it('recovers t and γ from many labels drawn from a known sigmoid', () => {
    const paraphrase = fitSigmoid(sampled(3000, 0.85, 40, 0.6, 1, 1));
    expect(paraphrase.converged).toBe(true);
    expect(Math.abs(paraphrase.t - 0.85)).toBeLessThan(0.01);
    expect(Math.abs(paraphrase.gamma - 40) / 40).toBeLessThan(0.25);
    // The reported standard error of t should be of the size of the actual error, not far smaller.
    expect(Math.abs(paraphrase.t - 0.85)).toBeLessThan(4 * paraphrase.tStandardError);
    const slotSwap = fitSigmoid(sampled(3000, 0.95, 150, 0.85, 1, 2));
    expect(Math.abs(slotSwap.t - 0.95)).toBeLessThan(0.005);
    expect(Math.abs(slotSwap.gamma - 150) / 150).toBeLessThan(0.3);
  });

  it('stays finite on separable, all-right, all-wrong and single-label data', () => {
    const cases: Observation[][] = [
      evenly(MAX_OBSERVATIONS, 0.6, 1, (similarity) => similarity >= 0.8),
      evenly(MAX_OBSERVATIONS, 0.9, 1, () => true),
      evenly(MAX_OBSERVATIONS, 0.6, 1, () => false),
      [{ similarity: 0.9, correct: true }],
      [{ similarity: 0.9, correct: false }],
    ];
    for (const labels of cases) {
      const fit = fitSigmoid(labels);
      expect(fit.converged).toBe(true);
      for (const value of [fit.t, fit.gamma, fit.tStandardError, fit.covariance.intercept, fit.covariance.slope]) {
        expect(Number.isFinite(value)).toBe(true);
      }
    }
    const separated = fitSigmoid(cases[0]!);
    expect(separated.t).toBeGreaterThan(0.79);
    expect(separated.t).toBeLessThan(0.81);
    expect(separated.gamma).toBeLessThan(200);
  });

  it('is cautious where only the prior speaks: 128 right labels in [0.9, 1] bound the error at 0.95 above 2%', () => {
    const labels = evenly(MAX_OBSERVATIONS, 0.9, 1, () => true);
    const logit = correctLogitAt(fitSigmoid(labels), 0.95);
    const errorBound = sigmoid(-(logit.mean - normalQuantile(0.9) * Math.sqrt(logit.variance)));
    // A plain binomial bound on 0 wrong of 128 at 90% is 1.8%; the fit must not claim much better.
    expect(errorBound).toBeGreaterThan(0.015);
    expect(decide(0.95, labels, { random: () => 0.999 }).action).toBe('explore');
  });

  it('rejects no labels and a similarity out of range', () => {
    expect(() => fitSigmoid([])).toThrow(/at least one observation/);
    expect(() => fitSigmoid([{ similarity: 2, correct: true }])).toThrow(/observation.similarity/);
  });
});

describe('addObservation', () => {
  it(`keeps the most recent ${MAX_OBSERVATIONS} labels and leaves the list it was given alone`, () => {
    let list: Observation[] = [];
    for (let index = 0; index < MAX_OBSERVATIONS + 10; index++) {
      const before = list;
      list = addObservation(list, { similarity: index / 1000, correct: index % 2 === 0 });
      expect(before).toHaveLength(Math.min(index, MAX_OBSERVATIONS));
    }
    expect(list).toHaveLength(MAX_OBSERVATIONS);
    expect(list[0]).toEqual({ similarity: 10 / 1000, correct: true });
    expect(list.at(-1)).toEqual({ similarity: (MAX_OBSERVATIONS + 9) / 1000, correct: false });
  });

  it('rejects a similarity that is not a cosine similarity', () => {
    expect(() => addObservation([], { similarity: Number.NaN, correct: true })).toThrow(/observation.similarity/);
    expect(() => addObservation([], { similarity: -1.01, correct: true })).toThrow(/observation.similarity/);
  });
});

describe('normal distribution', () => {
  it('matches known values of Φ and Φ⁻¹', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 7);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1.644854)).toBeCloseTo(0.05, 6);
    expect(normalQuantile(0.9)).toBeCloseTo(1.281552, 5);
    expect(normalQuantile(0.025)).toBeCloseTo(-1.959964, 5);
  });
});
