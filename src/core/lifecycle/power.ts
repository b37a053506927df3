// How small a drop a slice can see: the minimum detectable drop (MDE) of the gate's exact McNemar
// test, so a team knows before a PR whether a slice of 15 cases can catch a 10-point regression
// (it cannot) or only a 40-point one.
//
// The model, exactly as the gate tests:
// - A slice has n cases, each run once on base and on head. The head is worse by a drop d: every
//   case that passes on base (probability p, the base pass rate) fails on head with probability d/p,
//   and no case improves. So each case is, independently, a discordant "worse" pair with
//   probability p · d/p = d, and the number of discordant pairs is M ~ Binomial(n, d), all worse.
// - The one-sided exact McNemar p-value of m discordant pairs that all went the worse way is
//   P(Bin(m, 1/2) >= m) = 0.5^m. The test rejects at level α' when 0.5^m <= α', that is when
//   m >= m*, the smallest such m.
// - α' is the gate's alpha divided by the number of slices in the run: Holm compares the smallest
//   p-value with α/k, so this is the level a slice must reach when it is the only one that moved
//   (the worst case; a slice's real level under Holm is never stricter).
// - Power(d) = P(reject) = Σ_m P(M = m) · 1[0.5^m <= α'] = P(Bin(n, d) >= m*).
// - The MDE is the smallest d on a grid of 0.001 with Power(d) >= the wanted power (0.8). Power is
//   increasing in d, so the grid is searched by bisection. A drop cannot exceed the base pass rate
//   (d/p is a probability), so with p given, no detectable drop <= p means null.
// This is the most favourable case for the test (no case improves, so no discordant pair points
// the other way); a real change that also fixes some cases needs a larger drop to be seen. With
// repeats the gate uses the sign-flip test, whose p-value for m cases that all got worse is also
// 0.5^m, so the same m* and the same MDE hold for "cases whose score dropped".

import type { SliceDiff } from "../types.js";

/** The fewest discordant pairs, all in one direction, the exact McNemar test rejects with at `alpha`. */
export function mcnemarMinDiscordant(alpha: number): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  let m = 1;
  while (0.5 ** m > alpha) m++;
  return m;
}

/** P(X >= k) for X ~ Binomial(n, p), by summing the shorter side's point masses in log space. */
export function binomialAtLeast(k: number, n: number, p: number): number {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!(p >= 0 && p <= 1)) throw new RangeError(`p must be in [0, 1], got ${p}`);
  const start = Math.ceil(k);
  if (start <= 0) return 1;
  if (start > n) return 0;
  if (p === 0) return 0;
  if (p === 1) return 1;
  const lp = Math.log(p);
  const lq = Math.log1p(-p);
  // ln C(n, j) built up from ln C(n, 0) = 0 one ratio at a time.
  const logPmf = (j: number) => {
    let c = 0;
    for (let i = 0; i < j; i++) c += Math.log((n - i) / (i + 1));
    return c + j * lp + (n - j) * lq;
  };
  if (start <= n - start + 1) {
    // The lower side, j < start, is the shorter sum.
    let below = 0;
    let c = 0;
    for (let j = 0; j < start; j++) {
      if (j > 0) c += Math.log((n - j + 1) / j);
      below += Math.exp(c + j * lp + (n - j) * lq);
    }
    return Math.min(1, Math.max(0, 1 - below));
  }
  let above = 0;
  let logTerm = logPmf(start);
  for (let j = start; j <= n; j++) {
    if (j > start) logTerm += Math.log((n - j + 1) / j) + lp - lq;
    above += Math.exp(logTerm);
  }
  return Math.min(1, above);
}

/** The chance the gate's test sees a drop `d` on `n` cases at level `alpha` (the model above). */
export function mcnemarPower(n: number, d: number, alpha: number): number {
  return binomialAtLeast(mcnemarMinDiscordant(alpha), n, d);
}

const GRID = 1000;

/**
 * The smallest drop (0..1, on a 0.001 grid) the one-sided exact McNemar test at level `alpha`
 * detects with probability `power` on `n` cases, under the model above; null when no drop up to
 * `maxDrop` (the base pass rate, default 1) is detectable.
 */
export function minimumDetectableDrop(n: number, alpha: number, power = 0.8, maxDrop = 1): number | null {
  return minimumDetectableDropAt(n, mcnemarMinDiscordant(alpha), power, maxDrop);
}

/** The same, for a test that rejects at `mStar` or more discordant pairs all in one direction. */
export function minimumDetectableDropAt(n: number, mStar: number, power = 0.8, maxDrop = 1): number | null {
  if (!Number.isInteger(n) || n < 0) throw new RangeError(`n must be a non-negative integer, got ${n}`);
  if (!(power > 0 && power < 1)) throw new RangeError(`power must be in (0, 1), got ${power}`);
  if (n < mStar) return null;
  const reaches = (i: number) => binomialAtLeast(mStar, n, i / GRID) >= power;
  // reaches(GRID) holds: with d = 1 every case is discordant, and n >= m*.
  let low = 0;
  let high = GRID;
  while (high - low > 1) {
    const mid = (low + high) >> 1;
    if (reaches(mid)) high = mid;
    else low = mid;
  }
  const d = high / GRID;
  return d <= maxDrop + 1e-12 ? d : null;
}

/**
 * Every slice with its `mde` filled in, for the report. The level is alpha over the slices that
 * were tested (all of them without a baseline); a slice's drop is capped by its base score. In
 * `strict` mode one case that got worse fails a slice, so m* = 1.
 */
export function withMde<S extends Pick<SliceDiff, "n" | "base_score" | "p_value">>(
  slices: readonly S[],
  gate: { alpha: number; mode: "statistical" | "strict" },
  power = 0.8,
): (S & { mde: number | null })[] {
  const tested = slices.filter((s) => s.p_value !== null).length;
  const family = tested > 0 ? tested : slices.length;
  const mStar = gate.mode === "strict" ? 1 : mcnemarMinDiscordant(mdeAlpha(gate.alpha, family));
  return slices.map((s) => ({ ...s, mde: minimumDetectableDropAt(s.n, mStar, power, s.base_score ?? 1) }));
}

/** The per-slice level the MDE is computed at: Holm's first step over `slices` tests. */
export function mdeAlpha(alpha: number, slices: number): number {
  return alpha / Math.max(1, slices);
}
