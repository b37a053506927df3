// Seed 000: "anchor up but rotation flat = overfitting; both up = real progress". A change tuned
// against the anchor set (the stable one every PR is measured on) can lift it without helping the
// fresh rotation cases, which is what the task looks like now. This reads that pattern off the
// per-slice results; it is a warning for people, never a gate.

import type { OverfittingSignal, PooledChange, SliceDiff } from "../report-types.js";
import { points, pValue } from "../text/numbers.js";

export type { OverfittingSignal, PooledChange };

export interface OverfittingSets {
  anchor: string;
  rotation: string;
}

/** P(X >= x) for X ~ chi-squared with 2k degrees of freedom: e^{-x/2} Σ_{j<k} (x/2)^j / j!. */
export function chiSquaredEvenSurvival(x: number, k: number): number {
  if (x <= 0) return 1;
  const half = x / 2;
  let logTerm = -half;
  let sum = 0;
  for (let j = 0; j < k; j++) {
    if (j > 0) logTerm += Math.log(half / j);
    sum += Math.exp(logTerm);
  }
  return Math.min(1, sum);
}

/** Fisher's combination of independent one-sided p-values. */
export function fisherCombined(ps: readonly number[]): number {
  if (ps.length === 0) return 1;
  let x = 0;
  for (const p of ps) x += -2 * Math.log(Math.max(p, Number.MIN_VALUE));
  return chiSquaredEvenSurvival(x, ps.length);
}

/**
 * The case-weighted mean of the set's slice deltas, and a one-sided p-value that the set improved,
 * pooled over its slices by Fisher's method on each slice's exact `p_improved` (the slices hold
 * disjoint cases, so their tests are independent; with discrete p-values Fisher is conservative).
 */
export function pooledChange(slices: readonly SliceDiff[], set: string): PooledChange | null {
  const compared = slices.filter((s) => s.set === set && s.delta !== null && s.n > 0);
  if (compared.length === 0) return null;
  let weighted = 0;
  let n = 0;
  for (const s of compared) {
    weighted += s.n * (s.delta as number);
    n += s.n;
  }
  const ps = compared.map((s) => s.p_improved).filter((p): p is number => p !== null);
  return { delta: weighted / n, p: fisherCombined(ps) };
}

/**
 * The overfitting pattern, or null when it does not hold (or a set is missing or has no baseline):
 * - the anchor improved significantly: its pooled delta is positive and either one of its slices
 *   is `improved` (the gate's own Holm-adjusted test) or the pooled test is under `alpha`;
 * - the rotation did not: its pooled delta is <= 0, or none of its slices improved and its pooled
 *   test is not under `alpha` (the same evidence the anchor is held to, so two sets that rose alike
 *   are never told apart by the pooled test alone).
 */
export function overfittingSignal(
  slices: readonly SliceDiff[],
  alpha: number,
  sets: OverfittingSets = { anchor: "anchor", rotation: "rotation" },
): OverfittingSignal | null {
  const anchor = pooledChange(slices, sets.anchor);
  const rotation = pooledChange(slices, sets.rotation);
  if (!anchor || !rotation) return null;
  const improvedIn = (set: string) => slices.some((s) => s.set === set && s.status === "improved");
  const anchorUp = anchor.delta > 0 && (improvedIn(sets.anchor) || anchor.p < alpha);
  const rotationUp = rotation.delta > 0 && (improvedIn(sets.rotation) || rotation.p < alpha);
  if (!anchorUp || rotationUp) return null;
  const movement = rotation.delta < 0 ? "fell" : "stayed flat";
  const p = (x: number) => {
    const t = pValue(x);
    return t.startsWith("<") ? `p < ${t.slice(1)}` : `p = ${t}`;
  };
  const note =
    `${sets.anchor} improved (${points(anchor.delta)}, pooled ${p(anchor.p)}) while ${sets.rotation} ` +
    `${movement} (${points(rotation.delta)}, pooled ${p(rotation.p)}): the change may fit the ${sets.anchor} ` +
    `cases rather than the task. Read the ${sets.anchor} cases that flipped to pass, and run \`eval-gate check\` for cases leaked into the prompt.`;
  return { anchor, rotation, note };
}
