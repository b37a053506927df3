// The standard normal distribution, for power calculations and the large-slice fallback of the
// interval. Never for a p-value the gate decides on: those are exact.

/** Φ(z), with ~1e-13 relative accuracy in both tails. */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) return Number.NaN;
  const x = Math.abs(z) / Math.SQRT2;
  // erfc(x) is what the tail needs; 1 - erf(x) only while erf(x) is not yet close to 1.
  const tail = x < 2.5 ? 1 - erfSeries(x) : erfcContinuedFraction(x);
  return z < 0 ? 0.5 * tail : 1 - 0.5 * tail;
}

/** z with Φ(z) = p, by bisection: called a few times per slice, so plain and certain beats fast. */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile: p must be in (0, 1), got ${p}`);
  let lo = -38;
  let hi = 38;
  for (let i = 0; i < 200 && hi - lo > 1e-13; i++) {
    const mid = (lo + hi) / 2;
    if (normalCdf(mid) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1)); alternating terms stay below e^(x²) ≈ 500 here. */
function erfSeries(x: number): number {
  const x2 = x * x;
  let power = x;
  let sum = x;
  for (let n = 1; n < 200; n++) {
    power *= -x2 / n;
    const term = power / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}

/** erfc(x) = e^(-x²)/√π · 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated from the bottom. */
function erfcContinuedFraction(x: number): number {
  let t = x;
  for (let n = 80; n >= 1; n--) t = x + n / 2 / t;
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * t);
}
