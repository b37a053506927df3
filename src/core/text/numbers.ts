// Numbers as every view writes them: percentages, points, intervals, p-values. Shared by the
// renderers and the gate, whose warnings carry numbers in the same words.

export const DASH = "—";

/** Rounded to 0.1 with the trailing `.0` dropped, and never `-0`. */
export function tenths(x: number): string {
  const r = Math.round(x * 10) / 10;
  return r === 0 ? "0" : String(r);
}

function signed(x: number): string {
  const s = tenths(x);
  return s === "0" || s.startsWith("-") ? s : `+${s}`;
}

/** A 0..1 score as a percentage: `0.9` -> `90%`, `0.8333` -> `83.3%`. */
export function percent(x: number | null | undefined): string {
  return x == null || Number.isNaN(x) ? DASH : `${tenths(x * 100)}%`;
}

/** A score difference in percentage points: `-0.45` -> `-45 pts`. */
export function points(delta: number | null | undefined): string {
  return delta == null || Number.isNaN(delta) ? DASH : `${signed(delta * 100)} pts`;
}

/** A confidence interval of a difference, in points: `[-63, -25]`. */
export function interval(low: number | null | undefined, high: number | null | undefined): string {
  if (low == null || high == null) return DASH;
  return `[${signed(low * 100)}, ${signed(high * 100)}]`;
}

export function pValue(p: number | null | undefined): string {
  if (p == null || Number.isNaN(p)) return DASH;
  if (p < 0.001) return "<0.001";
  if (p < 0.01) return p.toFixed(3);
  return p.toFixed(2);
}
