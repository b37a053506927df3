// Behaviour drift beside the score: seed 001's monitoring signals (output length, refusal rate,
// latency) and the tool calls of an agent, checked at PR time. A prompt that makes every answer
// three times longer can keep every grade and still change what users get.
//
// Per slice and measure, each case is one pair: its mean on base and on head. The test is the
// exact two-sided sign test over the cases that moved (the sign-flip test on signs alone): under
// "the PR changes nothing" each moved case is as likely to move up as down, whatever its size, so it
// is exact for any distribution, one 10,000-character answer cannot decide it, and it costs O(n).
// Its p-values are Holm-adjusted in two families that share gate.alpha 3:1 (a weighted Bonferroni
// split, so the chance that a PR which changes nothing shows any change stays under alpha): the
// output measures of every slice, which a rerun reproduces, and latency, which it never does, so
// measured latencies cannot move the other measures' adjusted p. A measure `changed` when
// that adjusted p is under `gate.alpha` AND the change is at least the minimum size below, in the
// direction most cases moved. Latency exists only for answers asked fresh: a case enters the
// latency test only when both sides have such runs, so a run served from the cache has no latency row.

import type { DriftDiff, DriftMeasure, DriftReport } from "../report-types.js";
import { holm, mcnemarOneSided } from "../stats/index.js";
import type { Behaviour, CaseResult, EvalSet } from "../types.js";
import { firstOf, groupBySlice, mean } from "./slice-groups.js";

export const DRIFT_RULE = {
  min_relative: 0.2,
  min_points: 0.05,
  min_absolute: { output_chars: 20, latency_ms: 50, tool_calls: 0.2 },
} as const;

export interface DriftGate {
  alpha: number;
  drift: "report" | "fail";
}

const MEASURES: { measure: DriftMeasure; value: (b: Behaviour) => number | null }[] = [
  { measure: "output_chars", value: (b) => b.chars / b.outputs },
  { measure: "refusal_rate", value: (b) => b.refusals / b.outputs },
  { measure: "latency_ms", value: (b) => (b.timed > 0 ? b.latency_ms / b.timed : null) },
  { measure: "tool_calls", value: (b) => b.tool_calls / b.outputs },
];

const EPS = 1e-9;

type Row = Omit<DriftDiff, "p_adjusted" | "changed"> & { direction: number };

/** Every measured slice and measure of a run with a baseline; a measure at 0 on both sides is left out. */
export function compareDrift(
  sets: Pick<EvalSet, "name" | "visibility">[],
  cases: CaseResult[],
  gate: DriftGate,
): DriftReport {
  const rows: Row[] = [];
  for (const group of groupBySlice(sets, cases)) {
    for (const { measure, value } of MEASURES) {
      const row = measureStats(group.set, group.slice, measure, group.cases, value);
      if (row) rows.push(row);
    }
  }
  const adjusted = splitHolm(rows);
  return {
    mode: gate.drift,
    ...DRIFT_RULE,
    min_absolute: { ...DRIFT_RULE.min_absolute },
    rows: rows.map(({ direction, ...r }, i) => {
      const p_adjusted = adjusted[i] ?? null;
      const significant = p_adjusted !== null && p_adjusted < gate.alpha;
      const agrees = Math.sign(r.head - r.base) === direction;
      return { ...r, p_adjusted, changed: significant && agrees && bigEnough(r) };
    }),
  };
}

/** The share of alpha each family gets; `p_adjusted` is scaled so that it compares to alpha itself. */
const SHARE = { outputs: 0.75, latency: 0.25 };

function splitHolm(rows: Row[]): (number | null)[] {
  const adjusted: (number | null)[] = rows.map(() => null);
  for (const [family, share] of Object.entries(SHARE)) {
    const member = rows.map((r) => (r.measure === "latency_ms") === (family === "latency"));
    const p = holm(rows.map((r, i) => (member[i] ? r.p_value : null)));
    p.forEach((x, i) => {
      if (member[i]) adjusted[i] = x === null ? null : Math.min(1, x / share);
    });
  }
  return adjusted;
}

function measureStats(
  set: string,
  slice: string,
  measure: DriftMeasure,
  group: CaseResult[],
  value: (b: Behaviour) => number | null,
): Row | null {
  const bases: number[] = [];
  const heads: number[] = [];
  for (const c of group) {
    const b = c.base?.behaviour;
    const h = c.head.behaviour;
    const base = b ? value(b) : null;
    const head = h ? value(h) : null;
    if (base === null || head === null) continue;
    bases.push(base);
    heads.push(head);
  }
  const base = mean(bases);
  const head = mean(heads);
  if (heads.length === 0 || (base === 0 && head === 0)) return null;
  let up = 0;
  let down = 0;
  heads.forEach((h, i) => {
    const d = h - (bases[i] as number);
    if (d > EPS) up++;
    else if (d < -EPS) down++;
  });
  const p =
    up + down === 0 ? null : Math.min(1, 2 * Math.min(mcnemarOneSided(up, down), mcnemarOneSided(down, up)));
  return {
    set,
    slice,
    measure,
    n: heads.length,
    base,
    head,
    change: measure === "refusal_rate" ? head - base : base > 0 ? head / base - 1 : null,
    p_value: p,
    direction: up > down ? 1 : up < down ? -1 : 0,
  };
}

/** At least the minimum size: points for refusals; relative and absolute for the rest. */
export function bigEnough(r: Pick<DriftDiff, "measure" | "base" | "head">): boolean {
  const diff = Math.abs(r.head - r.base);
  if (r.measure === "refusal_rate") return diff >= DRIFT_RULE.min_points - EPS;
  const relative = r.base > 0 ? diff / r.base : Number.POSITIVE_INFINITY;
  return relative >= DRIFT_RULE.min_relative - EPS && diff >= DRIFT_RULE.min_absolute[r.measure] - EPS;
}

/** `set/slice: measure change` of the changed rows, for the verdict's reason. */
export function changedBehaviour(report: DriftReport): string[] {
  return firstOf(report.rows.filter((r) => r.changed).map((r) => `${r.set}/${r.slice} ${describeChange(r)}`));
}

const LABEL: Record<DriftMeasure, string> = {
  output_chars: "output length",
  refusal_rate: "refusals",
  latency_ms: "latency",
  tool_calls: "tool calls",
};

/** `output length +212% (120 → 374 chars)`, `refusals 2% → 9%`: the size people read first. */
export function describeChange(r: Pick<DriftDiff, "measure" | "base" | "head" | "change">): string {
  const round = (x: number, digits = 0) => Number(x.toFixed(digits)).toString();
  if (r.measure === "refusal_rate")
    return `${LABEL[r.measure]} ${round(r.base * 100)}% → ${round(r.head * 100)}%`;
  const unit = r.measure === "output_chars" ? " chars" : r.measure === "latency_ms" ? " ms" : "";
  const digits = r.measure === "tool_calls" ? 1 : 0;
  const rel = r.change === null ? "from none" : `${r.change > 0 ? "+" : ""}${round(r.change * 100)}%`;
  return `${LABEL[r.measure]} ${rel} (${round(r.base, digits)} → ${round(r.head, digits)}${unit})`;
}
