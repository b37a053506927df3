// Tails of Binomial(n, 1/2), for McNemar and the equal-magnitude sign-flip test. The point mass is
// computed in log space with Loader's saddle-point split (Stirling remainders plus a deviance term),
// so it keeps ~1e-14 relative accuracy where naive log-factorial differences lose ~1e-11 by n = 5000.

const LN_2PI = Math.log(2 * Math.PI);

/** ln(m!) - ln(sqrt(2 pi m) (m/e)^m) for small m, from exact factorials (15! < 2^53). */
const SMALL_STIRLING_ERROR: number[] = (() => {
  const table = [Number.NaN];
  let factorial = 1;
  for (let m = 1; m <= 15; m++) {
    factorial *= m;
    table.push(Math.log(factorial) - 0.5 * (LN_2PI + Math.log(m)) - m * Math.log(m) + m);
  }
  return table;
})();

/** The Stirling remainder of ln(m!) for an integer m >= 1. */
function stirlingError(m: number): number {
  const small = SMALL_STIRLING_ERROR[m];
  if (small !== undefined) return small;
  // Beyond 15 the next series term is below 1e-16 of the total.
  const m2 = m * m;
  return (1 / 12 - (1 / 360 - (1 / 1260 - (1 / 1680 - 1 / 1188 / m2) / m2) / m2) / m2) / m;
}

/**
 * x ln(x/mean) + mean - x. Near x = mean the direct form cancels catastrophically, so there it is
 * expanded in v = (x - mean)/(x + mean), whose terms are all positive.
 */
function deviance(x: number, mean: number): number {
  if (Math.abs(x - mean) < 0.1 * (x + mean)) {
    let v = (x - mean) / (x + mean);
    let sum = (x - mean) * v;
    let term = 2 * x * v;
    v *= v;
    for (let j = 1; j < 1000; j++) {
      term *= v;
      const next = sum + term / (2 * j + 1);
      if (next === sum) return next;
      sum = next;
    }
    return sum;
  }
  // log1p of the exact difference avoids first rounding x/mean, which x would then amplify.
  return x * Math.log1p((x - mean) / mean) + mean - x;
}

/**
 * ln P(X = k) for X ~ Binomial(n, p), integer 0 <= k <= n, 0 < p < 1. Loader's split keeps the
 * relative accuracy of the mass itself, which the tails below start from.
 */
export function logBinomialPmf(k: number, n: number, p: number): number {
  const q = 1 - p;
  if (k === 0) return n * Math.log1p(-p);
  if (k === n) return n * Math.log(p);
  return (
    stirlingError(n) -
    stirlingError(k) -
    stirlingError(n - k) -
    deviance(k, n * p) -
    deviance(n - k, n * q) +
    0.5 * Math.log(n / (2 * Math.PI * k * (n - k)))
  );
}

function logHalfBinomialPmf(k: number, n: number): number {
  return logBinomialPmf(k, n, 0.5);
}

/** P(X >= k) for X ~ Binomial(n, 1/2); k may be any real (it is rounded up). */
export function binomialUpperTail(k: number, n: number): number {
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`binomialUpperTail: n must be a non-negative integer, got ${n}`);
  if (Number.isNaN(k)) throw new RangeError("binomialUpperTail: k is NaN");
  const start = Math.ceil(k);
  if (start <= 0) return 1;
  if (start > n) return 0;
  // Only ever sum the short side: the long side is its complement, and since that side's mass
  // exceeds 1/2, the subtraction loses no relative accuracy.
  if (2 * start <= n) return 1 - upperTailAboveMedian(n - start + 1, n);
  return upperTailAboveMedian(start, n);
}

/** P(X >= k) for n/2 < k <= n, where successive point masses shrink, so the sum converges fast. */
function upperTailAboveMedian(k: number, n: number): number {
  // Summing masses relative to P(X = k) and scaling once at the end avoids underflowing each term.
  let relative = 1;
  let term = 1;
  for (let i = k; i < n; i++) {
    term *= (n - i) / (i + 1);
    relative += term;
    if (term < relative * 1e-17) break;
  }
  return Math.exp(logHalfBinomialPmf(k, n) + Math.log(relative));
}

/**
 * Exact one-sided McNemar test that head is worse: of the discordant pairs, `worse` went from pass
 * on base to fail on head, `better` the reverse. Returns P(X >= worse), X ~ Binomial(worse + better, 1/2).
 */
export function mcnemarOneSided(worse: number, better: number): number {
  for (const [name, value] of [
    ["worse", worse],
    ["better", better],
  ] as const) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`mcnemarOneSided: ${name} must be a non-negative integer, got ${value}`);
    }
  }
  if (worse + better === 0) return 1;
  return binomialUpperTail(worse, worse + better);
}
