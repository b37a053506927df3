import { describe, expect, it } from "vitest";
import { renderComment } from "../../src/core/report/render/comment.js";
import { extraRunsNote } from "../../src/core/report/render/repeats.js";
import { renderSummary } from "../../src/core/report/render/summary.js";
import { renderTerminal } from "../../src/core/report/render/terminal.js";
import { parseReport } from "../../src/core/report/schema.js";
import type { Report } from "../../src/core/report-types.js";
import { makeReport, makeSlice } from "./fixtures/report.js";

/** A `repeats: auto` run: two slices had cases rerun, one had none. */
function autoReport(): Report {
  return makeReport({
    config: {
      path: "eval-gate.yml",
      repeats: "auto",
      max_repeats: 5,
      alpha: 0.05,
      mode: "statistical",
      floor: null,
    },
    slices: [
      makeSlice({ set: "anchor", slice: "refund", extra_runs: 24, rerun_cases: 3 }),
      makeSlice({ set: "anchor", slice: "billing", extra_runs: 8, rerun_cases: 1 }),
      makeSlice({ set: "anchor", slice: "smalltalk", extra_runs: 0, rerun_cases: 0 }),
    ],
  });
}

const NOTE =
  "Repeats auto: each case ran once a side, and again on both sides while they differed (at most 5 runs); 32 extra runs: anchor/refund +24 (3 cases), anchor/billing +8 (1 case).";

describe("repeats: auto in the renderers", () => {
  it("says per slice what the reruns cost, in the comment, the summary and the terminal", () => {
    const report = autoReport();
    const comment = renderComment(report, { commentId: "default" });
    expect(comment).toContain(NOTE);
    expect(comment).toContain("repeats auto (≤ 5)");
    // pass^k needs k runs of every case: no such column under auto.
    expect(comment).not.toContain("pass^");
    expect(renderSummary(report)).toContain(NOTE);
    // The terminal wraps the note at its width, continuing lines with two spaces.
    expect(renderTerminal(report).replace(/\n {2}/g, " ")).toContain(NOTE);
  });

  it("keeps the note to a few slices and says when no case differed", () => {
    const many = autoReport();
    many.slices = Array.from({ length: 12 }, (_, i) =>
      makeSlice({ set: "anchor", slice: `s${i}`, extra_runs: 12 - i, rerun_cases: 1 }),
    );
    const note = extraRunsNote(many, 3, "plain");
    expect(note).toContain(
      "anchor/s0 +12 (1 case), anchor/s1 +11 (1 case), anchor/s2 +10 (1 case), and 9 more slices.",
    );
    const quiet = autoReport();
    for (const s of quiet.slices) s.extra_runs = 0;
    expect(extraRunsNote(quiet, 3, "plain")).toMatch(/no case differed\.$/);
    expect(extraRunsNote(makeReport(), 3, "plain")).toBe("");
  });

  it("escapes slice names in the Markdown note", () => {
    const report = autoReport();
    (report.slices[0] as { slice: string }).slice = "<img src=x>|@team";
    const note = extraRunsNote(report, 3, "markdown");
    expect(note).not.toContain("<img");
    expect(note).not.toContain("@team");
  });

  it("round-trips through the strict report schema", () => {
    const report = autoReport();
    expect(parseReport(JSON.stringify(report), "report.json")).toEqual(report);
    const bad = { ...report, config: { ...report.config, repeats: "sometimes" } };
    expect(() => parseReport(JSON.stringify(bad), "report.json")).toThrow(/not an eval-gate report/);
  });
});
