import { worstSlice as lowestHeadScore } from "../../gate/verdict.js";
import { DASH, interval, percent, points, tenths } from "../../text/numbers.js";

export { interval, percent, points, pValue } from "../../text/numbers.js";

import type { SliceDiff, SliceStatus, Verdict } from "../../report-types.js";

export const VERDICT_ICON: Record<Verdict, string> = {
  pass: "✅",
  review: "\u26a0\ufe0f",
  fail: "❌",
  error: "💥",
  skipped: "⏭️",
};

export const STATUS_ICON: Record<SliceStatus, string> = {
  regressed: "🔴",
  below_floor: "⛔",
  dropped: "🟡",
  below_floor_unproven: "🟠",
  no_baseline: "🔵",
  improved: "🟢",
  unchanged: "⚪",
};

export const STATUS_WORD: Record<SliceStatus, string> = {
  regressed: "regressed",
  below_floor: "below floor",
  dropped: "dropped",
  below_floor_unproven: "below floor?",
  no_baseline: "no baseline",
  improved: "improved",
  unchanged: "unchanged",
};

/** Lower is worse: the order slices are listed in everywhere. */
export const STATUS_RANK: Record<SliceStatus, number> = {
  regressed: 0,
  below_floor: 1,
  dropped: 2,
  below_floor_unproven: 3,
  // Not shown to be worse, nor shown to be the same.
  no_baseline: 4,
  improved: 5,
  unchanged: 6,
};

export function statusLabel(status: SliceStatus): string {
  return `${STATUS_ICON[status]} ${STATUS_WORD[status]}`;
}

export function verdictLabel(verdict: Verdict): string {
  return `${VERDICT_ICON[verdict]} ${verdict}`;
}

/** Worst first: by status, then lowest head score; names only make the order stable. */
export function bySeverity(a: SliceDiff, b: SliceDiff): number {
  return (
    STATUS_RANK[a.status] - STATUS_RANK[b.status] ||
    a.head_score - b.head_score ||
    byText(a.set, b.set) ||
    byText(a.slice, b.slice)
  );
}

/**
 * Code-point order: the same on every runner whatever its locale, and unlike `localeCompare`
 * it does not load ICU's collation data on first use (about 12 ms of a run's tail).
 */
export function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

export function worstFirst(slices: readonly SliceDiff[]): SliceDiff[] {
  return [...slices].sort(bySeverity);
}

/** The slice the headline names: the lowest head score, as the `worst-slice` output. */
export function worstSlice(slices: readonly SliceDiff[]): SliceDiff | null {
  return lowestHeadScore([...slices]) ?? null;
}

/** `90% → 45%`, or the head score alone without a baseline. */
export function scoreChange(base: number | null, head: number): string {
  return base == null ? percent(head) : `${percent(base)} → ${percent(head)}`;
}

/** `-45 pts [-63, -25]`. */
export function deltaWithInterval(s: SliceDiff): string {
  if (s.delta == null) return DASH;
  const ci = interval(s.ci_low, s.ci_high);
  return ci === DASH ? points(s.delta) : `${points(s.delta)} ${ci}`;
}

/**
 * The adjusted p-value of the direction the slice moved in: "worse" for a drop, "better" for a
 * gain; none when nothing moved, since there is then nothing to test.
 */
export function informativeP(s: SliceDiff): number | null {
  if (s.delta == null || s.delta === 0) return null;
  return s.delta < 0 ? s.p_adjusted : s.p_improved_adjusted;
}

/** `12345` -> `12,345`. By hand: the first toLocaleString call loads ICU data (~25 ms of start-up). */
export function integer(n: number): string {
  const digits = String(Math.abs(Math.round(n))).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return n < -0.5 ? `-${digits}` : digits;
}

export function duration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${tenths(ms / 1000)} s`;
  return `${tenths(ms / 60_000)} min`;
}

export function plural(n: number, one: string, many = `${one}s`): string {
  return `${integer(n)} ${n === 1 ? one : many}`;
}

/** A commit for display: short, and only if it looks like one, since refs come from outside. */
export function shortSha(sha: string): string {
  return /^[0-9a-f]{7,64}$/i.test(sha) ? sha.slice(0, 7) : "";
}

/** A case's pass rate on one side over its graded runs; null when every run errored. */
export function caseScore(side: { runs: number; passes: number; errors?: number } | null): number | null {
  // `runs` counts graded runs already; errored ones are counted apart (reduce.ts).
  return side && side.runs > 0 ? side.passes / side.runs : null;
}
