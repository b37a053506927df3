import { AGGREGATE_SLICE } from "../config/sets.js";
import type { CaseResult, EvalSet } from "../types.js";

export interface SliceGroup {
  set: string;
  slice: string;
  cases: CaseResult[];
}

/**
 * The cases of each slice, as compareSlices groups them (an aggregate-only set is one slice), in
 * the order the slices first appear: the per-slice signals line up with the slices.
 */
export function groupBySlice(
  sets: Pick<EvalSet, "name" | "visibility">[],
  cases: CaseResult[],
): SliceGroup[] {
  const aggregate = new Set(sets.filter((s) => s.visibility === "aggregate").map((s) => s.name));
  const groups = new Map<string, SliceGroup>();
  for (const c of cases) {
    const slice = aggregate.has(c.set) ? AGGREGATE_SLICE : c.slice;
    const key = `${c.set}\u0000${slice}`;
    const group = groups.get(key);
    if (group) group.cases.push(c);
    else groups.set(key, { set: c.set, slice, cases: [c] });
  }
  return [...groups.values()];
}

export function mean(xs: readonly number[]): number {
  let sum = 0;
  for (const x of xs) sum += x;
  return xs.length > 0 ? sum / xs.length : 0;
}

/** At most `max` items, then one saying how many more: reasons stay one readable line. */
export function firstOf(items: string[], max = 10): string[] {
  return items.length <= max ? items : [...items.slice(0, max), `and ${items.length - max} more`];
}
