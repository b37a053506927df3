import { describe, expect, it } from "vitest";
import { utf8Length } from "../../src/core/report/render/budget.js";
import { renderSummary } from "../../src/core/report/render/summary.js";
import { splitFences, structuralProblems, tables } from "./fixtures/markdown.js";
import { flippedCase } from "./fixtures/report.js";
import {
  brokenAnchorReport,
  holdoutReport,
  hugeReport,
  manySlicesReport,
  noBaselineReport,
  repeatsReport,
} from "./fixtures/scenarios.js";

describe("renderSummary", () => {
  it("(a) has one table per set, worst first, and both directions of flips", () => {
    const body = renderSummary(brokenAnchorReport());
    expect(structuralProblems(body)).toEqual([]);
    expect(body).toMatchSnapshot();
    expect(body).not.toContain("<!-- eval-gate");
    const found = tables(splitFences(body).outside).filter((t) => !t[0]?.startsWith("| usage"));
    expect(found).toHaveLength(2);
    expect(body).toContain("### anchor\n");
    expect(body).toContain("### rotation\n");
    expect(found[0]?.[2]).toMatch(/^\| refund \| 20 \| 90% → 45% \|/);
    expect(found[1]?.[2]).toMatch(/^\| billing \| 12 \| 75% → 91\.7% \|/);
    expect(body).toContain("### Cases that flipped");
    expect(body).toContain("9 cases passed on base, fail on head");
    expect(body).toContain("2 cases failed on base, pass on head");
    expect(body).toContain("| requests (cached) | 120 (60) | 120 (60) |");
  });

  it("(b) lists every failing case when there is no baseline", () => {
    const body = renderSummary(noBaselineReport());
    expect(structuralProblems(body)).toEqual([]);
    expect(body).toContain("No baseline: only the head side ran");
    expect(body).toContain("### Failing cases");
    expect(body).toContain("refund-003");
    // Unlike the comment, failures in slices above the floor are listed too.
    expect(body).toContain("billing-001");
  });

  it("(c) shows pass^k with repeats", () => {
    expect(renderSummary(repeatsReport())).toContain("pass^3");
  });

  it("(e) keeps aggregate sets to their score", () => {
    const report = holdoutReport();
    report.cases.push(flippedCase("secret-1", "holdout", "*", 1, { head_output: "HOLDOUT SECRET" }));
    const body = renderSummary(report);
    expect(structuralProblems(body)).toEqual([]);
    expect(body).toContain("### Aggregate sets");
    expect(body).not.toContain("HOLDOUT SECRET");
  });

  it("keeps 300 failing cases with 20,000-character outputs under 1 MB of UTF-8", () => {
    const body = renderSummary(hugeReport(300, 20_000));
    expect(utf8Length(body)).toBeLessThanOrEqual(1_000_000);
    expect(structuralProblems(body)).toEqual([]);
    // Generous budget: every flipped case is still there, only shortened.
    for (let i = 0; i < 300; i += 37) expect(body).toContain(`**case-${i}**`);
  });

  it("counts bytes, not characters, and never exceeds the budget", () => {
    const report = hugeReport(50, 5_000);
    for (const c of report.cases) c.head_output = "日本語の出力".repeat(800);
    for (const max of [200_000, 50_000, 10_000, 2_000, 50]) {
      const body = renderSummary(report, { maxChars: max });
      expect(utf8Length(body)).toBeLessThanOrEqual(max);
      if (max >= 2_000) expect(structuralProblems(body)).toEqual([]);
    }
  });

  it("truncates table rows, worst first, for thousands of slices", () => {
    const body = renderSummary(manySlicesReport(20_000), { maxChars: 100_000 });
    expect(utf8Length(body)).toBeLessThanOrEqual(100_000);
    expect(structuralProblems(body)).toEqual([]);
    expect(body).toMatch(/_… and [\d,]+ more slice rows not shown/);
    expect(body).toContain("| slice-0042 |");
  });
});
