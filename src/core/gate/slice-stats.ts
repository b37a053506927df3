// One slice's numbers, before the family of tests of the whole run is known: scores, the paired
// test on its units (clusters of cases that share an origin), the interval that inverts that test,
// the floor test, and the noise the MDE is computed under.

import type { SliceDiff, SliceStatus } from "../report-types.js";
import {
  binomialAtMost,
  type DiffUnits,
  differenceInterval,
  passHatK,
  signFlipTest,
} from "../stats/index.js";
import type { CaseResult, CaseSideResult } from "../types.js";
import type { GateOptions } from "./options.js";
import { caseScore } from "./reduce.js";

/** A slice's diff and what the run's family needs to know about its tests. */
export interface MeasuredSlice {
  diff: SliceDiff;
  /** The smallest p-value the regression test could reach (2^-units that changed); null: no test. */
  pMin: number | null;
  /** The floor test's smallest reachable p-value; null without a floor test. */
  floorMin: number | null;
  /** What the gate's test was run on, kept for the MDE. */
  caseVariance: number | null;
  discordance: number | null;
}

/**
 * The unit a case is tested in: its `cluster`, else the original a perturbed variant was derived
 * from, else itself. A variant's original carries its own id, so it joins its variants.
 */
export function clusterKey(c: Pick<CaseResult, "id" | "cluster" | "original">): string {
  return c.cluster ?? c.original ?? c.id;
}

export function sliceStats(
  set: string,
  slice: string,
  group: CaseResult[],
  gate: GateOptions,
  agg: boolean,
): MeasuredSlice {
  const hasBase = group.some((c) => c.base !== null);
  const paired = group.filter(
    (c) => caseScore(c.head) !== null && (!hasBase || (c.base && caseScore(c.base) !== null)),
  );
  const headScores = paired.map((c) => caseScore(c.head) as number);
  const head_score = mean(headScores);
  const units = unitsOf(paired);
  const floor = floorTest(paired, gate.floor);
  const common = {
    set,
    slice,
    n: paired.length,
    head_score,
    // Over every case the side ran, paired or not: a case whose runs all errored has not passed k.
    pass_k_head: passK(
      group.map((c) => c.head),
      gate.repeats,
    ),
    undersampled: paired.length < gate.min_slice_n,
    aggregate: agg,
    status: "unchanged" as SliceStatus,
    p_adjusted: null,
    p_improved_adjusted: null,
    ci_level: Math.max(0, 1 - 2 * gate.alpha),
    clusters: units.length,
    ...(floor ? { p_floor: floor.p, p_floor_adjusted: null } : {}),
  };
  const headVariance = caseVariance(paired.map((c) => c.head));
  if (!hasBase || paired.length === 0) {
    return {
      diff: {
        ...common,
        base_score: null,
        delta: null,
        ci_low: null,
        ci_high: null,
        p_value: null,
        p_improved: null,
        pass_k_base: null,
      },
      pMin: null,
      floorMin: floor?.pMin ?? null,
      caseVariance: headVariance,
      discordance: null,
    };
  }
  const baseScores = paired.map((c) => caseScore(c.base as CaseSideResult) as number);
  const d = headScores.map((h, i) => h - (baseScores[i] as number));
  const diffUnits: DiffUnits = {
    sums: units.map((u) => u.reduce((s, i) => s + (d[i] as number), 0)),
    sizes: units.map((u) => u.length),
  };
  const worse = signFlipTest(diffUnits.sums);
  const better = signFlipTest(diffUnits.sums.map((x) => -x));
  const ci = differenceInterval(diffUnits, { alpha: gate.alpha, pWorse: worse.p, pBetter: better.p });
  const changed = diffUnits.sums.filter((x) => Math.abs(x) > 1e-9).length;
  const baseVariance = caseVariance(paired.map((c) => c.base as CaseSideResult));
  const variances = [baseVariance, headVariance].filter((v): v is number => v !== null);
  const singleRuns = paired.every((c) => c.head.runs === 1 && c.base?.runs === 1);
  const caseSquares = d.reduce((s, x) => s + x * x, 0);
  const unitSquares = diffUnits.sums.reduce((s, x) => s + x * x, 0);
  return {
    diff: {
      ...common,
      base_score: mean(baseScores),
      delta: mean(d),
      ci_low: ci.low,
      ci_high: ci.high,
      p_value: worse.p,
      p_improved: better.p,
      pass_k_base: passK(
        group.flatMap((c) => (c.base ? [c.base] : [])),
        gate.repeats,
      ),
      design_effect: caseSquares > 0 ? Math.max(1, unitSquares / caseSquares) : 1,
    },
    pMin: 0.5 ** changed,
    floorMin: floor?.pMin ?? null,
    caseVariance: variances.length > 0 ? mean(variances) : null,
    discordance: singleRuns ? d.filter((x) => x !== 0).length / d.length : null,
  };
}

/** The cases' indices grouped by cluster, in the order clusters first appear. */
function unitsOf(cases: readonly CaseResult[]): number[][] {
  const byKey = new Map<string, number[]>();
  cases.forEach((c, i) => {
    const key = clusterKey(c);
    const unit = byKey.get(key);
    if (unit) unit.push(i);
    else byKey.set(key, [i]);
  });
  return [...byKey.values()];
}

/**
 * The exact one-sided test that the head's real score is under the floor: P(Bin(N, floor) <= X) for
 * X passes in N graded runs. Valid whether the cases are a sample of a larger population (then X is
 * binomial) or fixed with per-case rates p_i (then X is Poisson-binomial, whose lower tail the
 * binomial one bounds in the region that matters, Hoeffding 1956). With equal runs per case X/N is
 * the head score itself.
 */
function floorTest(cases: readonly CaseResult[], floor: number | null): { p: number; pMin: number } | null {
  if (floor === null || floor <= 0 || cases.length === 0) return null;
  let passes = 0;
  let runs = 0;
  for (const c of cases) {
    passes += c.head.passes;
    runs += c.head.runs;
  }
  return { p: binomialAtMost(passes, runs, floor), pMin: binomialAtMost(0, runs, floor) };
}

/**
 * Mean over cases with at least two graded runs of the unbiased estimate of p_i(1 - p_i),
 * x(r - x) / (r(r - 1)); null when no case has two runs.
 */
function caseVariance(sides: readonly CaseSideResult[]): number | null {
  const values = sides
    .filter((s) => s.runs >= 2)
    .map((s) => (s.passes * (s.runs - s.passes)) / (s.runs * (s.runs - 1)));
  return values.length > 0 ? mean(values) : null;
}

/**
 * pass^k over every case. A run that errored did not pass, so it counts as a run that failed here
 * (the slice's score, by contrast, leaves errored runs out): a case that errored on one of its k runs
 * has not passed all k. Leaving such cases out, as an earlier version did, made pass^k look better
 * the more a model errored on hard cases.
 */
function passK(sides: CaseSideResult[], k: number): number | null {
  if (k <= 1) return null;
  const values = sides
    .map((s) => passHatK(s.runs + s.errors, s.passes, k))
    .filter((v): v is number => v !== null);
  return values.length > 0 ? mean(values) : null;
}

export function mean(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}
