import { assertSimilarity, type Observation } from './entry-observations.ts';

/**
 * A Gaussian prior on the fit's two coefficients, in the form η = intercept + slope · (s − centre)
 * where η is the log-odds that the entry's answer is right at similarity s and `centre` is the mean
 * similarity of the observations. It is what keeps the fit finite when the data cannot: all
 * correct, all wrong, or perfectly separated by a similarity (where the plain MLE runs γ or t off to
 * infinity).
 */
export interface SigmoidPrior {
  /** Prior mean of the log-odds of a right answer at the observations' mean similarity. */
  interceptMean: number;
  /** Its standard deviation, in log-odds. */
  interceptSd: number;
  /** Prior mean of the slope γ, in log-odds per unit of similarity. */
  slopeMean: number;
  /** Its standard deviation. */
  slopeSd: number;
}

/**
 * The default prior. Intercept N(0, 2.5²): at the entry's typical similarity, right and wrong are a
 * priori even, and anything from about 1% to 99% right is plausible (the scale Gelman et al. 2008
 * recommend for logistic coefficients). Slope N(25, 25²): answers get more likely right as the
 * similarity rises, with boundaries from gentle (γ ≈ 10: from 10% to 90% right over ~0.44 of
 * similarity) to sharp (γ ≈ 75: over ~0.06) within two standard deviations; a sharper one (a slot
 * swap, γ ≈ 150) must be shown by the labels, and until it is, the fit errs towards a gentler
 * slope, which widens the margin above t it asks for before serving. Weak enough that a few dozen
 * labels near the boundary outweigh it; strong enough that separated or one-class data give a
 * finite, cautious fit.
 */
export const DEFAULT_SIGMOID_PRIOR: SigmoidPrior = { interceptMean: 0, interceptSd: 2.5, slopeMean: 25, slopeSd: 25 };

/**
 * The fitted P(correct | s) = 1 / (1 + exp(−γ (s − t))) of one entry, with the covariance of the
 * coefficients (the Laplace approximation: the inverse of the negative Hessian of the log posterior
 * at its mode), from which {@link correctLogitAt} gives a confidence band at any similarity.
 */
export interface SigmoidFit {
  /** The similarity at which the answer is right half of the time; NaN when `gamma` ≤ 0. */
  t: number;
  /** Steepness γ, in log-odds per unit of similarity (equal to `slope`). */
  gamma: number;
  /** Standard error of `t` by the delta method; NaN when `gamma` ≤ 0. */
  tStandardError: number;
  /** The similarity the coefficients are centred on: the mean of the observations'. */
  centre: number;
  /** Log-odds of a right answer at `centre`. */
  intercept: number;
  /** Equal to `gamma`. */
  slope: number;
  /** Var(intercept), Cov(intercept, slope), Var(slope). */
  covariance: { intercept: number; both: number; slope: number };
  /** Observations fitted. */
  observations: number;
  /** Newton steps taken. */
  iterations: number;
  /** False if the steps had not settled after the limit (the last estimate is still returned). */
  converged: boolean;
}

const MAX_ITERATIONS = 100;
const STEP_TOLERANCE = 1e-9;

/**
 * The maximum a posteriori sigmoid for `observations` (at least one) under `prior`: logistic
 * regression of `correct` on `similarity`, solved by Newton's method with step halving. The log
 * posterior is strictly concave (log-likelihood concave, Gaussian prior strictly so), so this
 * converges to the single mode from any start, and the prior keeps that mode finite on any data.
 */
export function fitSigmoid(observations: readonly Observation[], prior: SigmoidPrior = DEFAULT_SIGMOID_PRIOR): SigmoidFit {
  if (observations.length === 0) throw new RangeError('fitSigmoid needs at least one observation');
  for (const observation of observations) assertSimilarity(observation.similarity, 'observation.similarity');
  const centre = observations.reduce((sum, observation) => sum + observation.similarity, 0) / observations.length;
  const xs = observations.map((observation) => observation.similarity - centre);
  const ys = observations.map((observation) => (observation.correct ? 1 : 0));
  let intercept = prior.interceptMean;
  let slope = prior.slopeMean;
  let iterations = 0;
  let converged = false;
  while (iterations < MAX_ITERATIONS && !converged) {
    iterations += 1;
    const curve = curvature(xs, intercept, slope, prior);
    const gradient = gradientAt(xs, ys, intercept, slope, prior);
    const step = solve(curve, gradient);
    const start = logPosterior(xs, ys, intercept, slope, prior);
    let scale = 1;
    while (scale > 1e-6 && logPosterior(xs, ys, intercept + scale * step.intercept, slope + scale * step.slope, prior) < start) {
      scale /= 2;
    }
    intercept += scale * step.intercept;
    slope += scale * step.slope;
    converged = Math.abs(scale * step.intercept) + Math.abs(scale * step.slope) * 0.1 < STEP_TOLERANCE;
  }
  const inverse = invert(curvature(xs, intercept, slope, prior));
  const t = slope > 0 ? centre - intercept / slope : Number.NaN;
  return {
    t,
    gamma: slope,
    tStandardError: slope > 0 ? thresholdStandardError(intercept, slope, inverse) : Number.NaN,
    centre,
    intercept,
    slope,
    covariance: inverse,
    observations: observations.length,
    iterations,
    converged,
  };
}

/**
 * The fitted log-odds that the entry's answer is right at `similarity`, and its variance: the
 * coefficients' approximate posterior is Gaussian, and the log-odds is linear in them, so the
 * log-odds is Gaussian with this mean and variance. This carries the uncertainty in both t and γ.
 */
export function correctLogitAt(fit: SigmoidFit, similarity: number): { mean: number; variance: number } {
  const x = similarity - fit.centre;
  const { intercept, both, slope } = fit.covariance;
  return {
    mean: fit.intercept + fit.slope * x,
    variance: Math.max(0, intercept + 2 * x * both + x * x * slope),
  };
}

type Pair = { intercept: number; slope: number };
type Symmetric = { intercept: number; both: number; slope: number };

function logistic(eta: number): number {
  return eta >= 0 ? 1 / (1 + Math.exp(-eta)) : Math.exp(eta) / (1 + Math.exp(eta));
}

/** log(1 + e^η) without overflow. */
function softplus(eta: number): number {
  return eta > 0 ? eta + Math.log1p(Math.exp(-eta)) : Math.log1p(Math.exp(eta));
}

function logPosterior(xs: number[], ys: number[], intercept: number, slope: number, prior: SigmoidPrior): number {
  let sum = 0;
  for (let index = 0; index < xs.length; index++) {
    const eta = intercept + slope * xs[index]!;
    sum += ys[index]! * eta - softplus(eta);
  }
  const interceptZ = (intercept - prior.interceptMean) / prior.interceptSd;
  const slopeZ = (slope - prior.slopeMean) / prior.slopeSd;
  return sum - 0.5 * (interceptZ * interceptZ + slopeZ * slopeZ);
}

function gradientAt(xs: number[], ys: number[], intercept: number, slope: number, prior: SigmoidPrior): Pair {
  let gIntercept = -(intercept - prior.interceptMean) / prior.interceptSd ** 2;
  let gSlope = -(slope - prior.slopeMean) / prior.slopeSd ** 2;
  for (let index = 0; index < xs.length; index++) {
    const x = xs[index]!;
    const residual = ys[index]! - logistic(intercept + slope * x);
    gIntercept += residual;
    gSlope += residual * x;
  }
  return { intercept: gIntercept, slope: gSlope };
}

/** The negative Hessian of the log posterior: positive definite thanks to the prior. */
function curvature(xs: number[], intercept: number, slope: number, prior: SigmoidPrior): Symmetric {
  let hIntercept = 1 / prior.interceptSd ** 2;
  let hBoth = 0;
  let hSlope = 1 / prior.slopeSd ** 2;
  for (const x of xs) {
    const p = logistic(intercept + slope * x);
    const weight = p * (1 - p);
    hIntercept += weight;
    hBoth += weight * x;
    hSlope += weight * x * x;
  }
  return { intercept: hIntercept, both: hBoth, slope: hSlope };
}

function invert(matrix: Symmetric): Symmetric {
  const determinant = matrix.intercept * matrix.slope - matrix.both * matrix.both;
  return { intercept: matrix.slope / determinant, both: -matrix.both / determinant, slope: matrix.intercept / determinant };
}

function solve(matrix: Symmetric, vector: Pair): Pair {
  const inverse = invert(matrix);
  return {
    intercept: inverse.intercept * vector.intercept + inverse.both * vector.slope,
    slope: inverse.both * vector.intercept + inverse.slope * vector.slope,
  };
}

/** Delta method on t = centre − intercept / slope. */
function thresholdStandardError(intercept: number, slope: number, covariance: Symmetric): number {
  const dIntercept = -1 / slope;
  const dSlope = intercept / (slope * slope);
  const variance =
    dIntercept * dIntercept * covariance.intercept + 2 * dIntercept * dSlope * covariance.both + dSlope * dSlope * covariance.slope;
  return Math.sqrt(Math.max(0, variance));
}
