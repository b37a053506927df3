// How small a drop a slice can see: its minimum detectable drop (MDE), the smallest drop the gate's
// own test detects with 80% power at the slice's real design and under the noise the run showed.
//
// The model:
// - Case i passes a run with probability p_i on base. The slice's base rate is p̄ = mean p_i, and its
//   per-request noise is s = mean p_i(1 - p_i): 0 when every case always passes or always fails, up
//   to p̄(1 - p̄) when every case is a coin with the slice's rate. Power depends on the p_i only
//   through p̄ and s.
// - A drop δ takes the same share f = δ/p̄ of every case's pass probability: q_i = (1 - f) p_i. (The
//   earlier model, "every case that changed got worse and no case is noisy", is s = 0.)
// - Each side runs every case `repeats` times; the slice's total change T = Σ d_i is tested by the
//   gate's one-sided exact test at `level` (alpha over the Holm family: Holm's first step, the level
//   a slice must reach when it alone moved). Cases that share an origin move together: their
//   clusters are the test's units, and `designEffect` is Var(T) over its value for independent cases.
// - Single runs without clusters: the exact McNemar test. A case is worse with probability
//   w = p̄ - (1 - f)(p̄ - s) = δ + (1 - f)s and better with b = (1 - f)s, so the discordant count is
//   Binomial(n, w + b) and the worse among them Binomial(m, w/(w + b)): the power is an exact sum.
// - Otherwise (repeats, clusters): the sign-flip test rejects when T <= -z·sqrt(V0), V0 = Σ D_c² its
//   permutation variance, z the normal quantile of the level. With E[T] = -nδ,
//   Var(T) = deff/r · Σ [p_i(1 - p_i) + q_i(1 - q_i)] and E[V0] = Var(T) + f²(p̄ - s)·Σ n_c², the
//   power is Φ((nδ - z·sqrt(E[V0])) / sd(T + z·sqrt(V0))), the last by the delta method with
//   clusters, sd(T) without.
//   __tests__/unit/power-honest.test.ts checks both paths against simulated power.
// - `strict` fails any net drop, whatever the noise: the power is P(T < 0).

import { binomialAtLeast, binomialUpperTail, logBinomialPmf, normalCdf, normalQuantile } from "./index.js";

export interface NoiseModel {
  /** The slice's base pass rate p̄, 0..1. */
  base: number;
  /** Mean over cases of p_i(1 - p_i), 0..p̄(1 - p̄): the per-request noise. */
  noise: number;
  /** Var(T) over Var(T) for independent cases: 1 without clusters, up to the cluster size. */
  designEffect: number;
}

export interface PowerDesign {
  cases: number;
  /** The test's units: clusters of cases that share an origin; `cases` when there are none. */
  clusters: number;
  /** Runs per case and side. */
  repeats: number;
  /** The level the slice is tested at: alpha / the Holm family's size. */
  level: number;
  mode: "statistical" | "strict";
}

/** The chance the gate's test sees a drop of `drop` (0..1) in a slice of this design and noise. */
export function slicePower(drop: number, design: PowerDesign, noise: NoiseModel): number {
  const { cases: n, repeats: r } = design;
  const base = noise.base;
  if (n === 0 || base <= 0 || drop <= 0) return 0;
  const f = Math.min(1, drop / base);
  const s = Math.max(0, Math.min(noise.noise, base * (1 - base)));
  if (r === 1 && design.clusters === n) return exactSingleRunPower(n, drop, s, f, design);
  const perCase = s + (1 - f) * base - (1 - f) ** 2 * (base - s);
  const varT = (Math.max(1, noise.designEffect) * n * perCase) / r;
  const mean = n * f * base;
  if (design.mode === "strict") {
    // T lives on a lattice of step 1/r, so "T < 0" is "T <= -1/r"; half a step of continuity.
    return varT > 0 ? normalCdf((mean - 0.5 / r) / Math.sqrt(varT)) : mean > 0 ? 1 : 0;
  }
  const units = Math.max(1, design.clusters);
  const meanSquares = f * f * (base - s) * ((n * n) / units);
  const v0 = varT + meanSquares;
  const z = upperQuantile(design.level);
  // The test rejects when X = T + z·sqrt(V0) <= 0. V0 is itself random and grows as T falls, which
  // narrows X: with few units (clusters) that matters. Delta method over units treated as normal:
  // Cov(T, V0) = Σ 2 μ_c σ_c², Var(V0) = Σ (2σ_c⁴ + 4 μ_c² σ_c²). A cluster's sum is near enough
  // normal for that; one case's difference, mostly 0, is not (its D² varies far more than a normal's
  // would, and the terms came out optimistic in simulation), so without clusters they are left out.
  let varX = varT;
  if (units < n) {
    const covTV = (-2 * mean * varT) / units;
    const varV0 = (2 * varT * varT) / units + (4 * meanSquares * varT) / units;
    varX += (z * z * varV0) / (4 * v0) + (z * covTV) / Math.sqrt(v0);
  }
  const margin = mean - z * Math.sqrt(v0);
  return varX > 0 ? normalCdf(margin / Math.sqrt(varX)) : margin > 0 ? 1 : 0;
}

/** Σ_m P(M = m) · P(the worse among m reach the test's threshold), M the discordant pairs. */
function exactSingleRunPower(n: number, drop: number, s: number, f: number, design: PowerDesign): number {
  const worse = drop + (1 - f) * s;
  const better = (1 - f) * s;
  const discordant = Math.min(1, worse + better);
  const share = worse / (worse + better);
  const thresholds = design.mode === "strict" ? null : rejectionThresholds(n, design.level);
  // The smallest count of worse pairs the test rejects with (strict: a net drop).
  const threshold = (m: number) => (thresholds ? (thresholds[m] as number) : Math.floor(m / 2) + 1);
  if (discordant >= 1) {
    const k = threshold(n);
    return k <= n ? Math.min(1, binomialAtLeast(k, n, share)) : 0;
  }
  // M is Binomial(n, discordant): terms more than 12 sd from its mean weigh under 1e-30 together.
  const spread = 12 * Math.sqrt(n * discordant * (1 - discordant)) + 1;
  const from = Math.max(1, Math.floor(n * discordant - spread));
  const to = Math.min(n, Math.ceil(n * discordant + spread));
  // P(M = m) by its ratio from one m to the next, and the worse pairs' tail by a walk (TailWalk):
  // O(1) a term instead of a logarithm and a tail summed afresh (an MDE search asks ~11 powers).
  const odds = discordant / (1 - discordant);
  let pm = Math.exp(logBinomialPmf(from, n, discordant));
  const tail = new TailWalk(share);
  let power = 0;
  for (let m = from; m <= to; m++) {
    if (m > from) pm *= ((n - m + 1) / m) * odds;
    const k = threshold(m);
    if (k <= m && pm > 0) power += pm * tail.atLeast(k, m);
  }
  return Math.min(1, power);
}

/**
 * P(X_m >= k) for X_m ~ Binomial(m, p), asked for m = m0, m0 + 1, ... with k never falling and
 * rising by at most one a step (a threshold table's shape): it carries the tail and the masses
 * P(X_m = k - 1) and P(X_m = k) from one question to the next (Pascal's rule: P(X_m+1 >= k) =
 * P(X_m >= k) + p P(X_m = k - 1)) instead of summing each tail afresh. Any other question, and
 * every 64th, is answered by binomialAtLeast, and the walk starts again from there.
 */
class TailWalk {
  private m = -1;
  private k = 0;
  private tail = 0;
  private a = 0;
  private b = 0;
  private steps = 0;
  private readonly ratio: number;

  constructor(private readonly p: number) {
    this.ratio = p / (1 - p);
  }

  atLeast(k: number, m: number): number {
    const { p } = this;
    if (p >= 1) return k <= m ? 1 : 0;
    if (m !== this.m + 1 || k < this.k || k > this.k + 1 || ++this.steps % 64 === 0) {
      this.m = m;
      this.k = k;
      this.tail = binomialAtLeast(k, m, p);
      this.a = k >= 1 ? Math.exp(logBinomialPmf(k - 1, m, p)) : 0;
      this.b = k <= m ? Math.exp(logBinomialPmf(k, m, p)) : 0;
      return this.tail;
    }
    // One more pair at the same threshold: each mass by Pascal's rule.
    const below = this.k >= 2 ? (this.a * (this.k - 1)) / ((this.m - this.k + 2) * this.ratio) : 0;
    this.tail += p * this.a;
    this.b = p * this.a + (1 - p) * this.b;
    this.a = p * below + (1 - p) * this.a;
    this.m = m;
    if (k > this.k) {
      // The threshold rises by one: its mass leaves the tail.
      this.tail -= this.b;
      this.a = this.b;
      this.b = k <= m ? this.b * ((m - this.k) / (this.k + 1)) * this.ratio : 0;
      this.k = k;
    }
    this.tail = Math.min(1, Math.max(0, this.tail));
    return this.tail;
  }
}

/**
 * Per m = 0..n, the smallest count of worse pairs among m discordant ones that the exact one-sided
 * test rejects at `level` (m + 1 when none does); it never decreases with m. Remembered per (n,
 * level): an MDE search asks for the same ones at every step.
 *
 * One walk up m, in O(n): for X_m ~ Binomial(m, 1/2) it carries the threshold k, the tail
 * T = P(X_m >= k) and the masses a = P(X_m = k - 1) and b = P(X_m = k). Raising k takes b off T;
 * one more pair adds half of a to it (Pascal: P(X_m+1 >= k) = P(X_m >= k) + P(X_m = k - 1) / 2),
 * and the masses move by their ratios. Summing each tail afresh (binomialUpperTail) gives the same
 * table (a test compares them) in O(n^1.5): ~10 ms for n = 1,000, at the end of every run.
 */
const thresholdTables = new Map<string, Int32Array>();
export function rejectionThresholds(n: number, level: number): Int32Array {
  const key = `${n}:${level}`;
  let table = thresholdTables.get(key);
  if (table) return table;
  table = new Int32Array(n + 1);
  // m = 0: X_0 = 0, so k = 0 has T = 1 and k = 1 has T = 0 (a = P(X_0 = 0) = 1, b = 0).
  let k = 0;
  let tail = 1;
  let a = 0;
  let b = 1;
  for (let m = 0; ; m++) {
    // Within rounding of the level (a tie, as at level 1/2), binomialUpperTail decides, as it
    // does for the test's own p-values.
    const above = () =>
      Math.abs(tail - level) <= 1e-9 * level ? binomialUpperTail(k, m) > level : tail > level;
    while (k <= m && above()) {
      tail -= b;
      a = b;
      b = (b * (m - k)) / (k + 1);
      k++;
    }
    // Rounding must not carry a tail that is exactly 0 (k = m + 1) below it.
    if (k === m + 1) tail = 0;
    table[m] = k;
    if (m === n) break;
    // m -> m + 1 at the same k: both masses by Pascal's rule, the tail by half of a.
    tail += a / 2;
    const below = k >= 2 ? (a * (k - 1)) / (m - k + 2) : 0;
    b = (a + b) / 2;
    a = (a + below) / 2;
  }
  if (thresholdTables.size > 256) thresholdTables.clear();
  thresholdTables.set(key, table);
  return table;
}

/** z with P(Z > z) = level; remembered, since an MDE search asks for the same level many times. */
const quantiles = new Map<number, number>();
function upperQuantile(level: number): number {
  let z = quantiles.get(level);
  if (z === undefined) {
    z = normalQuantile(1 - level);
    if (quantiles.size > 1000) quantiles.clear();
    quantiles.set(level, z);
  }
  return z;
}

const GRID = 1000;

/**
 * The smallest drop (0..1, on a 0.001 grid) detected with probability `power`; null when no drop
 * up to the base rate is (a drop cannot take more than every pass).
 */
export function minimumDetectableDrop(design: PowerDesign, noise: NoiseModel, power = 0.8): number | null {
  if (!Number.isInteger(design.cases) || design.cases < 0) {
    throw new RangeError(`cases must be a non-negative integer, got ${design.cases}`);
  }
  if (!(power > 0 && power < 1)) throw new RangeError(`power must be in (0, 1), got ${power}`);
  const top = Math.floor(noise.base * GRID + 1e-9);
  const reaches = (i: number) => slicePower(i / GRID, design, noise) >= power;
  if (top < 1 || !reaches(top)) return null;
  // Power grows with the drop, so the grid is searched by bisection.
  let low = 0;
  let high = top;
  while (high - low > 1) {
    const mid = (low + high) >> 1;
    if (reaches(mid)) high = mid;
    else low = mid;
  }
  return high / GRID;
}

/**
 * The noise model of a slice from what its run showed: per-case variances from repeats when there
 * are any, else the share of cases whose single runs disagree between the sides (each such pair has
 * chance 2 p_i(1 - p_i) under no change, so half the share estimates s; a real change adds to it,
 * which only makes the MDE more cautious), else no information: every case a coin with the base rate.
 */
export function fitNoise(fit: {
  base: number;
  caseVariance?: number | null;
  discordance?: number | null;
  designEffect?: number;
}): NoiseModel {
  const most = fit.base * (1 - fit.base);
  const raw = fit.caseVariance ?? (fit.discordance == null ? most : fit.discordance / 2);
  return {
    base: fit.base,
    noise: Math.max(0, Math.min(most, raw)),
    designEffect: Math.max(1, fit.designEffect ?? 1),
  };
}

/** The per-slice level of the MDE: Holm's first step over a family of `size` tests. */
export function mdeAlpha(alpha: number, size: number): number {
  return alpha / Math.max(1, size);
}
