import { AGGREGATE_SLICE } from "../config/sets.js";
import type { SliceDiff, SliceStatus } from "../report-types.js";
import { type FamilyTest, taroneHolm } from "../stats/index.js";
import { fitNoise, minimumDetectableDrop } from "../stats/power.js";
import type { CaseResult, EvalSet } from "../types.js";
import { DEFAULT_REVIEW_DROP, type GateOptions } from "./options.js";
import { type MeasuredSlice, sliceStats } from "./slice-stats.js";

const EPS = 1e-12;

/**
 * Per-slice paired comparison of every set. The tests that can fail the run form one Holm family:
 * every slice's regression test and, with `gate.floor`, every slice's floor test, less those that
 * could not reach significance (Tarone). Improvements are a family of their own.
 */
export function compareSlices(
  sets: Pick<EvalSet, "name" | "visibility">[],
  cases: CaseResult[],
  gate: GateOptions,
): SliceDiff[] {
  const aggregate = new Set(sets.filter((s) => s.visibility === "aggregate").map((s) => s.name));
  const groups = new Map<string, CaseResult[]>();
  for (const c of cases) {
    const key = JSON.stringify([c.set, aggregate.has(c.set) ? AGGREGATE_SLICE : c.slice]);
    const list = groups.get(key);
    if (list) list.push(c);
    else groups.set(key, [c]);
  }
  const measured = [...groups.entries()].map(([key, group]) => {
    const [set, slice] = JSON.parse(key) as [string, string];
    return sliceStats(set, slice, group, gate, aggregate.has(set));
  });
  const tarone = gate.tarone ?? true;
  const regression = (m: MeasuredSlice): FamilyTest => ({ p: m.diff.p_value, pMin: m.pMin ?? 1 });
  const floorTest = (m: MeasuredSlice): FamilyTest => ({ p: m.diff.p_floor ?? null, pMin: m.floorMin ?? 1 });
  const fail = taroneHolm([...measured.map(regression), ...measured.map(floorTest)], gate.alpha, tarone);
  const up = taroneHolm(
    measured.map((m) => ({ p: m.diff.p_improved, pMin: m.pMin ?? 1 })),
    gate.alpha,
    tarone,
  );
  // Without any test (no baseline, no floor) the MDE is for the runs to come: every slice tested.
  const level = gate.alpha / Math.max(1, fail.size > 0 ? fail.size : measured.length);
  const k = measured.length;
  return measured.map((m, i) => {
    const d: SliceDiff = {
      ...m.diff,
      p_adjusted: fail.adjusted[i] ?? null,
      p_improved_adjusted: up.adjusted[i] ?? null,
      ...(m.diff.p_floor !== undefined ? { p_floor_adjusted: fail.adjusted[k + i] ?? null } : {}),
      ...(m.diff.p_value !== null ? { testable: fail.included[i] as boolean } : {}),
    };
    return { ...d, status: statusOf(d, gate), ...mdeOf(m, d, gate, level) };
  });
}

/**
 * - `regressed`: a drop whose p-value, Holm-adjusted over the family, is under alpha (strict: any drop).
 * - `below_floor`: the head score is under the floor, the floor test says so after the same
 *   adjustment (strict: the score alone), and the PR is to blame: the base was at or above the floor,
 *   or the drop has evidence (unadjusted p < alpha).
 * - `below_floor_unproven`: the same without the floor test's evidence: a review, not a failure.
 * - `dropped`: evidence of a drop that does not survive the correction (unadjusted one-sided
 *   p < alpha, which is the interval's upper end below 0) of at least `review_drop`.
 * - `improved`: the mirror test, Holm-adjusted in its own family; else `unchanged`.
 * - `no_baseline`: no base score to compare with (no base side, or no case graded on both sides);
 *   only the floor applies. Never `unchanged`: nothing was shown to be the same.
 */
export function statusOf(d: SliceDiff, gate: GateOptions): SliceStatus {
  const strict = gate.mode === "strict";
  const floor = gate.floor;
  const under = floor !== null && d.n > 0 && d.head_score < floor - EPS;
  const proven = strict || (d.p_floor_adjusted != null && d.p_floor_adjusted < gate.alpha);
  const floorStatus: SliceStatus = proven ? "below_floor" : "below_floor_unproven";
  if (d.base_score === null || d.delta === null) return under ? floorStatus : "no_baseline";
  const drop = d.delta < -EPS;
  if (drop && (strict || (d.p_adjusted !== null && d.p_adjusted < gate.alpha))) return "regressed";
  const evidence = drop && d.p_value !== null && d.p_value < gate.alpha;
  if (under && (d.base_score >= (floor as number) - EPS || evidence)) return floorStatus;
  if (!strict && evidence && -d.delta >= (gate.review_drop ?? DEFAULT_REVIEW_DROP) - EPS) return "dropped";
  const rise = d.delta > EPS;
  if (rise && (strict || (d.p_improved_adjusted !== null && d.p_improved_adjusted < gate.alpha))) {
    return "improved";
  }
  return "unchanged";
}

/** The slice's MDE at its design (cases, clusters, repeats, mode, the family's level) and fitted noise. */
function mdeOf(
  m: MeasuredSlice,
  d: SliceDiff,
  gate: GateOptions,
  level: number,
): Pick<SliceDiff, "mde" | "noise" | "design_effect"> {
  const clusters = d.clusters ?? d.n;
  // Without a baseline nothing shows how clusters move together: assume they move as one.
  const designEffect = d.design_effect ?? (clusters > 0 ? d.n / clusters : 1);
  const noise = fitNoise({
    base: d.base_score ?? d.head_score,
    caseVariance: m.caseVariance,
    discordance: m.discordance,
    designEffect,
  });
  const design = { cases: d.n, clusters, repeats: gate.repeats, level, mode: gate.mode };
  return {
    mde: minimumDetectableDrop(design, noise),
    noise: noise.noise,
    design_effect: noise.designEffect,
  };
}
