// The line under the slice tables that says what their columns and statuses mean, at this run's
// alpha, floor and mode: the numbers in the table are only honest if their level is stated.
import type { Report } from "../../report-types.js";
import { percent } from "./format.js";
import { extraRunsNote } from "./repeats.js";
import { ciLevel, hasMde } from "./tables.js";

export function legend(report: Report): string {
  const parts: string[] = [];
  const c = report.config;
  if (report.slices.some((s) => s.undersampled)) {
    parts.push("† fewer cases than `gate.min_slice_n`: only large changes can be told from noise.");
  }
  if (hasMde(report)) {
    parts.push(
      "MDE: the smallest drop the slice's test detects with 80% power at this run's design (its repeats, its clusters, α over the Holm family) and under the per-request noise this run showed; none: no drop up to the base score is detectable.",
    );
  }
  if (report.base !== null && c.mode === "strict") {
    parts.push("Strict mode: any drop in a slice's score fails it, with no allowance for noise.");
  } else if (report.base !== null) {
    const exact = report.slices.some((s) => s.ci_level !== undefined);
    if (exact) {
      const oneSided = percent(1 - c.alpha);
      parts.push(
        `Δ [${ciLevel(report)} CI]: the slice's own exact test inverted, each end a one-sided ${oneSided} bound before correction, so the upper end is below 0 exactly when the drop's p is under α.`,
      );
    }
    const floorTests = c.floor !== null ? ", and one per floor check" : "";
    const review = Math.round((c.review_drop ?? 0.01) * 1000) / 10;
    parts.push(
      `p (adj.): one-sided exact paired test in the direction of the change, Holm-adjusted over the run's tests: one per slice (${report.slices.length})${floorTests}, less those that cannot reach significance. Regressed when under α = ${c.alpha}; dropped (a review) when only the unadjusted p is, by at least ${review} point${review === 1 ? "" : "s"}.`,
    );
  }
  if (c.floor !== null && c.mode !== "strict") {
    parts.push(
      `Below floor: the head score is under ${percent(c.floor)} and the exact one-sided test says the real score is (adjusted with the rest); below floor?: under it, but within noise of it (a review).`,
    );
  }
  if (report.base !== null && report.slices.some((s) => s.status === "no_baseline")) {
    parts.push(
      "No baseline: no case of the slice was graded on both sides (every run of one side errored), so there is nothing to compare; only the floor can judge it.",
    );
  }
  parts.push(extraRunsNote(report, 8, "markdown"));
  const shown = parts.filter((p) => p !== "");
  return shown.length > 0 ? `<sub>${shown.join(" ")}</sub>` : "";
}
