/** Special functions JavaScript's Math lacks, to double precision. */

const TWO_OVER_SQRT_PI = 2 / Math.sqrt(Math.PI);

/**
 * The error function. Below |x| = 6 it sums erf(x) = 2/√π · e^(-x²) · Σ 2ⁿ x^(2n+1) / (1·3·…·(2n+1)), whose
 * terms are all positive (no cancellation, relative error ~1e-14 at worst); from 6 on, erf(x) rounds to ±1.
 */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (!(ax < 6)) return ax !== ax ? NaN : Math.sign(x);
  const doubled = 2 * ax * ax;
  let term = ax;
  let sum = ax;
  for (let k = 1; term > sum * 1e-17; k++) {
    term *= doubled / (2 * k + 1);
    sum += term;
  }
  const value = TWO_OVER_SQRT_PI * Math.exp(-ax * ax) * sum;
  return x < 0 || Object.is(x, -0) ? -value : value;
}
