import { describe, expect, it } from "vitest";
import { compareSlices, type GateOptions } from "../../src/core/compare.js";
import { createRng } from "../../src/core/stats.js";
import type { CaseResult, EvalSet } from "../../src/core/types.js";
import { decideVerdict } from "../../src/core/verdict.js";

const gate: GateOptions = { mode: "statistical", alpha: 0.05, floor: null, min_slice_n: 12, repeats: 1 };

function set(name: string, visibility: "full" | "aggregate" = "full"): EvalSet {
  return { name, path: `${name}.jsonl`, visibility, cases: [] };
}

/** One case with single runs: 1 = pass, 0 = fail, on each side. */
function single(setName: string, slice: string, i: number, base: 0 | 1 | null, head: 0 | 1): CaseResult {
  return {
    id: `${slice}-${i}`,
    set: setName,
    slice,
    line: i + 1,
    base: base === null ? null : { runs: 1, passes: base, errors: 0 },
    head: { runs: 1, passes: head, errors: 0 },
  };
}

/** `pairs` as [base, head] outcomes for consecutive cases of one slice. */
function slice(setName: string, name: string, pairs: [0 | 1, 0 | 1][]): CaseResult[] {
  return pairs.map(([b, h], i) => single(setName, name, i, b, h));
}

const repeat = <T>(n: number, x: T): T[] => Array.from({ length: n }, () => x);

/** C(n, k) / 2^n summed by hand, as an independent check of the exact McNemar tail. */
function tail(k: number, n: number): number {
  let total = 0;
  for (let i = k; i <= n; i++) {
    let c = 1;
    for (let j = 0; j < i; j++) c = (c * (n - j)) / (j + 1);
    total += c;
  }
  return total / 2 ** n;
}

describe("compareSlices", () => {
  it("tests each slice with the exact McNemar tail and Holm-adjusts over every slice of the run", () => {
    const cases = [
      // refund: 10 base-pass/head-fail, 1 the reverse, 9 both pass.
      ...slice("anchor", "refund", [...repeat(10, [1, 0] as [1, 0]), [0, 1], ...repeat(9, [1, 1] as [1, 1])]),
      // status: 2 worse, 0 better, 18 unchanged.
      ...slice("anchor", "status", [...repeat(2, [1, 0] as [1, 0]), ...repeat(18, [1, 1] as [1, 1])]),
      // rotation refund: nothing changed.
      ...slice("rotation", "refund", repeat(15, [1, 1] as [1, 1])),
    ];
    const diffs = compareSlices([set("anchor"), set("rotation")], cases, gate);
    const refund = diffs.find((d) => d.set === "anchor" && d.slice === "refund");
    const status = diffs.find((d) => d.slice === "status");
    const rot = diffs.find((d) => d.set === "rotation");
    expect(refund?.p_value).toBeCloseTo(tail(10, 11), 12);
    expect(status?.p_value).toBeCloseTo(0.25, 12);
    expect(rot?.p_value).toBe(1);
    // Holm with m = 3: sorted p = [0.0059, 0.25, 1] -> [3p1, max(3p1, 2p2), max(.., 1)].
    expect(refund?.p_adjusted).toBeCloseTo(3 * tail(10, 11), 12);
    expect(status?.p_adjusted).toBeCloseTo(0.5, 12);
    expect(rot?.p_adjusted).toBe(1);
    expect(refund?.status).toBe("regressed");
    expect(status?.status).toBe("dropped");
    expect(rot?.status).toBe("unchanged");
    expect(refund?.base_score).toBeCloseTo(19 / 20);
    expect(refund?.head_score).toBeCloseTo(10 / 20);
    expect(refund?.delta).toBeCloseTo(-9 / 20);
    expect(refund?.ci_low).toBeLessThan(refund?.delta as number);
    expect(refund?.ci_high).toBeGreaterThan(refund?.delta as number);
    expect(refund?.ci_high).toBeLessThan(0);
  });

  it("marks improvements with the mirror test and leaves noise alone", () => {
    const cases = slice("anchor", "refund", [
      ...repeat(9, [0, 1] as [0, 1]),
      ...repeat(11, [1, 1] as [1, 1]),
    ]);
    const [d] = compareSlices([set("anchor")], cases, gate);
    expect(d?.status).toBe("improved");
    expect(d?.p_improved).toBeCloseTo(tail(9, 9), 12);
  });

  it("in strict mode any drop regresses", () => {
    const cases = slice("anchor", "refund", [[1, 0], ...repeat(19, [1, 1] as [1, 1])]);
    expect(compareSlices([set("anchor")], cases, gate)[0]?.status).toBe("dropped");
    expect(compareSlices([set("anchor")], cases, { ...gate, mode: "strict" })[0]?.status).toBe("regressed");
  });

  it("blames a PR for the floor only when it crossed it or sank further", () => {
    const crossed = slice("anchor", "a", [[1, 0], ...repeat(9, [1, 1] as [1, 1])]);
    const already = slice("anchor", "b", [...repeat(5, [0, 0] as [0, 0]), ...repeat(5, [1, 1] as [1, 1])]);
    const diffs = compareSlices([set("anchor")], [...crossed, ...already], { ...gate, floor: 0.95 });
    expect(diffs.find((d) => d.slice === "a")?.status).toBe("below_floor");
    expect(diffs.find((d) => d.slice === "b")?.status).toBe("unchanged");
  });

  it("without a baseline only the floor can fail a slice", () => {
    const cases = [0, 1, 2, 3].map((i) => single("anchor", "a", i, null, i === 0 ? 1 : 0));
    const [d] = compareSlices([set("anchor")], cases, { ...gate, floor: 0.5 });
    expect(d?.base_score).toBeNull();
    expect(d?.status).toBe("below_floor");
    expect(d?.undersampled).toBe(true);
  });

  it("uses the sign-flip test on per-case scores with repeats, and pass^k with the unbiased estimator", () => {
    // 3 runs per case: base 3/3 everywhere; head 1/3 on 6 cases, 3/3 on 6.
    const cases: CaseResult[] = Array.from({ length: 12 }, (_, i) => ({
      id: `c${i}`,
      set: "anchor",
      slice: "refund",
      line: i + 1,
      base: { runs: 3, passes: 3, errors: 0 },
      head: { runs: 3, passes: i < 6 ? 1 : 3, errors: 0 },
    }));
    const [d] = compareSlices([set("anchor")], cases, { ...gate, repeats: 3 });
    // Six equal negative differences, six zeros: the null puts each sign at 1/2, so p = 2^-6.
    expect(d?.p_value).toBeCloseTo(1 / 64, 12);
    expect(d?.head_score).toBeCloseTo((6 / 3 + 6) / 12);
    // pass^3: C(1,3)/C(3,3) = 0 on six cases, 1 on six.
    expect(d?.pass_k_head).toBeCloseTo(0.5);
    expect(d?.pass_k_base).toBe(1);
  });

  it("pools an aggregate set into one slice", () => {
    const cases = [
      ...slice("holdout", "a", repeat(6, [1, 1] as [1, 1])),
      ...slice("holdout", "b", repeat(6, [1, 0] as [1, 0])),
    ];
    const diffs = compareSlices([set("holdout", "aggregate")], cases, gate);
    expect(diffs).toHaveLength(1);
    expect(diffs[0]).toMatchObject({ slice: "all", n: 12, aggregate: true, head_score: 0.5 });
  });

  it("leaves cases whose runs all errored out of the pairing", () => {
    const cases = slice("anchor", "a", repeat(12, [1, 1] as [1, 1]));
    cases.push({ ...single("anchor", "a", 99, 1, 0), head: { runs: 0, passes: 0, errors: 1 } });
    const [d] = compareSlices([set("anchor")], cases, gate);
    expect(d?.n).toBe(12);
    expect(d?.head_score).toBe(1);
  });
});

describe("the gate under the null", () => {
  it("fails at most about alpha of null PRs (5 slices of 60 cases, sampling noise)", () => {
    const rng = createRng(7);
    const runs = 400;
    let failed = 0;
    for (let r = 0; r < runs; r++) {
      const cases: CaseResult[] = [];
      for (let s = 0; s < 5; s++) {
        for (let i = 0; i < 60; i++) {
          const p = 0.3 + 0.65 * rng(); // each case has its own pass rate; both sides draw from it
          cases.push(single("anchor", `s${s}`, i, rng() < p ? 1 : 0, rng() < p ? 1 : 0));
        }
      }
      const slices = compareSlices([set("anchor")], cases, gate);
      const { verdict } = decideVerdict({
        slices,
        errorRate: 0,
        maxErrorRate: 0,
        errorRuns: 0,
        hasBase: true,
      });
      if (verdict === "fail") failed++;
    }
    expect(failed / runs).toBeLessThanOrEqual(0.05);
  });

  it("catches a real drop on one slice of five", () => {
    const rng = createRng(11);
    let caught = 0;
    for (let r = 0; r < 100; r++) {
      const cases: CaseResult[] = [];
      for (let s = 0; s < 5; s++) {
        for (let i = 0; i < 60; i++) {
          const p = 0.9;
          const q = s === 2 ? 0.45 : 0.9; // the PR breaks slice s2
          cases.push(single("anchor", `s${s}`, i, rng() < p ? 1 : 0, rng() < q ? 1 : 0));
        }
      }
      const slices = compareSlices([set("anchor")], cases, gate);
      if (slices.find((d) => d.slice === "s2")?.status === "regressed") caught++;
    }
    expect(caught).toBeGreaterThanOrEqual(95);
  });
});
