// One-sided paired sign-flip (permutation) test for "head scores lower than base". Under the null
// each case's difference is as likely to have either sign, so flipping signs gives the exact null
// distribution of the total, conditional on the observed magnitudes. It is computed exactly whenever
// that is affordable, because gate decisions sit at small alphas where Monte Carlo noise matters most.

import { binomialUpperTail } from "./binomial.js";
import { createUint32Rng } from "./rng.js";

export interface SignFlipOptions {
  /** Monte Carlo draws, used only when no exact method applies. */
  samples?: number;
  seed?: number;
}

/** How the p-value was obtained; reports can say whether it is exact. */
export type SignFlipMethod = "none" | "binomial" | "lattice" | "enumeration" | "monte-carlo";

export interface SignFlipResult {
  p: number;
  method: SignFlipMethod;
}

// Scores are in [0, 1], so differences below this are float residue (0.1 + 0.2 - 0.3), not signal;
// the same tolerance makes sums that are equal on paper count as ties.
export const TOLERANCE = 1e-9;
const MAX_DENOMINATOR = 1000;
const MAX_LATTICE_RANGE = 2_000_000;
// The range bound alone still allows ~10^12 steps (a million cases on a wide lattice); past this the
// exact answer (~0.5 s here) costs more than a Monte Carlo estimate is worth.
const MAX_LATTICE_WORK = 100_000_000;
const MAX_ENUMERATED = 20;
const DEFAULT_SAMPLES = 20_000;
const DEFAULT_SEED = 1;

/** The p-value P(T* <= T_obs) for T = sum(diffs), with the method that produced it. */
export function signFlipTest(diffs: readonly number[], options: SignFlipOptions = {}): SignFlipResult {
  const samples = options.samples ?? DEFAULT_SAMPLES;
  const seed = options.seed ?? DEFAULT_SEED;
  if (!Number.isInteger(samples) || samples < 1) {
    throw new RangeError(`signFlipOneSided: samples must be a positive integer, got ${samples}`);
  }
  if (!Number.isFinite(seed)) throw new RangeError(`signFlipOneSided: seed must be finite, got ${seed}`);
  for (const d of diffs) {
    if (!Number.isFinite(d)) throw new RangeError(`signFlipOneSided: differences must be finite, got ${d}`);
  }

  const nonzero = diffs.filter((d) => Math.abs(d) > TOLERANCE);
  const m = nonzero.length;
  if (m === 0) return { p: 1, method: "none" };

  // With one common magnitude the flipped total is a shifted binomial; this keeps the {-1, 0, 1}
  // case identical to McNemar and costs O(m) however many cases there are.
  const magnitude = Math.abs(nonzero[0] as number);
  if (nonzero.every((d) => Math.abs(Math.abs(d) - magnitude) <= TOLERANCE)) {
    const negatives = nonzero.filter((d) => d < 0).length;
    return { p: binomialUpperTail(negatives, m), method: "binomial" };
  }

  const lattice = toLattice(nonzero);
  if (lattice !== null) {
    const p = latticeLowerTail(lattice);
    if (p !== null) return { p, method: "lattice" };
  }

  if (m <= MAX_ENUMERATED) return { p: enumeratedLowerTail(nonzero), method: "enumeration" };
  return { p: monteCarloLowerTail(nonzero, samples, seed), method: "monte-carlo" };
}

/**
 * One-sided sign-flip test that the per-case differences (head minus base, each in [-1, 1]) are
 * systematically negative. Exact when feasible, otherwise Monte Carlo with a fixed seed.
 */
export function signFlipOneSided(diffs: number[], options?: SignFlipOptions): number {
  return signFlipTest(diffs, options).p;
}

/** The differences as integers on the coarsest grid 1/L that holds them all, if one is small enough. */
function toLattice(diffs: readonly number[]): number[] | null {
  return latticeOf(diffs)?.values ?? null;
}

/** The coarsest grid 1/scale that holds every value (within float residue), with the values on it. */
export function latticeOf(values: readonly number[]): { scale: number; values: number[] } | null {
  for (let scale = 1; scale <= MAX_DENOMINATOR; scale++) {
    if (values.every((d) => Math.abs(d * scale - Math.round(d * scale)) <= TOLERANCE)) {
      return { scale, values: values.map((d) => Math.round(d * scale)) };
    }
  }
  return null;
}

/**
 * Exact null distribution by dynamic programming over integer totals. It tracks the total of the
 * magnitudes that keep a plus sign, P; the flipped statistic is 2P - range, so T* <= T_obs iff
 * P <= P_obs. Returns null when the table or the work would be too large.
 */
function latticeLowerTail(values: readonly number[]): number | null {
  // Ascending order keeps the table short for as long as possible, which minimises the work.
  const magnitudes = values.map((v) => Math.abs(v)).sort((a, b) => a - b);
  let range = 0;
  let work = 0;
  for (const a of magnitudes) {
    range += a;
    work += range;
  }
  if (range > MAX_LATTICE_RANGE || work > MAX_LATTICE_WORK) return null;

  const prob = new Float64Array(range + 1);
  prob[0] = 1;
  let top = 0;
  for (const a of magnitudes) {
    // Downwards, so prob[s - a] still holds the previous step's value when it is read.
    for (let s = top + a; s >= a; s--) prob[s] = 0.5 * ((prob[s] as number) + (prob[s - a] as number));
    for (let s = Math.min(a - 1, top); s >= 0; s--) prob[s] = 0.5 * (prob[s] as number);
    top += a;
  }

  let observed = 0;
  for (const v of values) if (v > 0) observed += v;
  let p = 0;
  for (let s = 0; s <= observed; s++) p += prob[s] as number;
  return Math.min(1, p);
}

/**
 * All 2^m sign patterns, counted by meeting in the middle: each half's totals are built by a short
 * chain of additions (so rounding stays tiny, unlike a million-step running sum) and one half is
 * sorted so the other can count its partners by binary search.
 */
function enumeratedLowerTail(diffs: readonly number[]): number {
  const observed = diffs.reduce((sum, d) => sum + d, 0);
  const half = diffs.length >> 1;
  const left = flippedTotals(diffs.slice(0, half));
  const right = flippedTotals(diffs.slice(half)).sort();
  let count = 0;
  for (const a of left) count += countAtMost(right, observed + TOLERANCE - a);
  return count / 2 ** diffs.length;
}

function flippedTotals(values: readonly number[]): Float64Array {
  const totals = new Float64Array(2 ** values.length);
  let size = 1;
  for (const v of values) {
    for (let i = 0; i < size; i++) {
      const t = totals[i] as number;
      totals[i] = t + v;
      totals[i + size] = t - v;
    }
    size *= 2;
  }
  return totals;
}

function countAtMost(sorted: Float64Array, limit: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((sorted[mid] as number) <= limit) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * (1 + hits) / (1 + samples): counting the observed pattern as one of the draws keeps the estimate
 * a valid p-value (never 0), as usual for Monte Carlo permutation tests.
 */
function monteCarloLowerTail(diffs: readonly number[], samples: number, seed: number): number {
  const limit = diffs.reduce((sum, d) => sum + d, 0) + TOLERANCE;
  const next = createUint32Rng(seed);
  let hits = 0;
  for (let draw = 0; draw < samples; draw++) {
    let total = 0;
    let bits = 0;
    for (let i = 0; i < diffs.length; i++) {
      // One 32-bit draw supplies the signs of 32 cases.
      if ((i & 31) === 0) bits = next();
      const d = diffs[i] as number;
      total += bits & 1 ? d : -d;
      bits >>>= 1;
    }
    if (total <= limit) hits++;
  }
  return (1 + hits) / (1 + samples);
}
