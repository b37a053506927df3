import { describe, expect, it } from "vitest";
import { regressionAnnotations } from "../../src/core/report/annotations.js";
import { resultLine } from "../../src/core/report/render/oneline.js";
import { flippedCase, makeCase, makeReport, makeSlice } from "./fixtures/report.js";

const FILE = "evals/anchor.jsonl";

function report(cases = 3) {
  return makeReport({
    verdict: "fail",
    slices: [
      makeSlice({ set: "anchor", slice: "refund", status: "regressed", base_score: 0.9, head_score: 0.45 }),
      makeSlice({ set: "anchor", slice: "billing", status: "dropped", base_score: 0.9, head_score: 0.8 }),
      makeSlice({ set: "anchor", slice: "shipping", status: "unchanged" }),
      makeSlice({ set: "anchor", slice: "gifts", status: "improved", base_score: 0.5, head_score: 0.9 }),
    ],
    cases: [
      ...Array.from({ length: cases }, (_, i) =>
        flippedCase(`refund-${i + 1}`, "anchor", "refund", 10 + i, { file: FILE }),
      ),
      flippedCase("billing-1", "anchor", "billing", 40, { file: FILE }),
      // Flipped, but in a slice that did not get worse as a whole: not annotated.
      flippedCase("shipping-1", "anchor", "shipping", 50, { file: FILE }),
      // Failing on both sides: did not get worse.
      makeCase({
        id: "refund-old",
        set: "anchor",
        slice: "refund",
        line: 60,
        file: FILE,
        base: { runs: 1, passes: 0, errors: 0 },
        head: { runs: 1, passes: 0, errors: 0 },
      }),
      // Errored on head: not a fail, not annotated as one.
      makeCase({
        id: "refund-err",
        set: "anchor",
        slice: "refund",
        line: 61,
        file: FILE,
        head: { runs: 0, passes: 0, errors: 1 },
      }),
    ],
  });
}

describe("regressionAnnotations", () => {
  it("annotates each case that got worse in a failing slice on its line, errors for regressed and warnings for dropped", () => {
    const out = regressionAnnotations(report());
    expect(out.map((a) => [a.level, a.file, a.startLine])).toEqual([
      ["error", FILE, 10],
      ["error", FILE, 11],
      ["error", FILE, 12],
      ["warning", FILE, 40],
    ]);
    expect(out[0]?.title).toBe("eval-gate: anchor/refund regressed");
    expect(out[0]?.message).toBe(
      "Case refund-1 passed on base and fails on head: contains: expected 'refund' not found",
    );
    expect(out[3]?.title).toBe("eval-gate: anchor/billing dropped");
  });

  it("caps each level under GitHub's per-step limit and counts the rest in one notice", () => {
    const out = regressionAnnotations(report(30));
    expect(out.filter((a) => a.level === "error")).toHaveLength(9);
    expect(out.filter((a) => a.level === "warning")).toHaveLength(1);
    const notice = out.filter((a) => a.level === "notice");
    expect(notice).toHaveLength(1);
    expect(notice[0]?.message).toMatch(/^21 more cases that got worse are not annotated/);
    expect(notice[0]?.file).toBeUndefined();
    expect(
      regressionAnnotations(report(30), { maxPerLevel: 50 }).filter((a) => a.level === "error"),
    ).toHaveLength(30);
  });

  it("gives the pass counts with repeats, keeps messages on one line, and says nothing without a baseline", () => {
    const r = makeReport({
      slices: [makeSlice({ set: "anchor", slice: "refund", status: "below_floor" })],
      cases: [
        makeCase({
          id: "refund-9",
          set: "anchor",
          slice: "refund",
          line: 7,
          file: FILE,
          base: { runs: 3, passes: 3, errors: 0 },
          head: { runs: 3, passes: 1, errors: 0 },
          head_reason: 'Expected output\nto contain\u001b[31m "refund"',
        }),
      ],
    });
    const [a] = regressionAnnotations(r);
    expect(a?.level).toBe("error");
    expect(a?.title).toBe("eval-gate: anchor/refund below floor");
    expect(a?.message).toBe(
      'Case refund-9 passed 3/3 runs on base, 1/3 on head: Expected output to contain[31m "refund"',
    );
    expect(regressionAnnotations({ ...r, base: null })).toEqual([]);
  });

  it("never annotates an aggregate-only set (its cases are not in the report)", () => {
    const r = makeReport({
      slices: [makeSlice({ set: "holdout", slice: "all", status: "regressed", aggregate: true })],
      cases: [],
    });
    expect(regressionAnnotations(r)).toEqual([]);
  });
});

describe("resultLine", () => {
  it("names the worst slice with its scores and counts the rest", () => {
    expect(resultLine(report())).toBe(
      "eval-gate: fail — anchor/refund 90% → 45% (regressed); 1 of 4 slices regressed, 1 dropped, 1 improved",
    );
  });

  it("names the lowest slice when nothing got worse, and says when there was no baseline", () => {
    const r = makeReport({
      base: null,
      slices: [
        makeSlice({ set: "anchor", slice: "a", base_score: null, head_score: 0.7, status: "no_baseline" }),
        makeSlice({ set: "anchor", slice: "b", base_score: null, head_score: 0.95, status: "no_baseline" }),
      ],
    });
    expect(resultLine(r)).toBe("eval-gate: pass — lowest anchor/a 70%; 2 slices, no baseline (head only)");
    // A floor's statuses are counted; the missing baseline is said once.
    const floor = {
      ...r,
      slices: [
        ...r.slices,
        makeSlice({ set: "anchor", slice: "c", base_score: null, head_score: 0.5, status: "below_floor" }),
      ],
    };
    expect(resultLine({ ...floor, verdict: "fail" })).toBe(
      "eval-gate: fail — anchor/c 50% (below floor); 1 of 3 slices below floor (no baseline: head only)",
    );
  });

  it("gives the first reason of an error", () => {
    const r = makeReport({
      verdict: "error",
      reasons: ["eval-gate.yml:3: target.model: required", "second"],
    });
    expect(resultLine(r)).toBe(
      "eval-gate: error — eval-gate.yml:3: target.model: required (and 1 more reason)",
    );
  });
});
