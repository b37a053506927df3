// Flip rates, for the report: how often a perturbed variant (lifecycle/perturb.ts) passes or fails
// where its original does not. Read off the report's cases; never a gate.

import type { CaseResult } from "../types.js";

/**
 * A variant's original in the report: same set first, else the first case of that id elsewhere.
 * The index is built when the first variant asks: most reports have none.
 */
function originalsIndex(cases: readonly CaseResult[]) {
  let index: { bySetId: Map<string, CaseResult>; byId: Map<string, CaseResult> } | undefined;
  const build = () => {
    const bySetId = new Map<string, CaseResult>();
    const byId = new Map<string, CaseResult>();
    for (const c of cases) {
      if (c.original !== undefined) continue;
      bySetId.set(`${c.set}\u0000${c.id}`, c);
      if (!byId.has(c.id)) byId.set(c.id, c);
    }
    return { bySetId, byId };
  };
  return (v: CaseResult) => {
    index ??= build();
    return index.bySetId.get(`${v.set}\u0000${v.original}`) ?? index.byId.get(v.original as string);
  };
}

/** Pass or fail on head: the majority of its graded runs (a tie passes); null when none was graded. */
function headPass(c: CaseResult): boolean | null {
  if (c.head.runs <= 0) return null;
  return c.head.passes * 2 >= c.head.runs;
}

/**
 * Per original: how many of its variants ran, and how many of those flipped (their head pass/fail
 * differs from the original's). Variants whose original is not in the report, or where either
 * side has no graded run, are not counted. In the order originals first appear.
 */
export function flipRates(
  cases: readonly CaseResult[],
): { original: string; variants: number; flipped: number }[] {
  const find = originalsIndex(cases);
  const rows = new Map<CaseResult, { original: string; variants: number; flipped: number }>();
  for (const v of cases) {
    if (v.original === undefined) continue;
    const o = find(v);
    if (!o) continue;
    const a = headPass(o);
    const b = headPass(v);
    if (a === null || b === null) continue;
    let row = rows.get(o);
    if (!row) {
      row = { original: o.id, variants: 0, flipped: 0 };
      rows.set(o, row);
    }
    row.variants++;
    if (a !== b) row.flipped++;
  }
  return [...rows.values()];
}

export interface Robustness {
  originals: number;
  variants: number;
  flipped: number;
  /** Per kind of perturbation, most flips first. */
  by: { perturbation: string; variants: number; flipped: number }[];
}

/** The kind of a variant: its `perturbation`, or what its id says (`ID~typos-1`). */
function kindOf(c: CaseResult): string {
  return c.perturbation ?? /~([^~]+)-\d+$/.exec(c.id)?.[1] ?? "other";
}

/** The robustness line's numbers; null when the report has no variant with its original. */
export function robustness(cases: readonly CaseResult[]): Robustness | null {
  const find = originalsIndex(cases);
  const by = new Map<string, { perturbation: string; variants: number; flipped: number }>();
  const originals = new Set<CaseResult>();
  let variants = 0;
  let flipped = 0;
  for (const v of cases) {
    if (v.original === undefined) continue;
    const o = find(v);
    const a = o ? headPass(o) : null;
    const b = headPass(v);
    if (!o || a === null || b === null) continue;
    originals.add(o);
    variants++;
    const kind = kindOf(v);
    let row = by.get(kind);
    if (!row) {
      row = { perturbation: kind, variants: 0, flipped: 0 };
      by.set(kind, row);
    }
    row.variants++;
    if (a !== b) {
      flipped++;
      row.flipped++;
    }
  }
  if (variants === 0) return null;
  const rate = (r: { variants: number; flipped: number }) => r.flipped / r.variants;
  return {
    originals: originals.size,
    variants,
    flipped,
    by: [...by.values()].sort(
      (a, b) =>
        rate(b) - rate(a) || (a.perturbation < b.perturbation ? -1 : a.perturbation > b.perturbation ? 1 : 0),
    ),
  };
}
