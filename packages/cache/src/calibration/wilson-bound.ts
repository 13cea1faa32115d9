/** z for a two-sided 95% interval: Φ⁻¹(0.975). */
export const Z_95 = 1.959963984540054;

/**
 * The upper end of the Wilson score interval (two-sided, 95% by default) for a rate of `failures`
 * in `trials`: an error rate the data cannot rule out. Chosen over the plain p ± z·√(p(1−p)/n)
 * because it stays honest at zero or few failures — 0 errors in 20 hits still leaves 16.1%
 * possible, where the plain interval would claim 0 — and those are exactly the high thresholds
 * a calibration is about. 1 when there are no trials: nothing is known.
 */
export function wilsonUpperBound(failures: number, trials: number, z: number = Z_95): number {
  if (!(Number.isInteger(trials) && trials >= 0 && Number.isInteger(failures) && failures >= 0 && failures <= trials)) {
    throw new RangeError(`wilsonUpperBound needs whole numbers 0 ≤ failures ≤ trials, got ${failures} of ${trials}`);
  }
  if (trials === 0) return 1;
  const rate = failures / trials;
  const z2 = z * z;
  const centre = rate + z2 / (2 * trials);
  const margin = z * Math.sqrt((rate * (1 - rate)) / trials + z2 / (4 * trials * trials));
  return Math.min(1, (centre + margin) / (1 + z2 / trials));
}
