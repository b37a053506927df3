// The life-cycle additions to the comment, the summary and the terminal: the MDE column, the
// overfitting warning and the robustness line. Each appears only when the report carries it.
import { describe, expect, it } from "vitest";
import { renderComment } from "../../src/core/report/render/comment.js";
import { renderSummary } from "../../src/core/report/render/summary.js";
import { mdeCell } from "../../src/core/report/render/tables.js";
import { renderTerminal } from "../../src/core/report/render/terminal.js";
import type { Report } from "../../src/core/report-types.js";
import { splitFences, structuralProblems, tables } from "./fixtures/markdown.js";
import { makeCase, makeReport, makeSlice } from "./fixtures/report.js";
import { brokenAnchorReport } from "./fixtures/scenarios.js";

function withMde(): Report {
  const report = brokenAnchorReport();
  report.slices = report.slices.map((s, i) => ({ ...s, mde: i % 3 === 2 ? null : 0.384 + i / 100 }));
  return report;
}

function withOverfitting(): Report {
  return makeReport({
    slices: [
      makeSlice({
        set: "anchor",
        slice: "refund",
        delta: 0.2,
        head_score: 0.9,
        base_score: 0.7,
        status: "improved",
      }),
      makeSlice({ set: "rotation", slice: "refund", delta: -0.02 }),
    ],
    signals: {
      overfitting: {
        anchor: { delta: 0.2, p: 0.0004 },
        rotation: { delta: -0.02, p: 0.7 },
        note: "@octocat see #12 <b>hostile</b>",
      },
    },
  });
}

function withVariants(): Report {
  const pass = { runs: 1, passes: 1, errors: 0 };
  const fail = { runs: 1, passes: 0, errors: 0 };
  return makeReport({
    slices: [makeSlice({ set: "anchor", slice: "s" }), makeSlice({ set: "robust", slice: "s" })],
    cases: [
      makeCase({ id: "a", set: "anchor", slice: "s", head: pass }),
      makeCase({ id: "b", set: "anchor", slice: "s", head: pass }),
      makeCase({
        id: "a~typos-1",
        set: "robust",
        slice: "s",
        head: fail,
        original: "a",
        perturbation: "typos",
      }),
      makeCase({
        id: "a~typos-2",
        set: "robust",
        slice: "s",
        head: pass,
        original: "a",
        perturbation: "typos",
      }),
      makeCase({
        id: "b~casing-1",
        set: "robust",
        slice: "s",
        head: pass,
        original: "b",
        perturbation: "casing",
      }),
      makeCase({
        id: "b~<i>x</i>-1",
        set: "robust",
        slice: "s",
        head: pass,
        original: "b",
        perturbation: "<i>x</i>",
      }),
    ],
  });
}

describe("minimum detectable drop", () => {
  it("adds an MDE column to every table of the summary, and explains it", () => {
    const body = renderSummary(withMde());
    expect(structuralProblems(body)).toEqual([]);
    const found = tables(splitFences(body).outside).filter((t) => !t[0]?.startsWith("| usage"));
    for (const t of found) expect(t[0]).toMatch(/^\| slice \| n \| MDE \| base → head \|/);
    expect(body).toMatch(/\| refund \| 20 \| 39\.4 pts \| 90% → 45% \|/);
    expect(body).toContain("| none |");
    expect(body).toContain("MDE: the smallest drop");
  });

  it("adds it per set in the comment's side-by-side table", () => {
    const body = renderComment(withMde(), { commentId: "default" });
    expect(structuralProblems(body)).toEqual([]);
    expect(body).toMatch(/\| slice \| anchor n \| MDE \| base → head \|.*\| rotation n \| MDE \|/);
  });

  it("adds a terminal column, and leaves every renderer as it was without MDEs", () => {
    const terminal = renderTerminal(withMde());
    expect(terminal).toMatch(/set\s+slice\s+n\s+base\s+head\s+Δ\s+90% CI\s+p_adj\s+status\s+mde\n/);
    expect(terminal).toMatch(/anchor\s+refund\s+20\s+90%\s+45%.*regressed\s+39\.4 pts\n/);
    expect(renderTerminal(brokenAnchorReport())).not.toMatch(/\bmde\b/);
    expect(renderSummary(brokenAnchorReport())).not.toContain("MDE");
    expect(renderComment(brokenAnchorReport(), { commentId: "default" })).not.toContain("MDE");
  });

  it("formats a cell in points, `none` for no detectable drop", () => {
    expect(mdeCell(0.384)).toBe("38.4 pts");
    expect(mdeCell(null)).toBe("none");
    expect(mdeCell(undefined)).toBe("—");
  });
});

describe("overfitting warning", () => {
  it("is one line in the comment and the summary, built from the numbers, not the note", () => {
    for (const body of [
      renderComment(withOverfitting(), { commentId: "default" }),
      renderSummary(withOverfitting()),
    ]) {
      expect(structuralProblems(body)).toEqual([]);
      const lines = body.split("\n").filter((l) => l.includes("Overfitting?"));
      expect(lines).toEqual([
        "⚠️ **Overfitting?** The anchor set improved (+20 pts, pooled p &lt; 0.001) while the rotation set fell (-2 pts, pooled p = 0.70): the change may fit the anchor cases rather than the task.",
      ]);
      expect(body).not.toContain("octocat");
      expect(body).not.toContain("<b>");
    }
    expect(renderTerminal(withOverfitting())).toContain("overfitting? @octocat see #12 <b>hostile</b>");
  });

  it("is absent without the signal, or with a null one", () => {
    const quiet = withOverfitting();
    quiet.signals = { overfitting: null };
    expect(renderSummary(quiet)).not.toContain("Overfitting");
    expect(renderComment(makeReport(), { commentId: "default" })).not.toContain("Overfitting");
  });
});

describe("robustness line", () => {
  it("says how many perturbed variants flip, per kind, in the summary and the comment", () => {
    for (const body of [
      renderSummary(withVariants()),
      renderComment(withVariants(), { commentId: "default" }),
    ]) {
      expect(structuralProblems(body)).toEqual([]);
      expect(body).toContain(
        "**Robustness:** 25% of 4 perturbed variants flip (pass where their original fails on head, or the reverse), over 2 originals: typos 50% (1/2) · &lt;i&gt;x&lt;/i&gt; 0% (0/1) · casing 0% (0/1).",
      );
    }
    expect(renderTerminal(withVariants())).toContain(
      "robustness: 25% of 4 perturbed variants flip (typos 50%",
    );
  });

  it("is absent when the report has no variants", () => {
    expect(renderSummary(brokenAnchorReport())).not.toContain("Robustness");
  });
});
