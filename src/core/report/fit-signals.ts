// The writer's cuts for dimensions and drift: names to their limits, and rows capped with the ones
// that decide or explain the verdict kept first (a dropped dimension, a changed behaviour).
import { COUNT_LIMITS, clip, TEXT_LIMITS as T } from "../report-limits.js";
import type { DimensionReport, DriftReport } from "../report-types.js";
import type { CaseResult, CaseSideResult } from "../types.js";

const STATUS_ORDER = { dropped: 0, lower: 1, improved: 2, unchanged: 3, no_baseline: 4 } as const;

/** `p` ascending with nulls last. */
const byP = (a: number | null, b: number | null) => (a ?? 2) - (b ?? 2);

export function fitDimensions(d: DimensionReport, notes: string[]): DimensionReport {
  const rows = keepMost(
    d.rows,
    (a, b) => STATUS_ORDER[a.status] - STATUS_ORDER[b.status] || byP(a.p_adjusted, b.p_adjusted),
    COUNT_LIMITS.dimensionRows,
  );
  if (rows.length < d.rows.length)
    notes.push(
      `The report lists ${rows.length} of ${d.rows.length} dimension rows (dropped first); the verdict counts them all.`,
    );
  return {
    ...d,
    rows: rows.map((r) => ({
      ...r,
      set: clip(r.set, T.name),
      slice: clip(r.slice, T.name),
      dimension: clip(r.dimension, T.dimension),
    })),
  };
}

export function fitDrift(d: DriftReport, notes: string[]): DriftReport {
  const rows = keepMost(
    d.rows,
    (a, b) => Number(b.changed) - Number(a.changed) || byP(a.p_adjusted, b.p_adjusted),
    COUNT_LIMITS.driftRows,
  );
  if (rows.length < d.rows.length)
    notes.push(
      `The report lists ${rows.length} of ${d.rows.length} behaviour rows (changed first); the verdict counts them all.`,
    );
  return { ...d, rows: rows.map((r) => ({ ...r, set: clip(r.set, T.name), slice: clip(r.slice, T.name) })) };
}

/** A case's dimension names cut to their limit, and the list (with the sides' tallies) capped. */
export function fitCaseDimensions(c: CaseResult): CaseResult {
  if (!c.dimensions) return c;
  const max = COUNT_LIMITS.caseDimensions;
  // Within its limits (nearly always), the case itself rather than a copy.
  if (c.dimensions.length <= max && c.dimensions.every((k) => k.length <= T.dimension) && fewDims(c))
    return c;
  const side = (s: CaseSideResult): CaseSideResult => ({
    ...s,
    ...(s.dim_passes ? { dim_passes: s.dim_passes.slice(0, max) } : {}),
    ...(s.dim_scores ? { dim_scores: s.dim_scores.slice(0, max) } : {}),
  });
  return {
    ...c,
    base: c.base && side(c.base),
    head: side(c.head),
    dimensions: c.dimensions.slice(0, max).map((k) => clip(k, T.dimension)),
  };
}

/** Whether no side of the case tallies more dimensions than the cap. */
function fewDims(c: CaseResult): boolean {
  const max = COUNT_LIMITS.caseDimensions;
  const within = (s: CaseSideResult | null) =>
    !s || ((s.dim_passes?.length ?? 0) <= max && (s.dim_scores?.length ?? 0) <= max);
  return within(c.base) && within(c.head);
}

/** The first `max` items by `order`, in their original order. */
function keepMost<X>(items: X[], order: (a: X, b: X) => number, max: number): X[] {
  if (items.length <= max) return items;
  const kept = items
    .map((_, i) => i)
    .sort((a, b) => order(items[a] as X, items[b] as X) || a - b)
    .slice(0, max)
    .sort((a, b) => a - b);
  return kept.map((i) => items[i] as X);
}
