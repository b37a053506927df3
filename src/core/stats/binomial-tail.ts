// Tails of Binomial(n, p) for any p: the power of the gate's tests, Clopper-Pearson bounds and the
// floor test. Whatever tail is asked for, the one summed is the one with less mass, starting next to
// the mean and walking outwards, where every term is smaller than the one before. The other tail is
// then 1 minus that sum, which loses nothing: a tail that holds the mean's side has mass >= 1/2.
// (Summing the side with fewer terms instead, as an earlier version did, returned a far tail of
// 1e-20 as 1 - 0.99999999999999999999 = 0.)

import { logBinomialPmf } from "./binomial.js";

/** P(X >= k) for X ~ Binomial(n, p); k may be any real (it is rounded up). */
export function binomialAtLeast(k: number, n: number, p: number): number {
  check(n, p);
  const start = Math.ceil(k);
  if (start <= 0) return 1;
  if (start > n || p === 0) return 0;
  if (p === 1) return 1;
  // start > np puts start at or past the mode, so the terms from start upwards only shrink.
  if (start > n * p) return sumOutwards(start, n, p, 1);
  return Math.max(0, 1 - sumOutwards(start - 1, n, p, -1));
}

/** P(X <= k) for X ~ Binomial(n, p); k may be any real (it is rounded down). */
export function binomialAtMost(k: number, n: number, p: number): number {
  check(n, p);
  const end = Math.floor(k);
  if (end < 0) return 0;
  if (end >= n || p === 0) return 1;
  if (p === 1) return 0;
  if (end < n * p) return sumOutwards(end, n, p, -1);
  return Math.max(0, 1 - sumOutwards(end + 1, n, p, 1));
}

function check(n: number, p: number): void {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be in [0, 1], got ${p}`);
}

/**
 * P(X = from) + P(X = from + step) + ... to the end of the support, for a `from` on the far side of
 * the mode from where the sum goes. Each mass is the previous one times a ratio, kept relative to
 * P(X = from) so nothing underflows before the single scaling at the end.
 */
function sumOutwards(from: number, n: number, p: number, step: 1 | -1): number {
  const odds = p / (1 - p);
  let relative = 1;
  let term = 1;
  for (let j = from; step === 1 ? j < n : j > 0; j += step) {
    // P(j+1)/P(j) = (n-j)/(j+1) * p/q; P(j-1)/P(j) = j/(n-j+1) * q/p.
    term *= step === 1 ? ((n - j) / (j + 1)) * odds : j / (n - j + 1) / odds;
    relative += term;
    if (term < relative * 1e-17) break;
  }
  return Math.min(1, Math.exp(logBinomialPmf(from, n, p) + Math.log(relative)));
}
