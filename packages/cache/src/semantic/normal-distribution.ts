/**
 * The standard normal CDF Φ(x). Uses erf from Abramowitz & Stegun 7.1.26 (absolute error below
 * 1.5e-7), which is ample for comparing tail probabilities with levels such as 0.05; written here
 * rather than taken from jstat because the policy needs nothing else from a statistics library.
 */
export function normalCdf(x: number): number {
  if (x === Number.POSITIVE_INFINITY) return 1;
  if (x === Number.NEGATIVE_INFINITY) return 0;
  return 0.5 * (1 + erf(x / Math.SQRT2));
}

/**
 * The standard normal quantile Φ⁻¹(p) for p in (0, 1), by bisection on {@link normalCdf}: exact
 * to that function's accuracy, and it is computed once per decision, so speed does not matter.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`a normal quantile needs p in (0, 1), got ${p}`);
  let low = -10;
  let high = 10;
  for (let step = 0; step < 64; step++) {
    const middle = (low + high) / 2;
    if (normalCdf(middle) < p) low = middle;
    else high = middle;
  }
  return (low + high) / 2;
}

/** erf(x), Abramowitz & Stegun 7.1.26. */
function erf(x: number): number {
  const sign = x < 0 ? -1 : 1;
  const z = Math.abs(x);
  const t = 1 / (1 + 0.3275911 * z);
  const polynomial =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  return sign * (1 - polynomial * Math.exp(-z * z));
}
