import { describe, expect, it } from "vitest";
import { compareSlices } from "../../src/core/gate/compare.js";
import type { GateOptions } from "../../src/core/gate/options.js";
import { decideVerdict } from "../../src/core/gate/verdict.js";
import { binomialAtMost } from "../../src/core/stats/index.js";
import type { CaseResult, EvalSet } from "../../src/core/types.js";

const gate: GateOptions = { mode: "statistical", alpha: 0.05, floor: null, min_slice_n: 12, repeats: 1 };
const anchor: EvalSet = { name: "anchor", path: "anchor.jsonl", visibility: "full", cases: [] };

type Pair = [0 | 1, 0 | 1];
const WORSE: Pair = [1, 0];
const BETTER: Pair = [0, 1];
const PASS: Pair = [1, 1];
const FAIL: Pair = [0, 0];

/** One case with single runs: 1 = pass, 0 = fail, on each side. */
function single(slice: string, i: number, base: 0 | 1 | null, head: 0 | 1): CaseResult {
  return {
    id: `${slice}-${i}`,
    set: "anchor",
    slice,
    line: i + 1,
    base: base === null ? null : { runs: 1, passes: base, errors: 0 },
    head: { runs: 1, passes: head, errors: 0 },
  };
}

/** A slice from counts of [base, head] outcomes, in the order given. */
function slice(name: string, ...parts: [number, Pair][]): CaseResult[] {
  const pairs = parts.flatMap(([n, pair]) => Array.from({ length: n }, () => pair));
  return pairs.map(([b, h], i) => single(name, i, b, h));
}

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

const find = (diffs: ReturnType<typeof compareSlices>, name: string) => diffs.find((d) => d.slice === name);
const verdictOf = (slices: ReturnType<typeof compareSlices>) =>
  decideVerdict({ slices, errorRate: 0, maxErrorRate: 0, errorRuns: 0, hasBase: true }).verdict;

describe("compareSlices: the family", () => {
  it("runs Holm over the slices that can reach significance and leaves the others out (Tarone)", () => {
    const cases = [
      ...slice("refund", [10, WORSE], [1, BETTER], [9, PASS]), // 11 discordant: can reach 0.05
      ...slice("status", [2, WORSE], [18, PASS]), // 2 discordant: p >= 1/4, never significant
      ...slice("billing", [15, PASS]), // nothing changed
    ];
    const diffs = compareSlices([anchor], cases, gate);
    const refund = find(diffs, "refund");
    const status = find(diffs, "status");
    expect(refund?.p_value).toBeCloseTo(tail(10, 11), 12);
    expect(status?.p_value).toBeCloseTo(0.25, 12);
    // K = 1: only refund's smallest attainable p (2^-11) is under 0.05; the family is refund alone.
    expect(refund?.p_adjusted).toBeCloseTo(tail(10, 11), 12);
    expect(refund?.testable).toBe(true);
    expect(status?.testable).toBe(false);
    expect(status?.p_adjusted).toBeCloseTo(0.25, 12);
    expect(refund?.status).toBe("regressed");
    // Two cases of twenty got worse: no evidence of anything, so no review either.
    expect(status?.status).toBe("unchanged");
    expect(find(diffs, "billing")?.status).toBe("unchanged");
    // Plain Holm counts all three.
    const plain = compareSlices([anchor], cases, { ...gate, tarone: false });
    expect(find(plain, "refund")?.p_adjusted).toBeCloseTo(3 * tail(10, 11), 12);
  });

  it("marks improvements with the mirror test in a family of their own", () => {
    const [d] = compareSlices([anchor], slice("refund", [9, BETTER], [11, PASS]), gate);
    expect(d?.status).toBe("improved");
    expect(d?.p_improved).toBeCloseTo(tail(9, 9), 12);
    expect(d?.ci_low).toBeGreaterThan(0);
  });
});

describe("compareSlices: review means evidence", () => {
  /** Four noisy slices that can all reach significance, and one that varies. */
  const family = (moving: CaseResult[]) => [
    ...moving,
    ...["b", "c", "d", "e"].flatMap((name) => slice(name, [4, WORSE], [4, BETTER], [52, PASS])),
  ];

  it("`dropped` is a drop significant before the correction, not after; its interval excludes 0", () => {
    // 5 worse, 0 better: p = 1/32 < 0.05, left out of the family (K = 4), so never regressed.
    const diffs = compareSlices([anchor], family(slice("a", [5, WORSE], [55, PASS])), gate);
    const a = find(diffs, "a");
    expect(a?.p_value).toBe(1 / 32);
    expect(a?.p_adjusted).toBeGreaterThan(0.05);
    expect(a?.status).toBe("dropped");
    expect(a?.ci_high).toBeLessThan(0);
    expect(a?.ci_level).toBeCloseTo(0.9, 12);
    expect(verdictOf(diffs)).toBe("review");
    // The other slices moved both ways: no evidence, no review.
    expect(diffs.filter((d) => d.slice !== "a").every((d) => d.status === "unchanged")).toBe(true);
  });

  it("4 worse, 0 better of 60 is noise: unchanged, with an interval that holds 0", () => {
    const diffs = compareSlices([anchor], family(slice("a", [4, WORSE], [56, PASS])), gate);
    const a = find(diffs, "a");
    expect(a?.p_value).toBe(1 / 16);
    expect(a?.ci_high).toBeGreaterThan(0);
    expect(a?.status).toBe("unchanged");
    expect(verdictOf(diffs)).toBe("pass");
  });

  it("a drop with evidence smaller than gate.review_drop needs no review", () => {
    const cases = family(slice("a", [5, WORSE], [55, PASS])); // an 8.3-point drop
    expect(find(compareSlices([anchor], cases, { ...gate, review_drop: 0.1 }), "a")?.status).toBe(
      "unchanged",
    );
    expect(find(compareSlices([anchor], cases, { ...gate, review_drop: 0.08 }), "a")?.status).toBe("dropped");
  });

  it("in strict mode any net drop regresses, and a slice with one worse and one better does not", () => {
    const cases = slice("refund", [1, WORSE], [19, PASS]);
    expect(compareSlices([anchor], cases, gate)[0]?.status).toBe("unchanged");
    expect(compareSlices([anchor], cases, { ...gate, mode: "strict" })[0]?.status).toBe("regressed");
    const mixed = slice("refund", [1, WORSE], [1, BETTER], [18, PASS]);
    expect(compareSlices([anchor], mixed, { ...gate, mode: "strict" })[0]?.status).toBe("unchanged");
  });
});

describe("compareSlices: the floor", () => {
  const floor = { ...gate, floor: 0.9 };

  it("fails a slice that crossed the floor only when the exact floor test proves it (Holm with the rest)", () => {
    // base 54/60 = 0.9, head 47/60: not a significant drop, but clearly under 0.9.
    const crossed = slice("a", [13, WORSE], [6, BETTER], [41, PASS]);
    const [a] = compareSlices([anchor], crossed, floor);
    expect(a?.p_value).toBeGreaterThan(0.05);
    expect(a?.p_floor).toBeCloseTo(binomialAtMost(47, 60, 0.9), 12);
    expect(a?.p_floor_adjusted).toBeLessThan(0.05);
    expect(a?.status).toBe("below_floor");
  });

  it("asks for review when the head is under the floor within noise", () => {
    // base 54/60, head 52/60 = 86.7%: P(Bin(60, 0.9) <= 52) is about 0.25.
    const diffs = compareSlices([anchor], slice("a", [2, WORSE], [52, PASS], [6, FAIL]), floor);
    expect(diffs[0]?.head_score).toBeLessThan(0.9);
    expect(diffs[0]?.p_floor).toBeGreaterThan(0.2);
    expect(diffs[0]?.status).toBe("below_floor_unproven");
    expect(verdictOf(diffs)).toBe("review");
  });

  it("does not blame a PR for a slice already under the floor unless its drop has evidence", () => {
    // base 40/60, head 39/60: both far under 0.9, the PR's drop is one case.
    const noisy = slice("a", [2, WORSE], [1, BETTER], [38, PASS], [19, FAIL]);
    expect(compareSlices([anchor], noisy, floor)[0]?.status).toBe("unchanged");
    // base 45/60, head 37/60 with 8 worse, 0 better: p = 1/256, proven under the floor.
    const sank = slice("a", [8, WORSE], [37, PASS], [15, FAIL]);
    const moved = compareSlices([anchor], [...sank, ...slice("b", [60, PASS])], floor);
    expect(["regressed", "below_floor"]).toContain(find(moved, "a")?.status);
  });

  it("without a baseline only the floor can fail a slice, and only with evidence", () => {
    const far = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => single("far", i, null, i < 3 ? 1 : 0));
    const near = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => single("near", i, null, i < 8 ? 1 : 0));
    const diffs = compareSlices([anchor], [...far, ...near], { ...gate, floor: 0.85 });
    expect(find(diffs, "far")?.base_score).toBeNull();
    expect(find(diffs, "far")?.status).toBe("below_floor");
    expect(find(diffs, "near")?.status).toBe("below_floor_unproven");
    expect(find(diffs, "far")?.undersampled).toBe(true);
  });

  it("a slice with nothing to compare with is `no_baseline`, never `unchanged`, even at 0%", () => {
    const zero = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => single("zero", i, null, 0));
    const full = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((i) => single("full", i, null, 1));
    const diffs = compareSlices([anchor], [...zero, ...full], gate);
    expect(find(diffs, "zero")).toMatchObject({ head_score: 0, base_score: null, status: "no_baseline" });
    expect(find(diffs, "full")?.status).toBe("no_baseline");
    // A baseline ran, but no case was graded on both sides (every base run errored).
    const errored = [0, 1, 2].map((i) => ({
      ...single("errored", i, 1, 0),
      base: { runs: 0, passes: 0, errors: 1 },
    }));
    // Its base score is unknown, not 0%: no base case was graded.
    expect(find(compareSlices([anchor], errored, gate), "errored")).toMatchObject({
      n: 0,
      base_score: null,
      status: "no_baseline",
    });
    expect(
      decideVerdict({ slices: diffs, errorRate: 0, maxErrorRate: 0, errorRuns: 0, hasBase: false }).verdict,
    ).toBe("pass");
  });
});

describe("compareSlices: units and runs", () => {
  it("tests the clusters of perturbed variants and `cluster` keys as units", () => {
    // 15 originals with 4 variants each; 5 originals got worse in every variant.
    const cases: CaseResult[] = [];
    for (let g = 0; g < 15; g++) {
      for (let v = 0; v < 4; v++) {
        const worse = g < 5;
        cases.push({
          ...single("robust", g * 4 + v, 1, worse ? 0 : 1),
          id: `o${g}~typos-${v}`,
          ...(g % 2 === 0 ? { original: `o${g}`, perturbation: "typos" } : { cluster: `o${g}` }),
        });
      }
    }
    const [d] = compareSlices([anchor], cases, gate);
    expect(d?.n).toBe(60);
    expect(d?.clusters).toBe(15);
    // Twenty cases but five units got worse: 2^-5, not 2^-20.
    expect(d?.p_value).toBe(1 / 32);
    expect(d?.design_effect).toBeCloseTo(4, 12);
  });

  it("uses the sign-flip test on per-case scores with repeats", () => {
    const cases: CaseResult[] = Array.from({ length: 12 }, (_, i) => ({
      id: `c${i}`,
      set: "anchor",
      slice: "refund",
      line: i + 1,
      base: { runs: 3, passes: 3, errors: 0 },
      head: { runs: 3, passes: i < 6 ? 1 : 3, errors: 0 },
    }));
    const [d] = compareSlices([anchor], cases, { ...gate, repeats: 3 });
    expect(d?.p_value).toBeCloseTo(1 / 64, 12);
    expect(d?.head_score).toBeCloseTo((6 / 3 + 6) / 12);
    expect(d?.pass_k_head).toBeCloseTo(0.5);
    expect(d?.pass_k_base).toBe(1);
  });

  it("counts a run that errored as not passing in pass^k, and never drops the case", () => {
    const side = (passes: number, errors: number) => ({ runs: 3 - errors, passes, errors });
    const cases: CaseResult[] = [side(3, 0), side(2, 1), side(0, 3), side(3, 0)].map((head, i) => ({
      id: `c${i}`,
      set: "anchor",
      slice: "refund",
      line: i + 1,
      base: side(3, 0),
      head,
    }));
    const [d] = compareSlices([anchor], cases, { ...gate, repeats: 3 });
    // All four cases count: two passed all three runs, one errored once, one errored every time.
    expect(d?.pass_k_head).toBeCloseTo(2 / 4, 12);
    // The score leaves errored runs out, and the case that never ran out of the pairing.
    expect(d?.n).toBe(3);
    expect(d?.head_score).toBeCloseTo(1, 12);
  });

  it("pools an aggregate set into one slice", () => {
    const cases = [...slice("a", [6, PASS]), ...slice("b", [6, WORSE])].map((c) => ({
      ...c,
      set: "holdout",
    }));
    const diffs = compareSlices([{ ...anchor, name: "holdout", visibility: "aggregate" }], cases, gate);
    expect(diffs).toHaveLength(1);
    expect(diffs[0]).toMatchObject({ slice: "all", n: 12, aggregate: true, head_score: 0.5 });
  });

  it("leaves cases whose runs all errored out of the pairing", () => {
    const cases = slice("a", [12, PASS]);
    cases.push({ ...single("a", 99, 1, 0), head: { runs: 0, passes: 0, errors: 1 } });
    const [d] = compareSlices([anchor], cases, gate);
    expect(d?.n).toBe(12);
    expect(d?.head_score).toBe(1);
  });

  it("fills the MDE at the run's design and noise: clusters widen it", () => {
    const noisy = slice("a", [4, WORSE], [4, BETTER], [48, PASS], [4, FAIL]);
    const [one] = compareSlices([anchor], noisy, gate);
    expect(one?.mde).toBeGreaterThan(0.15);
    // Half the share of cases whose sides disagree: each such pair has chance 2p(1 - p).
    expect(one?.noise).toBeCloseTo(8 / 60 / 2, 12);
    const clustered = noisy.map((c, i) => ({ ...c, cluster: `g${Math.floor(i / 4)}` }));
    const [grouped] = compareSlices([anchor], clustered, gate);
    expect(grouped?.mde).toBeGreaterThan(one?.mde as number);
  });
});
