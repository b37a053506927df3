// Seed 002's gating rule, "a 1% drop in eval score on any dimension requires human review", made
// into a rule that a PR which changes nothing rarely trips. Each grader of a slice is a dimension,
// compared on the cases both sides graded with the slices' own exact paired tests (McNemar for
// single runs, the sign-flip test with repeats). Dimensions ask for review, never fail: so they
// form a Holm family of their own, over every slice and dimension of the run.
//
// The rule: a dimension is `dropped` (review) when its pass rate fell by at least
// `gate.review_drop` AND the one-sided test of "head is worse", Holm-adjusted over that family,
// is under `gate.alpha`. Without the evidence, any negative delta would count, and a PR that
// changes nothing would nearly always show one somewhere (issue 13 measured 92-98% for slices).
// In strict mode the drop alone decides, as for slices.

import type { DimensionDiff, DimensionReport, DimensionStatus } from "../report-types.js";
import { holm, mcnemarOneSided, signFlipOneSided } from "../stats/index.js";
import type { CaseResult, CaseSideResult, EvalSet } from "../types.js";
import { caseScore } from "./reduce.js";
import { firstOf, groupBySlice, mean } from "./slice-groups.js";

export interface DimensionGate {
  mode: "statistical" | "strict";
  alpha: number;
  min_slice_n: number;
  review_drop: number;
}

import { DEFAULT_REVIEW_DROP } from "./options.js";

export { DEFAULT_REVIEW_DROP };

const EPS = 1e-12;

/** Rows for every slice graded by two or more dimensions; with one, the dimension is the slice. */
export function compareDimensions(
  sets: Pick<EvalSet, "name" | "visibility">[],
  cases: CaseResult[],
  gate: DimensionGate,
): DimensionReport {
  const rows: Omit<DimensionDiff, "p_adjusted" | "p_improved_adjusted" | "status">[] = [];
  for (const group of groupBySlice(sets, cases)) {
    const keys = [...new Set(group.cases.flatMap((c) => c.dimensions ?? []))];
    if (keys.length < 2) continue;
    for (const key of keys) rows.push(dimensionStats(group.set, group.slice, key, group.cases, gate));
  }
  const worse = holm(rows.map((r) => r.p_value));
  const better = holm(rows.map((r) => r.p_improved));
  return {
    review_drop: gate.review_drop,
    rows: rows.map((r, i) => {
      const row = { ...r, p_adjusted: worse[i] ?? null, p_improved_adjusted: better[i] ?? null };
      return { ...row, status: statusOf(row, gate) };
    }),
  };
}

/** A side's pass rate on one dimension; null when it graded no run. */
function rate(side: CaseSideResult | null, j: number): number | null {
  if (!side || caseScore(side) === null) return null;
  const passes = side.dim_passes?.[j];
  return passes === undefined ? null : passes / side.runs;
}

function dimensionStats(set: string, slice: string, key: string, group: CaseResult[], gate: DimensionGate) {
  const hasBase = group.some((c) => c.base !== null);
  const heads: number[] = [];
  const bases: number[] = [];
  let single = true;
  for (const c of group) {
    const j = c.dimensions?.indexOf(key) ?? -1;
    if (j < 0) continue;
    const head = rate(c.head, j);
    const base = hasBase ? rate(c.base, j) : 0;
    if (head === null || base === null) continue;
    heads.push(head);
    bases.push(base);
    single &&= c.head.runs === 1 && c.base?.runs === 1;
  }
  const common = {
    set,
    slice,
    dimension: key,
    n: heads.length,
    head_score: mean(heads),
    undersampled: heads.length < gate.min_slice_n,
  };
  if (!hasBase || heads.length === 0) {
    const none = { base_score: hasBase ? 0 : null, delta: null, p_value: null, p_improved: null };
    return { ...common, ...none };
  }
  const d = heads.map((h, i) => h - (bases[i] as number));
  const down = d.filter((x) => x < -EPS).length;
  const up = d.filter((x) => x > EPS).length;
  // No case moved: nothing to test, and a test that cannot reject only dilutes the family.
  const moved = down + up > 0;
  return {
    ...common,
    base_score: mean(bases),
    delta: mean(d),
    p_value: !moved ? null : single ? mcnemarOneSided(down, up) : signFlipOneSided(d),
    p_improved: !moved ? null : single ? mcnemarOneSided(up, down) : signFlipOneSided(d.map((x) => -x)),
  };
}

function statusOf(
  r: Pick<DimensionDiff, "delta" | "p_adjusted" | "p_improved_adjusted">,
  gate: DimensionGate,
): DimensionStatus {
  if (r.delta === null) return "no_baseline";
  const strict = gate.mode === "strict";
  const big = Math.abs(r.delta) >= gate.review_drop - EPS;
  if (r.delta < -EPS) {
    const evidence = strict || (r.p_adjusted !== null && r.p_adjusted < gate.alpha);
    return big && evidence ? "dropped" : "lower";
  }
  if (
    r.delta > EPS &&
    big &&
    (strict || (r.p_improved_adjusted !== null && r.p_improved_adjusted < gate.alpha))
  )
    return "improved";
  return "unchanged";
}

/** `set/slice · dimension` of the rows that ask for review, for the verdict's reason. */
export function droppedDimensions(report: DimensionReport): string[] {
  const dropped = report.rows.filter((r) => r.status === "dropped");
  return firstOf(
    dropped.map(
      (r) => `${r.set}/${r.slice} · ${r.dimension} (${Math.round((r.delta ?? 0) * 1000) / 10} pts)`,
    ),
  );
}
