/**
 * The one part of jstat (untyped, CommonJS) Gantry uses: the Student-t quantile. Loaded as the
 * module's default export, which holds `jStat`.
 */
declare module 'jstat' {
  interface StudentT {
    /** The quantile: the t with P(T ≤ t) = `p` for `degreesOfFreedom` degrees of freedom. */
    inv(p: number, degreesOfFreedom: number): number;
  }
  const jstat: { jStat: { studentt: StudentT } };
  export default jstat;
}
