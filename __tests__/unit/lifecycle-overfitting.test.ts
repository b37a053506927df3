import { describe, expect, it } from "vitest";
import {
  chiSquaredEvenSurvival,
  fisherCombined,
  overfittingSignal,
  pooledChange,
} from "../../src/core/gate/overfitting.js";
import type { SliceDiff } from "../../src/core/report-types.js";
import { makeSlice } from "./fixtures/report.js";

const up = (set: string, slice: string, n: number, delta: number, p: number, improved = false): SliceDiff =>
  makeSlice({
    set,
    slice,
    n,
    base_score: 0.7,
    head_score: 0.7 + delta,
    delta,
    p_improved: p,
    p_improved_adjusted: Math.min(1, p * 6),
    status: improved ? "improved" : "unchanged",
  });

describe("pooled tests", () => {
  it("computes the chi-squared survival for even degrees of freedom", () => {
    // df 2: e^{-x/2}; df 4 at x = 9.4877: 0.05 (the textbook critical value).
    expect(chiSquaredEvenSurvival(5.991, 1)).toBeCloseTo(0.05, 4);
    expect(chiSquaredEvenSurvival(9.4877, 2)).toBeCloseTo(0.05, 4);
    expect(chiSquaredEvenSurvival(0, 3)).toBe(1);
  });

  it("combines p-values by Fisher's method, and pools deltas by cases", () => {
    expect(fisherCombined([0.05])).toBeCloseTo(0.05, 12);
    expect(fisherCombined([1, 1, 1])).toBe(1);
    expect(fisherCombined([0.04, 0.04])).toBeLessThan(0.04);
    const pooled = pooledChange(
      [up("anchor", "a", 30, 0.1, 0.2), up("anchor", "b", 10, -0.1, 0.9)],
      "anchor",
    );
    expect(pooled?.delta).toBeCloseTo((30 * 0.1 - 10 * 0.1) / 40, 12);
    expect(
      pooledChange([makeSlice({ set: "anchor", slice: "a", delta: null, base_score: null })], "anchor"),
    ).toBeNull();
  });
});

describe("overfittingSignal", () => {
  it("fires when an anchor slice improved while the rotation stayed flat", () => {
    const signal = overfittingSignal(
      [
        up("anchor", "refund", 40, 0.2, 0.0005, true),
        up("anchor", "billing", 30, 0.03, 0.3),
        up("rotation", "refund", 20, 0, 1),
        up("rotation", "billing", 15, 0.02, 0.5),
      ],
      0.05,
    );
    expect(signal).not.toBeNull();
    expect(signal?.anchor.delta).toBeCloseTo((40 * 0.2 + 30 * 0.03) / 70, 12);
    expect(signal?.rotation.delta).toBeCloseTo((15 * 0.02) / 35, 12);
    expect(signal?.note).toMatch(
      /^anchor improved \(\+12\.7 pts, pooled p = 0\.001\) while rotation stayed flat \(\+0\.9 pts, pooled p = 0\.85\)/,
    );
  });

  it("fires on a pooled anchor gain no single slice carries, and when the rotation fell", () => {
    const signal = overfittingSignal(
      [
        up("anchor", "a", 30, 0.1, 0.02),
        up("anchor", "b", 30, 0.1, 0.02),
        up("anchor", "c", 30, 0.1, 0.02),
        up("rotation", "a", 30, -0.05, 0.95),
      ],
      0.05,
    );
    expect(signal?.anchor.p).toBeLessThan(0.05);
    expect(signal?.note).toContain("rotation fell");
  });

  it("stays quiet when both sets rose, when the anchor gain is noise, or when a set is missing", () => {
    const realProgress = [
      up("anchor", "a", 40, 0.2, 0.001, true),
      up("rotation", "a", 40, 0.15, 0.004, true),
    ];
    expect(overfittingSignal(realProgress, 0.05)).toBeNull();
    // Both rose alike with pooled evidence only: held to the same standard, neither counts as flat.
    const pooledBoth = [
      up("anchor", "a", 30, 0.1, 0.02),
      up("anchor", "b", 30, 0.1, 0.02),
      up("rotation", "a", 30, 0.1, 0.02),
      up("rotation", "b", 30, 0.1, 0.02),
    ];
    expect(overfittingSignal(pooledBoth, 0.05)).toBeNull();
    const noise = [up("anchor", "a", 20, 0.05, 0.4), up("rotation", "a", 20, -0.05, 0.9)];
    expect(overfittingSignal(noise, 0.05)).toBeNull();
    const anchorDown = [up("anchor", "a", 40, -0.1, 1), up("rotation", "a", 40, 0, 1)];
    expect(overfittingSignal(anchorDown, 0.05)).toBeNull();
    expect(overfittingSignal([up("anchor", "a", 40, 0.2, 0.001, true)], 0.05)).toBeNull();
    const noBaseline = [
      up("anchor", "a", 40, 0.2, 0.001, true),
      makeSlice({ set: "rotation", slice: "a", base_score: null, delta: null, p_improved: null }),
    ];
    expect(overfittingSignal(noBaseline, 0.05)).toBeNull();
  });

  it("needs the anchor's pooled delta positive, even with one improved slice", () => {
    const mixed = [
      up("anchor", "a", 10, 0.3, 0.001, true),
      up("anchor", "b", 60, -0.1, 1),
      up("rotation", "a", 40, 0, 1),
    ];
    expect(overfittingSignal(mixed, 0.05)).toBeNull();
  });
});
