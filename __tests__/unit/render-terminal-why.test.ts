import { describe, expect, it } from "vitest";
import { displayWidth, renderTerminal } from "../../src/core/report/render/terminal.js";
import { wrap } from "../../src/core/report/render/terminal-text.js";
import type { Report } from "../../src/core/report-types.js";
import { flippedCase, makeCase, makeReport, makeSlice } from "./fixtures/report.js";
import { brokenAnchorReport, noBaselineReport } from "./fixtures/scenarios.js";

// 60 characters, as a slice name from a traces export can be.
const LONG_SLICE = "refund_requests_for_orders_shipped_to_a_second_address_abroad".slice(0, 60);
const LONG_SET = "customer-support-rotation-2026-05";

function lines(out: string): string[] {
  return out.trimEnd().split("\n");
}

/** A run whose long-named slice regressed on 7 cases and whose long-named set dropped on one. */
function longNames(): Report {
  const flips = Array.from({ length: 7 }, (_, i) =>
    flippedCase(`case-${i + 1}`, "anchor", LONG_SLICE, 10 + i, {
      head_reason: `contains: expected 'second address' not found in the answer about order ${i + 1}`,
    }),
  );
  return makeReport({
    verdict: "fail",
    reasons: ["anchor / refund regressed"],
    slices: [
      makeSlice({ set: "anchor", slice: "refund" }),
      makeSlice({
        set: "anchor",
        slice: LONG_SLICE,
        status: "regressed",
        base_score: 1,
        head_score: 0.65,
        delta: -0.35,
        ci_low: -0.55,
        ci_high: -0.15,
        p_value: 0.004,
        p_adjusted: 0.008,
      }),
      makeSlice({ set: LONG_SET, slice: "billing", status: "dropped", head_score: 0.85, delta: -0.05 }),
    ],
    cases: [...flips, flippedCase("bill-9", LONG_SET, "billing", 9, { head_reason: "regex: no match" })],
  });
}

describe("the terminal says why", () => {
  it("lists the flipped cases of each regressed and dropped slice, five at most, before the verdict", () => {
    const out = renderTerminal(brokenAnchorReport(), { width: 80, more: "see .eval-gate/report.json" });
    const all = lines(out);
    const at = all.indexOf("anchor / refund regressed: 9 cases passed on base and fail on head");
    expect(at).toBeGreaterThan(0);
    expect(all.slice(at + 1, at + 7)).toEqual([
      "  refund-001  pass -> fail  contains: expected 'refund' not found",
      "  refund-002  pass -> fail  contains: expected 'refund' not found",
      "  refund-003  pass -> fail  contains: expected 'refund' not found",
      "  refund-004  pass -> fail  contains: expected 'refund' not found",
      "  refund-005  pass -> fail  contains: expected 'refund' not found",
      "  and 4 more: see .eval-gate/report.json",
    ]);
    expect(out).toContain(
      "anchor / smalltalk dropped: 1 case passed on base and fails on head\n  small-004  pass -> fail",
    );
    // Improved slices need no explaining.
    expect(out).not.toContain("rbill-002");
    expect(all.at(-1)).toMatch(/^verdict: FAIL/);
    expect(all.indexOf(all.find((l) => l.startsWith("  small-004")) ?? "")).toBeLessThan(all.length - 1);
  });

  it("gives pass counts under repeats, and errored runs", () => {
    const report = makeReport({
      verdict: "fail",
      config: { path: "eval-gate.yml", repeats: 3, alpha: 0.05, mode: "statistical", floor: null },
      slices: [makeSlice({ set: "anchor", slice: "refund", status: "regressed", head_score: 0.5 })],
      cases: [
        makeCase({
          id: "r-1",
          set: "anchor",
          slice: "refund",
          base: { runs: 3, passes: 3, errors: 0 },
          head: { runs: 3, passes: 1, errors: 0 },
          head_reason: "exact: got 'no'",
        }),
        makeCase({
          id: "r-2",
          set: "anchor",
          slice: "refund",
          base: { runs: 3, passes: 3, errors: 0 },
          head: { runs: 2, passes: 0, errors: 1 },
        }),
      ],
    });
    const out = renderTerminal(report);
    expect(out).toContain("anchor / refund regressed: 2 cases pass less often on head than on base");
    expect(out).toContain("  r-2  3/3 -> 0/2 (+1 errored)\n  r-1  3/3 -> 1/3               exact: got 'no'");
  });

  it("lists the failing cases of a slice under the floor without a baseline", () => {
    const report = noBaselineReport();
    report.cases.push(
      makeCase({
        id: "status-007",
        set: "anchor",
        slice: "status",
        line: 7,
        base: null,
        head: { runs: 1, passes: 0, errors: 0 },
        head_reason: "regex: no match",
      }),
    );
    const out = renderTerminal(report);
    expect(out).toContain(
      "anchor / refund is below the floor: 1 case fails on head\n  refund-003  fail  contains:",
    );
    expect(out).toContain(
      "anchor / status is under the floor, within noise: 1 case fails on head\n  status-007  fail  regex: no match",
    );
    // A failing case of a slice that is fine explains nothing.
    expect(out).not.toContain("billing-001");
  });

  for (const width of [80, 40]) {
    it(`at ${width} columns keeps every line but the verdict within the width and cuts no name`, () => {
      const out = renderTerminal(longNames(), { width });
      const all = lines(out);
      for (const line of all.slice(0, -1)) expect(displayWidth(line), line).toBeLessThanOrEqual(width);
      expect(all.at(-1)).toBe("verdict: FAIL (anchor / refund regressed)");
      // Only a case's line (its reason) may end in an ellipsis; the names are whole, if wrapped.
      for (const line of all.filter((l) => l.includes("…"))) expect(line).toMatch(/^ {2}(case-\d|bill-9) /);
      const joined = all.map((l) => l.trim()).join("");
      expect(joined.split(LONG_SLICE).length - 1).toBeGreaterThanOrEqual(2);
      expect(joined.split(LONG_SET).length - 1).toBeGreaterThanOrEqual(2);
      expect(out).toMatch(/^ {2}case-1 +pass -> fail +contains:/m);
      expect(out).toContain("  and 2 more: see the report");
      if (width === 80) {
        // At 80 columns a 60-character name is never split: it has a line to itself.
        expect(all.filter((l) => l.includes(LONG_SLICE)).length).toBeGreaterThanOrEqual(2);
        expect(all.some((l) => l.includes(LONG_SET))).toBe(true);
      }
    });
  }
});

describe("wrap", () => {
  it("breaks at spaces, then inside a word too long for a line, after its own separators", () => {
    expect(wrap("one two three", 8)).toEqual(["one two", "three"]);
    expect(wrap("  and 4 more: see the report", 16, "  ")).toEqual(["  and 4 more:", "  see the report"]);
    expect(wrap("abcdefghij", 4)).toEqual(["abcd", "efgh", "ij"]);
    expect(wrap("refund_requests_abroad", 12)).toEqual(["refund_", "requests_", "abroad"]);
    expect(wrap("日本語の名前", 5)).toEqual(["日本", "語の", "名前"]);
  });
});
