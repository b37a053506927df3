// The CLI's --set, --slice and --case: run only part of the eval set. A value that names nothing
// is a typo to say, not a filter to apply quietly: the run would otherwise pass on what it skipped.
import { UserError, UserErrors } from "../errors.js";
import { suggest } from "../text/suggest.js";
import type { EvalSet } from "../types.js";

/** Run only these sets, slices or case ids; empty lists keep all. */
export interface CaseFilter {
  sets?: string[];
  slices?: string[];
  cases?: string[];
}

/** Names listed in a message before the rest are counted. */
const LISTED = 40;

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function unique(values: Iterable<string>): string[] {
  return [...new Set(values)].sort(byText);
}

/** `anchor: address_change, refund; rotation: billing`, at most LISTED names. */
function slicesBySet(sets: EvalSet[]): string {
  const names = unique(sets.map((s) => s.name));
  let left = LISTED;
  let skipped = 0;
  const parts: string[] = [];
  for (const name of names) {
    const slices = unique(sets.filter((s) => s.name === name).flatMap((s) => s.cases.map((c) => c.slice)));
    const shown = slices.slice(0, Math.max(0, left));
    skipped += slices.length - shown.length;
    left -= shown.length;
    if (shown.length > 0) parts.push(`${name}: ${shown.join(", ")}`);
  }
  return `Slices: ${parts.join("; ")}${skipped > 0 ? `, and ${skipped} more` : ""}.`;
}

function unknown(flag: string, what: string, value: string, known: string[], list: string): UserError {
  const guess = suggest(value, known);
  return new UserError(`${value} names no ${what}`, {
    field: flag,
    fix: `${guess ? `Did you mean ${guess}? ` : ""}${list}`,
  });
}

export function filterSets(sets: EvalSet[], filter: CaseFilter): EvalSet[] {
  const keep = (list: string[] | undefined, value: string) =>
    !list || list.length === 0 || list.includes(value);
  const setNames = unique(sets.map((s) => s.name));
  const slices = unique(sets.flatMap((s) => s.cases.map((c) => c.slice)));
  const ids = new Set(sets.flatMap((s) => s.cases.map((c) => c.id)));
  const setList = `Sets: ${setNames.slice(0, LISTED).join(", ")}${setNames.length > LISTED ? `, and ${setNames.length - LISTED} more` : ""}.`;
  const errors = [
    ...(filter.sets ?? [])
      .filter((v) => !setNames.includes(v))
      .map((v) => unknown("--set", "set", v, setNames, setList)),
    ...(filter.slices ?? [])
      .filter((v) => !slices.includes(v))
      .map((v) => unknown("--slice", "slice", v, slices, slicesBySet(sets))),
    ...(filter.cases ?? [])
      .filter((v) => !ids.has(v))
      .map((v) =>
        unknown("--case", "case", v, [...ids], "Case ids are the `id` of each line of the set files."),
      ),
  ];
  if (errors.length > 0) throw new UserErrors(errors);
  const out = sets
    .filter((s) => keep(filter.sets, s.name))
    .map((s) => ({
      ...s,
      cases: s.cases.filter((c) => keep(filter.slices, c.slice) && keep(filter.cases, c.id)),
    }))
    .filter((s) => s.cases.length > 0);
  if (out.length === 0) {
    // Each value names something, but not together: say what the sets asked for hold.
    throw new UserError("the filters keep no case", {
      field: "--set/--slice/--case",
      fix: slicesBySet(sets.filter((s) => keep(filter.sets, s.name))),
    });
  }
  return out;
}
