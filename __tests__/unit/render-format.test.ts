import { describe, expect, it } from "vitest";
import {
  caseScore,
  deltaWithInterval,
  duration,
  informativeP,
  interval,
  percent,
  points,
  pValue,
  scoreChange,
  shortSha,
  statusLabel,
  verdictLabel,
  worstFirst,
} from "../../src/core/report/render/format.js";
import { makeSlice } from "./fixtures/report.js";

describe("format", () => {
  it("formats scores, points and intervals", () => {
    expect(percent(0.9)).toBe("90%");
    expect(percent(0.8333)).toBe("83.3%");
    expect(percent(null)).toBe("—");
    expect(points(-0.45)).toBe("-45 pts");
    expect(points(0.045)).toBe("+4.5 pts");
    expect(points(-0.0001)).toBe("0 pts");
    expect(interval(-0.63, -0.25)).toBe("[-63, -25]");
    expect(interval(-0.05, 0.12)).toBe("[-5, +12]");
    expect(scoreChange(0.9, 0.45)).toBe("90% → 45%");
    expect(scoreChange(null, 0.45)).toBe("45%");
  });

  it("formats p-values", () => {
    expect(pValue(0.0004)).toBe("<0.001");
    expect(pValue(0.0042)).toBe("0.004");
    expect(pValue(0.0421)).toBe("0.04");
    expect(pValue(1)).toBe("1.00");
    expect(pValue(null)).toBe("—");
  });

  it("labels verdicts and statuses", () => {
    expect(verdictLabel("pass")).toBe("✅ pass");
    expect(verdictLabel("review")).toBe("\u26a0\ufe0f review");
    expect(verdictLabel("fail")).toBe("❌ fail");
    expect(verdictLabel("error")).toBe("💥 error");
    expect(statusLabel("below_floor")).toBe("⛔ below floor");
  });

  it("orders slices worst first: status, then lowest head score", () => {
    const order = worstFirst([
      makeSlice({ set: "a", slice: "unchanged-low", status: "unchanged", head_score: 0.1 }),
      makeSlice({ set: "a", slice: "improved", status: "improved" }),
      makeSlice({ set: "a", slice: "dropped", status: "dropped" }),
      makeSlice({ set: "a", slice: "floor", status: "below_floor" }),
      makeSlice({ set: "a", slice: "regressed-high", status: "regressed", head_score: 0.7 }),
      makeSlice({ set: "a", slice: "regressed-low", status: "regressed", head_score: 0.2 }),
      makeSlice({ set: "a", slice: "unchanged-high", status: "unchanged", head_score: 0.9 }),
    ]).map((s) => s.slice);
    expect(order).toEqual([
      "regressed-low",
      "regressed-high",
      "floor",
      "dropped",
      "improved",
      "unchanged-low",
      "unchanged-high",
    ]);
  });

  it("picks the p-value of the direction the slice moved in", () => {
    expect(informativeP(makeSlice({ set: "a", slice: "x", delta: -0.1, p_adjusted: 0.01 }))).toBe(0.01);
    expect(informativeP(makeSlice({ set: "a", slice: "x", delta: 0.1, p_improved_adjusted: 0.02 }))).toBe(
      0.02,
    );
    expect(informativeP(makeSlice({ set: "a", slice: "x", delta: 0 }))).toBeNull();
    expect(deltaWithInterval(makeSlice({ set: "a", slice: "x", delta: null }))).toBe("—");
  });

  it("formats the rest", () => {
    expect(duration(820)).toBe("820 ms");
    expect(duration(2400)).toBe("2.4 s");
    expect(shortSha("1f0c3b2a9d8e7f6a")).toBe("1f0c3b2");
    expect(shortSha("main; rm -rf")).toBe("");
    expect(caseScore({ runs: 3, passes: 1, errors: 1 })).toBeCloseTo(1 / 3);
    expect(caseScore({ runs: 0, passes: 0, errors: 1 })).toBeNull();
  });
});
