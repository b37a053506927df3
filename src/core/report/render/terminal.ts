import type { Report, SliceStatus } from "../../report-types.js";
import { robustness } from "../robustness.js";
import { behaviourLine } from "./behaviour.js";
import { dimensionsLine } from "./dimensions.js";
import { plainText } from "./escape.js";
import { percent, plural, worstFirst } from "./format.js";
import { extraRunsNote } from "./repeats.js";
import { headOnly, NO_BASELINE } from "./sections.js";
import { hasMde } from "./tables.js";
import { renderSliceTable } from "./terminal-table.js";
import { displayWidth, wrap } from "./terminal-text.js";
import { whyLines } from "./terminal-why.js";

export { displayWidth };

import { unlabelledLines } from "./unlabelled.js";

export interface TerminalOptions {
  /** ANSI colours; the CLI turns them on for a TTY that has not asked for NO_COLOR. */
  color?: boolean;
  /**
   * Columns available. Default 120. Names are never cut: one too long for its column gets a line
   * of its own; the flipped cases' lines are cut to the width.
   */
  width?: number;
  /** Flipped cases listed per regressed, dropped or below-floor slice. Default 5. */
  casesPerSlice?: number;
  /** Where the cases left out can be read, after "and N more: ". Default "see the report". */
  more?: string;
}

const ANSI: Partial<Record<SliceStatus | "bold", string>> = {
  regressed: "\u001b[31m",
  below_floor: "\u001b[31m",
  dropped: "\u001b[33m",
  below_floor_unproven: "\u001b[33m",
  improved: "\u001b[32m",
  bold: "\u001b[1m",
};
const RESET = "\u001b[0m";

export function renderTerminal(report: Report, options: TerminalOptions = {}): string {
  const color = options.color ?? false;
  const paint = (code: string | undefined, s: string) => (color && code ? `${code}${s}${RESET}` : s);
  const slices = worstFirst(report.slices);
  const width = options.width ?? 120;
  const out: string[] = [];
  // Notes wrap at the width (the terminal would break them anywhere); the verdict line does not,
  // so that it stays the output's one last line.
  const note = (text: string, code?: string) => {
    for (const line of wrap(text, width, "  ")) out.push(paint(code, line));
  };
  for (const { text, slice } of renderSliceTable(report, slices, width)) {
    out.push(paint(slice ? ANSI[slice.status] : ANSI.bold, text));
  }
  if (slices.length === 0) out.push("(no slices)");
  if (slices.some((s) => s.undersampled)) note("* fewer cases than gate.min_slice_n");
  if (hasMde(report)) {
    note(
      "mde: the smallest drop each slice's test detects with 80% power at this run's design and noise (none: no drop is)",
    );
  }
  if (
    report.base !== null &&
    report.config.mode === "statistical" &&
    slices.some((s) => s.ci_level !== undefined)
  ) {
    note(
      `CI: the slice's exact test inverted (each end one-sided at 1 - α = ${percent(1 - report.config.alpha)}); p_adj: Holm over the tests that can fail the run; dropped: p < α before the adjustment`,
    );
  }
  // Why, before the other signals: the cases that flipped in each slice that failed or asks for review.
  const why = whyLines(report, slices, {
    width,
    perSlice: options.casesPerSlice ?? 5,
    more: options.more ?? "see the report",
  });
  if (why.length > 0)
    out.push("", ...why.map(({ text, slice }) => paint(slice ? ANSI[slice.status] : "", text)), "");
  if (report.base !== null && slices.some((s) => s.status === "no_baseline")) {
    note("no baseline: no case of the slice was graded on both sides, so nothing was compared");
  }
  const extra = extraRunsNote(report, 5, "plain");
  if (extra) note(extra);
  const overfitting = report.signals?.overfitting;
  if (overfitting) note(`overfitting? ${plainText(overfitting.note, 400)}`, ANSI.dropped);
  const robust = robustness(report.cases);
  if (robust) {
    note(
      `robustness: ${percent(robust.flipped / robust.variants)} of ${plural(robust.variants, "perturbed variant")} flip (${robust.by
        .slice(0, 6)
        .map((k) => `${plainText(k.perturbation, 30)} ${percent(k.flipped / k.variants)}`)
        .join(", ")})`,
    );
  }
  const dims = dimensionsLine(report);
  if (dims) note(dims, ANSI.dropped);
  const behaviour = behaviourLine(report);
  if (behaviour) note(behaviour, report.drift?.mode === "fail" ? ANSI.regressed : ANSI.dropped);
  if (headOnly(report)) note(NO_BASELINE);
  for (const line of unlabelledLines(report)) note(line, ANSI.dropped);
  if (report.errors.runs > 0) {
    const causes = report.errors.causes.slice(0, 3).map((c) => plainText(c, 100));
    note(
      `errors: ${plural(report.errors.runs, "run")} (${percent(report.errors.rate)})${causes.length > 0 ? `: ${causes.join("; ")}` : ""}`,
    );
  }
  const reasons = report.reasons.slice(0, 3).map((r) => plainText(r, 160));
  const more = report.reasons.length - reasons.length;
  if (more > 0) reasons.push(`and ${more} more`);
  const verdictCode = {
    pass: ANSI.improved,
    review: ANSI.dropped,
    fail: ANSI.regressed,
    error: ANSI.regressed,
    skipped: ANSI.dropped,
  }[report.verdict];
  const verdict = paint(verdictCode, `verdict: ${report.verdict.toUpperCase()}`);
  out.push(`${verdict}${reasons.length > 0 ? ` (${reasons.join("; ")})` : ""}`);
  return `${out.join("\n")}\n`;
}
