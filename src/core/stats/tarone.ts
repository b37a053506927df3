import { holm } from "./holm.js";

/** One hypothesis of a family: its p-value (null: not tested) and the smallest p-value it could reach. */
export interface FamilyTest {
  p: number | null;
  /** The smallest p-value the test can produce given what it conditions on (e.g. 2^-m for m discordant pairs). */
  pMin: number;
}

export interface FamilyResult {
  /** Holm-adjusted p-values; a test left out of the family gets min(1, K·p), which is above alpha. */
  adjusted: (number | null)[];
  /** Whether each test is in the Holm family (false: it could not reach significance, or was not run). */
  included: boolean[];
  /** Tarone's K: the family size the inclusion rule settled on (>= the number included). */
  size: number;
}

/**
 * Holm over the tests that can reach significance (Tarone 1990, step-down as in Hommel & Krummenauer
 * 1998). K is the smallest k >= 1 such that at most k tests have pMin <= alpha/k; the family is those
 * tests, and Holm runs over them.
 *
 * Why this keeps the family-wise error rate: pMin depends only on what the exact test conditions on
 * (the magnitudes of the differences, the number of runs), and under the null those carry no
 * information about the signs, so conditionally on them the family is fixed and each p-value in it
 * is still valid; Holm over a fixed family of valid p-values controls the FWER at alpha. A test left
 * out has pMin > alpha/K >= alpha/|family|, so it could not have been rejected at Holm's first step
 * anyway, yet counting it would have made every other test stricter: that is the power recovered.
 *
 * With `tarone: false` every test with a p-value is in the family (plain Holm).
 */
export function taroneHolm(tests: readonly FamilyTest[], alpha: number, tarone = true): FamilyResult {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`taroneHolm: alpha must be in (0, 1), got ${alpha}`);
  const tested = tests.map((t) => t.p !== null);
  const count = tested.filter(Boolean).length;
  let size = count;
  let included = tested;
  if (tarone && count > 0) {
    const reachable = (k: number) =>
      tests.map((t, i) => (tested[i] as boolean) && t.pMin <= (alpha / k) * (1 + 1e-12));
    for (let k = 1; k <= count; k++) {
      const inFamily = reachable(k);
      if (inFamily.filter(Boolean).length <= k) {
        size = k;
        included = inFamily;
        break;
      }
    }
  }
  const inner = holm(tests.map((t, i) => (included[i] ? t.p : null)));
  const adjusted = tests.map((t, i) => {
    if (t.p === null) return null;
    if (included[i]) return inner[i] ?? null;
    return Math.min(1, size * t.p);
  });
  return { adjusted, included, size };
}
