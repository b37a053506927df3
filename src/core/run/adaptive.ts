// `repeats: auto`: every case runs once a side; a case whose two sides differ so far runs again,
// on both sides, until they agree or it has `max_repeats` runs a side. The gate's test is then the
// sign-flip test on per-case mean differences, over all runs of each case (compare.ts).
//
// Why that test stays exact. H0, per case i: the runs of i are independent of other cases, and
// the joint law of i's runs is unchanged when the labels base/head of all of them are swapped
// (both sides pass with the same probability per request). Let s swap the labels of every run of
// i. The rule decides after each round from (passes, graded runs) of both sides, and it is
// symmetric: rerunSelected(b, h) = rerunSelected(h, b). By induction over rounds, a path and its
// swap get the same decisions, so the same number of rounds N_i; and the mean difference D_i
// becomes -D_i. Under H0 the swapped path is as likely as the path, so (N_i, D_i) and (N_i, -D_i)
// have the same law: given |D_i|, the sign of D_i is a fair coin. The rule reads nothing of
// another case, so the signs are independent across cases: exactly the null distribution the
// sign-flip test enumerates, conditional on the magnitudes. Nothing else is needed, whatever
// the cases' pass rates, the noise or the number of rounds each case got.
//
// What would break it: a rule that is not symmetric ("rerun while head looks worse" shrinks the
// drops it rechecks and leaves the gains whole), or one that reads the slice's signed total or an
// interim p-value ("stop once p looks decided"), which is a sequential test: its error rate
// grows with the looks unless alpha is spent across them (group-sequential bounds). Neither is
// done here; bench/stats/adaptive.ts measures both this rule and a peeking one.
//
// pass^k is not reported under auto: a case's run count is chosen by its data, so the cases with
// k runs are not a sample of the slice.
import { AGGREGATE_SLICE } from "../config/sets.js";
import type { SliceDiff } from "../report-types.js";
import type { CaseResult, CaseSideResult, Visibility } from "../types.js";

export const DEFAULT_MAX_REPEATS = 5;

/** How many runs a case gets: `repeats` each, or under auto at least 1 and at most `repeats`. */
export interface RepeatDesign {
  adaptive: boolean;
  repeats: number;
}

export function repeatDesign(config: {
  repeats: number | "auto";
  max_repeats?: number | undefined;
}): RepeatDesign {
  return config.repeats === "auto"
    ? { adaptive: true, repeats: config.max_repeats ?? DEFAULT_MAX_REPEATS }
    : { adaptive: false, repeats: config.repeats };
}

/**
 * Whether a case runs another round on both sides: its sides' pass rates over the graded runs so
 * far differ, and it has fewer than `max` rounds. A side with no graded run (every run errored)
 * has nothing to compare, so the case stops; errors are counted, not retried. Symmetric in the
 * two sides, which is what keeps the test exact (the argument at the top of this file).
 */
export function rerunSelected(
  base: Pick<CaseSideResult, "runs" | "passes">,
  head: Pick<CaseSideResult, "runs" | "passes">,
  rounds: number,
  max: number,
): boolean {
  if (rounds >= max || base.runs === 0 || head.runs === 0) return false;
  // Cross-multiplied, so 1/2 and 2/4 are equal without float residue.
  return base.passes * head.runs !== head.passes * base.runs;
}

/** Runs of a case beyond its first on each side (errored runs too: they were paid for). */
export function extraRunsOf(c: Pick<CaseResult, "base" | "head">): number {
  const beyond = (s: CaseSideResult | null) => (s ? Math.max(0, s.runs + s.errors - 1) : 0);
  return beyond(c.base) + beyond(c.head);
}

/**
 * Each slice with what `repeats: auto` spent on it beyond one run per case and side, and on how
 * many cases; grouped as compareSlices groups (an aggregate-only set is one slice).
 */
export function withExtraRuns<S extends Pick<SliceDiff, "set" | "slice">>(
  slices: readonly S[],
  sets: readonly { name: string; visibility: Visibility }[],
  cases: readonly CaseResult[],
): (S & { extra_runs: number; rerun_cases: number })[] {
  const aggregate = new Set(sets.filter((s) => s.visibility === "aggregate").map((s) => s.name));
  const spent = new Map<string, { extra_runs: number; rerun_cases: number }>();
  for (const c of cases) {
    const key = `${c.set}\u0000${aggregate.has(c.set) ? AGGREGATE_SLICE : c.slice}`;
    const entry = spent.get(key) ?? { extra_runs: 0, rerun_cases: 0 };
    const extra = extraRunsOf(c);
    entry.extra_runs += extra;
    if (extra > 0) entry.rerun_cases++;
    spent.set(key, entry);
  }
  return slices.map((s) => ({
    ...s,
    ...(spent.get(`${s.set}\u0000${s.slice}`) ?? { extra_runs: 0, rerun_cases: 0 }),
  }));
}
