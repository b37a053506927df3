// Dimensions and "Behaviour changed" in the comment, the summary and the terminal: shown when
// there is something to show, collapsed when long, inert whatever the names, within the budgets.
import { describe, expect, it } from "vitest";
import { behaviourSection, COMMENT_BEHAVIOUR } from "../../src/core/report/render/behaviour.js";
import { renderComment } from "../../src/core/report/render/comment.js";
import { COMMENT_DIMENSIONS, dimensionsSection } from "../../src/core/report/render/dimensions.js";
import { renderSummary } from "../../src/core/report/render/summary.js";
import { renderTerminal } from "../../src/core/report/render/terminal.js";
import type { DimensionDiff, DriftDiff, DriftReport, Report } from "../../src/core/report-types.js";
import { structuralProblems } from "./fixtures/markdown.js";
import { makeReport } from "./fixtures/report.js";
import { manySlicesReport } from "./fixtures/scenarios.js";

function dim(slice: string, dimension: string, overrides: Partial<DimensionDiff> = {}): DimensionDiff {
  return {
    set: "anchor",
    slice,
    dimension,
    n: 20,
    base_score: 0.95,
    head_score: 0.95,
    delta: 0,
    p_value: null,
    p_adjusted: null,
    p_improved: null,
    p_improved_adjusted: null,
    status: "unchanged",
    undersampled: false,
    ...overrides,
  };
}

const schemaDrop = dim("refund", "json_schema: required answer #1a2b3c", {
  base_score: 1,
  head_score: 0.5,
  delta: -0.5,
  p_value: 0.001,
  p_adjusted: 0.002,
  status: "dropped",
});

function drift(rows: DriftDiff[], mode: DriftReport["mode"] = "report"): DriftReport {
  return {
    mode,
    min_relative: 0.2,
    min_points: 0.05,
    min_absolute: { output_chars: 20, latency_ms: 50, tool_calls: 0.2 },
    rows,
  };
}

const longer: DriftDiff = {
  set: "anchor",
  slice: "refund",
  measure: "output_chars",
  n: 20,
  base: 120,
  head: 372,
  change: 2.1,
  p_value: 0.000002,
  p_adjusted: 0.00001,
  changed: true,
};

function report(overrides: Partial<Report>): Report {
  return makeReport({ verdict: "review", reasons: ["Dimension dropped"], ...overrides });
}

describe("the dimensions section", () => {
  it("names the dropped dimension and shows a short table open", () => {
    const r = report({
      dimensions: { review_drop: 0.01, rows: [dim("refund", "judge: polite"), schemaDrop] },
    });
    const text = dimensionsSection(r, COMMENT_DIMENSIONS);
    expect(text).toMatchSnapshot();
    expect(text).toContain(
      "**Dropped (review):** anchor / refund · json\\_schema: required answer \\#\u200b1a2b3c (100% → 50%)",
    );
    expect(text).toContain("Holm-adjusted over the 2 dimensions of the run, is under α = 0.05");
    expect(text).not.toContain("<details>");
    // Dropped first.
    expect(text.indexOf("json\\_schema")).toBeLessThan(text.indexOf("judge: polite"));
    expect(dimensionsSection(makeReport(), COMMENT_DIMENSIONS)).toBe("");
  });

  it("collapses many rows, caps them, and says how many more there are", () => {
    const rows = Array.from({ length: 40 }, (_, i) => dim(`s${i}`, i % 2 ? "judge: polite" : "regex: /\\d/"));
    const text = dimensionsSection(
      report({ dimensions: { review_drop: 0.01, rows: [...rows, schemaDrop] } }),
      COMMENT_DIMENSIONS,
    );
    expect(text).toContain("<details><summary>41 dimensions of 41 slices: 1 dropped, 40 unchanged</summary>");
    expect(text.match(/^\| anchor/gm)).toHaveLength(COMMENT_DIMENSIONS.rows);
    expect(text).toContain("16 more rows in the job summary and the JSON report");
    expect(structuralProblems(text)).toEqual([]);
  });
});

describe("the behaviour section", () => {
  it("appears only when a measure changed, with its size, and says whether it gates", () => {
    const quiet = { ...longer, changed: false };
    expect(behaviourSection(report({ drift: drift([quiet]) }), COMMENT_BEHAVIOUR)).toBe("");
    const text = behaviourSection(report({ drift: drift([quiet, longer]) }), COMMENT_BEHAVIOUR);
    expect(text).toMatchSnapshot();
    expect(text).toContain("### 🔀 Behaviour changed");
    expect(text).toContain(
      "- anchor / refund: output length +210% \\(120 → 372 chars\\) · 20 cases, p (adj.) &lt;0.001",
    );
    expect(text).toContain("Informative: it does not change the verdict");
    expect(behaviourSection(report({ drift: drift([longer], "fail") }), COMMENT_BEHAVIOUR)).toContain(
      "It fails the check (`gate.drift: fail`).",
    );
  });

  it("reaches the comment, the summary and the terminal", () => {
    const r = report({
      dimensions: { review_drop: 0.01, rows: [dim("refund", "judge: polite"), schemaDrop] },
      drift: drift([longer]),
    });
    for (const body of [renderComment(r, { commentId: "default" }), renderSummary(r)]) {
      expect(body).toContain("### Dimensions");
      expect(body).toContain("### 🔀 Behaviour changed");
      expect(structuralProblems(body)).toEqual([]);
    }
    const out = renderTerminal(r);
    expect(out).toContain(
      "dimensions dropped (review): anchor/refund · json_schema: required answer #1a2b3c -50 pts",
    );
    expect(out).toContain("behaviour changed: anchor/refund output length +210% (120 → 372 chars)");
  });
});

describe("budgets", () => {
  const nasty = (i: number) => `@team #${i} | <!-- x --> </details> ${"ü".repeat(300)}`;

  it("keeps the comment under 60,000 characters and the summary under 1 MB with 10,000 slices, 50,000 dimensions and 40,000 changed measures", () => {
    const base = manySlicesReport(10_000);
    const rows = Array.from({ length: 50_000 }, (_, i) =>
      dim(nasty(i), nasty(i + 1), { status: i % 3 ? "dropped" : "lower", delta: -0.2, p_adjusted: 0.01 }),
    );
    const measures = ["output_chars", "refusal_rate", "latency_ms", "tool_calls"] as const;
    const changes = Array.from({ length: 40_000 }, (_, i) => ({
      ...longer,
      slice: nasty(i),
      measure: measures[i % 4] as DriftDiff["measure"],
    }));
    const r = { ...base, dimensions: { review_drop: 0.01, rows }, drift: drift(changes, "fail") };
    const comment = renderComment(r, { commentId: "default" });
    expect(comment.length).toBeLessThanOrEqual(60_000);
    expect(structuralProblems(comment)).toEqual([]);
    expect(comment).toContain("### Dimensions");
    expect(comment).toContain(`- … and ${(40_000 - COMMENT_BEHAVIOUR.lines).toLocaleString("en-US")} more`);
    // The slice tables still get most of the room.
    expect(comment).toContain("| slice-0042 |");
    const summary = renderSummary(r);
    expect(Buffer.byteLength(summary)).toBeLessThanOrEqual(1_000_000);
    expect(structuralProblems(summary)).toEqual([]);
  });
});
