// Per slice and grader ("dimension"): base and head pass rates and the review rule, for the
// comment and the job summary. Bounded by construction (a capped number of capped rows), so the
// layout can count it as a fixed block; collapsed when there are more than a few rows.
import type { DimensionDiff, DimensionStatus, Report } from "../../report-types.js";
import { htmlText, inlineText, plainText } from "./escape.js";
import { byText, integer, plural, points, pValue, scoreChange } from "./format.js";

export interface DimensionLimits {
  /** Rows of the table at most. */
  rows: number;
  /** Up to this many rows the table is shown open; more, and it is collapsed. */
  open: number;
  /** Dropped dimensions named above the table. */
  named: number;
}

export const COMMENT_DIMENSIONS: DimensionLimits = { rows: 25, open: 6, named: 5 };
export const SUMMARY_DIMENSIONS: DimensionLimits = { rows: 500, open: 30, named: 20 };

const RANK: Record<DimensionStatus, number> = {
  dropped: 0,
  lower: 1,
  no_baseline: 2,
  improved: 3,
  unchanged: 4,
};

const LABEL: Record<DimensionStatus, string> = {
  dropped: "🟡 dropped: review",
  lower: "⚪ lower, within noise",
  improved: "🟢 improved",
  unchanged: "⚪ unchanged",
  no_baseline: "🔵 no baseline",
};

/** Worst first: status, then the stronger evidence of a drop, then the larger drop. */
export function byConcern(a: DimensionDiff, b: DimensionDiff): number {
  return (
    RANK[a.status] - RANK[b.status] ||
    (a.p_adjusted ?? 2) - (b.p_adjusted ?? 2) ||
    (a.delta ?? 0) - (b.delta ?? 0) ||
    byText(a.set, b.set) ||
    byText(a.slice, b.slice) ||
    byText(a.dimension, b.dimension)
  );
}

const where = (r: DimensionDiff) => inlineText(`${r.set} / ${r.slice}`, 60);

function row(r: DimensionDiff): string {
  const p = r.delta === null || r.delta === 0 ? null : r.delta < 0 ? r.p_adjusted : r.p_improved_adjusted;
  return `| ${where(r)} | ${inlineText(r.dimension, 70)} | ${r.n}${r.undersampled ? " †" : ""} | ${scoreChange(r.base_score, r.head_score)} | ${points(r.delta)} | ${pValue(p).replace("<", "&lt;")} | ${LABEL[r.status]} |`;
}

function tally(rows: readonly DimensionDiff[]): string {
  const counts = (["dropped", "lower", "no_baseline", "improved", "unchanged"] as const)
    .map((s) => [s, rows.filter((r) => r.status === s).length] as const)
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${integer(n)} ${s.replace("_", " ")}`);
  return counts.join(", ");
}

/** The section, or "" when no slice was graded by two or more graders. */
export function dimensionsSection(report: Report, limits: DimensionLimits): string {
  const d = report.dimensions;
  if (!d || d.rows.length === 0) return "";
  const rows = [...d.rows].sort(byConcern);
  const slices = new Set(rows.map((r) => `${r.set}\u0000${r.slice}`)).size;
  const dropped = rows.filter((r) => r.status === "dropped");
  const drop = Number((d.review_drop * 100).toFixed(1));
  const size = `${drop} point${drop === 1 ? "" : "s"}`;
  const rule =
    report.config.mode === "strict"
      ? `a drop of at least ${size} of its pass rate asks for review (strict mode)`
      : `a drop of at least ${size} of its pass rate asks for review when the one-sided paired test, Holm-adjusted over the ${plural(rows.length, "dimension")} of the run, is under α = ${report.config.alpha}`;
  const named = dropped
    .slice(0, limits.named)
    .map((r) => `${where(r)} · ${inlineText(r.dimension, 70)} (${scoreChange(r.base_score, r.head_score)})`);
  if (dropped.length > named.length) named.push(`and ${integer(dropped.length - named.length)} more`);
  const shown = rows.slice(0, limits.rows);
  const table = [
    "| set / slice | dimension | n | base → head | Δ | p (adj.) | status |",
    "| :- | :- | -: | -: | -: | -: | :- |",
    ...shown.map(row),
    ...(rows.length > shown.length
      ? [
          `| … | ${plural(rows.length - shown.length, "more row")} in the job summary and the JSON report | | | | | |`,
        ]
      : []),
  ].join("\n");
  const body =
    rows.length > limits.open
      ? `<details><summary>${htmlText(`${plural(rows.length, "dimension")} of ${plural(slices, "slice")}: ${tally(rows)}`, 200)}</summary>\n\n${table}\n\n</details>`
      : table;
  return [
    "### Dimensions",
    `<sub>Each grader of a slice graded by two or more is a dimension: ${rule}.</sub>`,
    named.length > 0 ? `**Dropped (review):** ${named.join(" · ")}` : "",
    body,
  ]
    .filter(Boolean)
    .join("\n\n");
}

/** One line for the terminal, or "" when no dimension asks for review. */
export function dimensionsLine(report: Report, max = 3): string {
  const dropped = (report.dimensions?.rows ?? []).filter((r) => r.status === "dropped").sort(byConcern);
  if (dropped.length === 0) return "";
  const parts = dropped
    .slice(0, max)
    .map((r) => `${plainText(`${r.set}/${r.slice}`, 60)} · ${plainText(r.dimension, 70)} ${points(r.delta)}`);
  if (dropped.length > max) parts.push(`and ${dropped.length - max} more`);
  return `dimensions dropped (review): ${parts.join("; ")}`;
}
