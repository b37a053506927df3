// Issue 14: what the views say about cases that were not graded for want of a label, and about
// slices that have nothing to be compared with. Neither may read as "unchanged".
import { describe, expect, it } from "vitest";
import { fitReport, reportJson } from "../../src/core/report/fit.js";
import { renderComment } from "../../src/core/report/render/comment.js";
import { resultLine } from "../../src/core/report/render/oneline.js";
import { renderSummary } from "../../src/core/report/render/summary.js";
import { renderTerminal } from "../../src/core/report/render/terminal.js";
import { parseReport } from "../../src/core/report/schema.js";
import type { Report } from "../../src/core/report-types.js";
import { structuralProblems } from "./fixtures/markdown.js";
import { makeReport, makeSlice } from "./fixtures/report.js";
import { noBaselineReport } from "./fixtures/scenarios.js";

const withUnlabelled = (unlabelled: Report["unlabelled"], extra: Partial<Report> = {}): Report =>
  makeReport({
    slices: [makeSlice({ set: "rotation", slice: "refund", base_score: 1, head_score: 1 })],
    unlabelled,
    ...extra,
  });

const TWO_SETS: Report["unlabelled"] = [
  { set: "rotation", file: "evals/rotation.jsonl", count: 12, ids: ["june-1", "june-2"] },
  { set: "holdout", file: "evals/holdout.jsonl", count: 1, ids: null },
];

describe("unlabelled cases in the views", () => {
  it("are one line per set in the comment, the summary and the terminal, with how to label them", () => {
    const report = withUnlabelled(TWO_SETS);
    const comment = renderComment(report, { commentId: "default" });
    const summary = renderSummary(report);
    const terminal = renderTerminal(report, { width: 1000 });
    for (const text of [comment, summary]) {
      expect(text).toContain(
        "- 12 cases in set rotation have no expected value and were not graded; label them: write each one's `expected` in evals/rotation.jsonl.",
      );
      expect(text).toContain("- 1 case in set holdout has no expected value and was not graded");
      expect(text).toContain(
        "📝 **Not graded:** 13 cases without a label are in no slice and were sent to no model.",
      );
      expect(text).toContain("- rotation: june-1, june-2, …and 10 more");
      expect(structuralProblems(text)).toEqual([]);
    }
    expect(terminal).toContain(
      "not graded: 12 cases in set rotation have no expected value and were not graded; label them: write each one's `expected` in evals/rotation.jsonl",
    );
    expect(terminal).toContain("not graded: 1 case in set holdout has no expected value");
    expect(resultLine(report)).toMatch(/; 13 cases not graded \(no expected value\)$/);
  });

  it("say which of them the PR labels, when the base branch's cases judge it", () => {
    const report = withUnlabelled(TWO_SETS, {
      definition: {
        source: "base",
        settings: [],
        files: [],
        cases: [
          {
            set: "rotation",
            slice: "refund",
            added: 0,
            removed: 0,
            changed: 1,
            ids: { added: [], removed: [], changed: ["june-2"] },
          },
        ],
      },
    });
    const text =
      "(this PR changes 1 of them; the base branch's cases judge it, so they count once it is merged)";
    expect(renderComment(report, { commentId: "default" })).toContain(text);
    expect(renderTerminal(report, { width: 1000 })).toContain(text);
    expect(
      renderComment(
        {
          ...report,
          definition: { ...(report.definition as NonNullable<Report["definition"]>), source: "head" },
        },
        { commentId: "default" },
      ),
    ).not.toContain(text);
  });

  it("say nothing when every case had a label", () => {
    const report = withUnlabelled(undefined);
    for (const text of [
      renderComment(report, { commentId: "default" }),
      renderSummary(report),
      renderTerminal(report, { width: 1000 }),
      resultLine(report),
    ]) {
      expect(text).not.toMatch(/not graded|expected value/);
    }
  });

  it("stay bounded, and escaped, whatever the report holds", () => {
    const many: Report["unlabelled"] = Array.from({ length: 60 }, (_, s) => ({
      set: `set-${s} @team <b>x</b>`,
      file: `evals/s${s}.jsonl`,
      count: 1000,
      ids: Array.from({ length: 1000 }, (_, i) => `${"x".repeat(250)}-${i} @octocat`),
    }));
    const report = withUnlabelled(many);
    const comment = renderComment(report, { commentId: "default" });
    expect(comment.length).toBeLessThanOrEqual(60_000);
    expect(structuralProblems(comment)).toEqual([]);
    expect(comment).not.toContain("@octocat");
    expect(comment).not.toContain("<b>");
    expect(comment).toMatch(/and 5\d more sets/);
    expect(
      renderTerminal(report, { width: 1000 })
        .split("\n")
        .filter((l) => l.startsWith("not graded")).length,
    ).toBeLessThan(12);
  });

  it("round-trip through the report file, which refuses them off-shape or past their bounds", () => {
    const report = withUnlabelled(TWO_SETS);
    const json = reportJson(fitReport(report));
    expect(parseReport(json, "r.json").unlabelled).toEqual(TWO_SETS);
    const bad = (unlabelled: unknown) => JSON.stringify({ ...JSON.parse(json), unlabelled });
    for (const u of [
      [{ set: "a", file: "f", count: -1, ids: [] }],
      [{ set: "a", file: "f", count: 1, ids: [], extra: true }],
      [{ set: "a", file: "f", count: 1 }],
      [{ set: "a", file: "f", count: 2000, ids: Array.from({ length: 1001 }, (_, i) => `c${i}`) }],
      [{ set: "a".repeat(201), file: "f", count: 1, ids: null }],
      "12",
    ]) {
      expect(() => parseReport(bad(u), "r.json"), JSON.stringify(u).slice(0, 80)).toThrow(
        /not an eval-gate report/,
      );
    }
    // The writer keeps the first 1,000 ids of a set, cuts long names, and never writes what it refuses.
    const long = withUnlabelled([
      {
        set: "s".repeat(500),
        file: "evals/s.jsonl",
        count: 1500,
        ids: Array.from({ length: 1500 }, (_, i) => `${"c".repeat(400)}${i}`),
      },
    ]);
    const written = parseReport(reportJson(fitReport(long)), "r.json").unlabelled?.[0];
    expect(written?.ids).toHaveLength(1000);
    expect(written?.count).toBe(1500);
  });
});

describe("a slice without a baseline", () => {
  it("reads `no baseline` in every view, never `unchanged`", () => {
    const report = noBaselineReport();
    const billing = report.slices.find((s) => s.slice === "billing");
    expect(billing?.status).toBe("no_baseline");
    const comment = renderComment(report, { commentId: "default" });
    const summary = renderSummary(report);
    const terminal = renderTerminal(report, { width: 1000 });
    for (const text of [comment, summary, terminal]) expect(text).not.toMatch(/unchanged/);
    expect(comment).toMatch(/\| billing \|.*no baseline \|/);
    expect(terminal).toMatch(/anchor\s+billing\s+20\s+—\s+95%.*no baseline/);
    expect(resultLine({ ...report, verdict: "pass", slices: [billing as NonNullable<typeof billing>] })).toBe(
      "eval-gate: pass — lowest anchor/billing 95%; 1 slice, no baseline (head only)",
    );
  });

  it("is a status the report file accepts", () => {
    const json = reportJson(fitReport(noBaselineReport()));
    expect(parseReport(json, "r.json").slices.map((s) => s.status)).toContain("no_baseline");
  });
});
