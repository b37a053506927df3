// The interval of a slice's change (head minus base, mean per case), obtained by inverting the very
// test that decides the slice, so the two can never disagree: the upper end is below 0 exactly when
// the one-sided "worse" p-value is below alpha, and the lower end above 0 exactly when the "better"
// one is. Each end is a one-sided 1 - alpha bound; together they are a 1 - 2·alpha interval.
//
// - Every unit (a case, or a cluster of cases) changed by the same magnitude (single runs: McNemar):
//   conditionally on the m units that changed, the number that went down is Binomial(m, π), and the
//   change is (m·a/N)(1 - 2π). Clopper-Pearson bounds on π, mapped to the change. At π = 1/2 this is
//   the gate's exact binomial test.
// - Otherwise (repeats, clusters): the sign-flip test of "the change is δ" on the shifted unit sums
//   D_c - δ·n_c, inverted over δ. Its p-value only falls as δ grows (each flip pattern's condition
//   Σ_F D_c >= δ Σ_F n_c is monotone in δ), so the accepted δ form a half-line whose end is the
//   bound; at δ = 0 it is the gate's test. The exact null distribution comes from one table of
//   (cases flipped, total flipped) built on the lattice of the sums; past WORK_LIMIT it is replaced
//   by its normal approximation.
// Numerically, the end's side of 0 is taken from the decision's p-value, so float rounding next to
// alpha cannot make the interval and the status disagree.

import { logBinomialPmf } from "./binomial.js";
import { binomialAtLeast } from "./binomial-tail.js";
import { normalCdf } from "./normal.js";
import { latticeOf, TOLERANCE } from "./signflip.js";

/** Per unit (a case, or a cluster of cases that share an origin): the sum of its cases' differences. */
export interface DiffUnits {
  sums: readonly number[];
  /** Cases in each unit. */
  sizes: readonly number[];
}

export interface IntervalOptions {
  /** Each end is a one-sided 1 - alpha bound. */
  alpha: number;
  /** The one-sided p-values the gate decides on: "head is worse" and "head is better". */
  pWorse: number;
  pBetter: number;
}

export type IntervalMethod = "none" | "clopper-pearson" | "sign-flip" | "normal";

// About 20 ms of table; past it (some 150 differing cases on thirds) the normal approximation is close.
const WORK_LIMIT = 10_000_000;
// 2^-44 of the range [-1, 1]: far below the 0.1 points the interval is shown with.
const STEPS = 44;

export function differenceInterval(
  units: DiffUnits,
  options: IntervalOptions,
): { low: number; high: number; method: IntervalMethod } {
  const { alpha } = options;
  const cases = units.sizes.reduce((a, b) => a + b, 0);
  const nonzero = units.sums.filter((s) => Math.abs(s) > TOLERANCE);
  if (cases === 0 || nonzero.length === 0) return { low: 0, high: 0, method: "none" };
  const magnitude = Math.abs(nonzero[0] as number);
  if (nonzero.every((s) => Math.abs(Math.abs(s) - magnitude) <= TOLERANCE)) {
    const down = nonzero.filter((s) => s < 0).length;
    const scale = (nonzero.length * magnitude) / cases;
    const high = scale * (1 - 2 * shareLowerBound(nonzero.length, down, alpha, options.pWorse < alpha));
    const low =
      scale *
      (2 * shareLowerBound(nonzero.length, nonzero.length - down, alpha, options.pBetter < alpha) - 1);
    return { low, high, method: "clopper-pearson" };
  }
  const table = flipTable(units);
  const tail = table ?? normalTail(units);
  return {
    high: clamp(bound(tail, 1, alpha, options.pWorse < alpha)),
    low: clamp(-bound(tail, -1, alpha, options.pBetter < alpha)),
    method: table ? "sign-flip" : "normal",
  };
}

/**
 * Clopper-Pearson lower bound on π from `k` of `m`: the smallest π at which P(Bin(m, π) >= k) reaches
 * alpha. `rejected` (the test at π = 1/2 rejected) says on which side of 1/2 it lies.
 */
function shareLowerBound(m: number, k: number, alpha: number, rejected: boolean): number {
  if (k === 0) return 0;
  let lo = rejected ? 0.5 : 0;
  let hi = rejected ? 1 : 0.5;
  for (let i = 0; i < STEPS * 2 && hi - lo > 1e-16; i++) {
    const mid = (lo + hi) / 2;
    if (binomialAtLeast(k, m, mid) >= alpha) hi = mid;
    else lo = mid;
  }
  // hi is never 1/2 when rejected (it starts at 1 and only moves down to midpoints above 1/2).
  return hi;
}

/** P(the sign-flip test accepts "the change is δ"), for the sums multiplied by `sign`. */
type Tail = (delta: number, sign: 1 | -1) => number;

/** The largest δ the test accepts (a one-sided 1 - alpha bound), on the side of 0 the decision says. */
function bound(accept: Tail, sign: 1 | -1, alpha: number, rejectedAtZero: boolean): number {
  let lo = rejectedAtZero ? -1 : 0;
  let hi = rejectedAtZero ? 0 : 1;
  // Every unit's sum is at least -size, so δ = -1 is always accepted; δ = 1 may be too (few units).
  if (!rejectedAtZero && accept(1, sign) >= alpha) return 1;
  for (let i = 0; i < STEPS; i++) {
    const mid = (lo + hi) / 2;
    if (accept(mid, sign) >= alpha) lo = mid;
    else hi = mid;
  }
  return lo;
}

/**
 * The exact accept probability from the joint null distribution of (cases in flipped units, sum of
 * flipped units), over the units that changed; units that did not change only add cases, so their
 * count is a separate distribution folded in per δ. Null when the table would cost too much.
 */
function flipTable(units: DiffUnits): Tail | null {
  const lattice = latticeOf(units.sums);
  if (!lattice) return null;
  const scale = lattice.scale;
  const groups = new Map<string, { a: number; w: number; count: number }>();
  const zeroSizes = new Map<number, number>();
  let maxW = 0;
  let minS = 0;
  let maxS = 0;
  lattice.values.forEach((a, i) => {
    const w = units.sizes[i] as number;
    if (a === 0) {
      zeroSizes.set(w, (zeroSizes.get(w) ?? 0) + 1);
      return;
    }
    const key = `${a}:${w}`;
    const g = groups.get(key);
    if (g) g.count++;
    else groups.set(key, { a, w, count: 1 });
    maxW += w;
    if (a < 0) minS += a;
    else maxS += a;
  });
  const cols = maxS - minS + 1;
  const rows = maxW + 1;
  const changed = lattice.values.filter((a) => a !== 0).length;
  if (rows * cols * (changed + groups.size) > WORK_LIMIT) return null;

  let dist = new Float64Array(rows * cols);
  dist[-minS] = 1;
  for (const { a, w, count } of groups.values()) {
    const weights = halfBinomial(count);
    const next = new Float64Array(rows * cols);
    for (let i = 0; i < dist.length; i++) {
      const v = dist[i] as number;
      if (v === 0) continue;
      for (let j = 0; j <= count; j++) {
        const at = i + j * (w * cols + a);
        next[at] = (next[at] as number) + v * (weights[j] as number);
      }
    }
    dist = next;
  }
  const reached: number[] = [];
  dist.forEach((p, i) => {
    if (p > 0) reached.push(i);
  });
  const stateW = Float64Array.from(reached, (i) => Math.floor(i / cols));
  const stateS = Float64Array.from(reached, (i) => ((i % cols) + minS) / scale);
  const stateP = Float64Array.from(reached, (i) => dist[i] as number);
  const zeroCdf = cumulative(zeroCount(zeroSizes));
  const cdf = (k: number) => (k < 0 ? 0 : k >= zeroCdf.length ? 1 : (zeroCdf[k] as number));
  return (delta, sign) => {
    let total = 0;
    for (let k = 0; k < stateP.length; k++) {
      const w = stateW[k] as number;
      const p = stateP[k] as number;
      const sum = sign * (stateS[k] as number);
      // Accepted when sum >= δ·(w + Z), Z the cases of unchanged units that were flipped.
      if (delta === 0) {
        if (sum >= -TOLERANCE) total += p;
      } else if (delta > 0) {
        total += p * cdf(Math.floor(sum / delta - w + 1e-9));
      } else {
        total += p * (1 - cdf(Math.ceil(sum / delta - w - 1e-9) - 1));
      }
    }
    return Math.min(1, total);
  };
}

/** The normal approximation of the same accept probability, for slices too large for the table. */
function normalTail(units: DiffUnits): Tail {
  return (delta, sign) => {
    let t = 0;
    let v = 0;
    units.sums.forEach((s, i) => {
      const shifted = sign * s - delta * (units.sizes[i] as number);
      t += shifted;
      v += shifted * shifted;
    });
    if (v <= 0) return t >= 0 ? 1 : 0;
    return normalCdf(t / Math.sqrt(v));
  };
}

/** P(Bin(count, 1/2) = j) for every j, each from its log so large counts do not underflow. */
function halfBinomial(count: number): Float64Array {
  return Float64Array.from({ length: count + 1 }, (_, j) => Math.exp(logBinomialPmf(j, count, 0.5)));
}

/** Distribution of the number of cases in the flipped ones among unchanged units of the given sizes. */
function zeroCount(sizes: Map<number, number>): Float64Array {
  let total = 0;
  for (const [w, c] of sizes) total += w * c;
  let dist = new Float64Array(total + 1);
  dist[0] = 1;
  for (const [w, count] of sizes) {
    const weights = halfBinomial(count);
    const next = new Float64Array(total + 1);
    for (let i = 0; i <= total; i++) {
      const v = dist[i] as number;
      if (v === 0) continue;
      for (let j = 0; j <= count && i + j * w <= total; j++) {
        next[i + j * w] = (next[i + j * w] as number) + v * (weights[j] as number);
      }
    }
    dist = next;
  }
  return dist;
}

function cumulative(dist: Float64Array): Float64Array {
  const out = new Float64Array(dist.length);
  let run = 0;
  dist.forEach((p, i) => {
    run += p;
    out[i] = run;
  });
  return out;
}

function clamp(x: number): number {
  return Math.max(-1, Math.min(1, x));
}
