import { withMde } from "./lifecycle/power.js";
import { caseScore } from "./reduce.js";
import {
  holm,
  mcnemarOneSided,
  pairedBootstrapCI,
  passHatK,
  seedFromString,
  signFlipOneSided,
} from "./stats.js";
import type { CaseResult, EvalSet, SliceDiff, SliceStatus } from "./types.js";

export interface GateOptions {
  mode: "statistical" | "strict";
  alpha: number;
  floor: number | null;
  min_slice_n: number;
  repeats: number;
}

/** The name of the one slice an aggregate-only set (a holdout) is reported as. */
export const AGGREGATE_SLICE = "all";

const EPS = 1e-12;

/** Per-slice paired comparison of every set, with Holm over every slice of the run. */
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
  const diffs = [...groups.entries()].map(([key, group]) => {
    const [set, slice] = JSON.parse(key) as [string, string];
    return sliceStats(set, slice, group, gate, aggregate.has(set));
  });
  const adjusted = holm(diffs.map((d) => d.p_value));
  const adjustedUp = holm(diffs.map((d) => d.p_improved));
  const compared = diffs.map((d, i) => {
    const withP = { ...d, p_adjusted: adjusted[i] ?? null, p_improved_adjusted: adjustedUp[i] ?? null };
    return { ...withP, status: statusOf(withP, gate) };
  });
  return withMde(compared, gate);
}

function sliceStats(
  set: string,
  slice: string,
  group: CaseResult[],
  gate: GateOptions,
  agg: boolean,
): SliceDiff {
  const hasBase = group.some((c) => c.base !== null);
  const paired = group.filter(
    (c) => caseScore(c.head) !== null && (!hasBase || (c.base && caseScore(c.base) !== null)),
  );
  const headScores = paired.map((c) => caseScore(c.head) as number);
  const head_score = mean(headScores);
  const common = {
    set,
    slice,
    n: paired.length,
    head_score,
    pass_k_head: passK(
      paired.map((c) => c.head),
      gate.repeats,
    ),
    undersampled: paired.length < gate.min_slice_n,
    aggregate: agg,
    status: "unchanged" as SliceStatus,
    p_adjusted: null,
    p_improved_adjusted: null,
  };
  if (!hasBase || paired.length === 0) {
    return {
      ...common,
      base_score: hasBase ? 0 : null,
      delta: null,
      ci_low: null,
      ci_high: null,
      p_value: null,
      p_improved: null,
      pass_k_base: null,
    };
  }
  const baseScores = paired.map((c) => caseScore(c.base as CaseResult["head"]) as number);
  const d = headScores.map((h, i) => h - (baseScores[i] as number));
  const singleRuns = paired.every((c) => c.head.runs === 1 && c.base?.runs === 1);
  const worse = d.filter((x) => x < 0).length;
  const better = d.filter((x) => x > 0).length;
  const ci = pairedBootstrapCI(d, { seed: seedFromString(`${set}/${slice}`) });
  return {
    ...common,
    base_score: mean(baseScores),
    delta: mean(d),
    ci_low: ci?.low ?? null,
    ci_high: ci?.high ?? null,
    p_value: singleRuns ? mcnemarOneSided(worse, better) : signFlipOneSided(d),
    p_improved: singleRuns ? mcnemarOneSided(better, worse) : signFlipOneSided(d.map((x) => -x)),
    pass_k_base: passK(
      paired.map((c) => c.base as CaseResult["head"]),
      gate.repeats,
    ),
  };
}

function statusOf(d: SliceDiff, gate: GateOptions): SliceStatus {
  const belowFloor = gate.floor !== null && d.n > 0 && d.head_score < gate.floor - EPS;
  if (d.base_score === null || d.delta === null) return belowFloor ? "below_floor" : "unchanged";
  const drop = d.delta < -EPS;
  if (drop && (gate.mode === "strict" || (d.p_adjusted !== null && d.p_adjusted < gate.alpha)))
    return "regressed";
  // Only a PR that made the slice cross the floor, or sink further under it, is blamed for it.
  if (belowFloor && (d.base_score >= (gate.floor as number) - EPS || drop)) return "below_floor";
  if (drop) return "dropped";
  const rise = d.delta > EPS;
  if (
    rise &&
    (gate.mode === "strict" || (d.p_improved_adjusted !== null && d.p_improved_adjusted < gate.alpha))
  ) {
    return "improved";
  }
  return "unchanged";
}

function passK(sides: CaseResult["head"][], k: number): number | null {
  if (k <= 1) return null;
  const values = sides.map((s) => passHatK(s.runs, s.passes, k)).filter((v): v is number => v !== null);
  return values.length > 0 ? mean(values) : null;
}

function mean(xs: number[]): number {
  if (xs.length === 0) return 0;
  let sum = 0;
  for (const x of xs) sum += x;
  return sum / xs.length;
}
