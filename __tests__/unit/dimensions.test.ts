// Per-dimension statistics and the review rule: exact values on small slices, the verdict's
// reason, and the rate at which PRs that change nothing get review, measured by simulation.
import { describe, expect, it } from "vitest";
import { compareDimensions, type DimensionGate } from "../../src/core/gate/dimensions.js";
import { decideVerdict } from "../../src/core/gate/verdict.js";
import { holm, mcnemarOneSided } from "../../src/core/stats/index.js";
import type { CaseResult } from "../../src/core/types.js";
import { printRate as print, rate } from "../support/null-prs.js";

const gate: DimensionGate = { mode: "statistical", alpha: 0.05, min_slice_n: 12, review_drop: 0.01 };
const sets = [
  { name: "anchor", visibility: "full" as const },
  { name: "holdout", visibility: "aggregate" as const },
];
const KEYS = ["judge: polite", "json_schema: required answer #abcdef"];

/** One single-run case: per dimension [base pass, head pass]. */
function kase(slice: string, i: number, dims: [0 | 1, 0 | 1][], set = "anchor"): CaseResult {
  const side = (k: 0 | 1) => {
    const passes = dims.map((d) => d[k]);
    return { runs: 1, passes: Math.min(...passes), errors: 0, dim_passes: passes, dim_scores: passes };
  };
  return {
    id: `${slice}-${i}`,
    set,
    slice,
    line: i + 1,
    base: side(0),
    head: side(1),
    dimensions: KEYS.slice(0, dims.length),
  };
}

const many = (n: number, slice: string, dims: [0 | 1, 0 | 1][], from = 0) =>
  Array.from({ length: n }, (_, i) => kase(slice, from + i, dims));

describe("compareDimensions", () => {
  it("tests each grader of a slice with the exact McNemar tail, Holm-adjusted over every dimension of the run", () => {
    // refund: the schema breaks on 8 cases while the judge holds; status: nothing moves.
    const cases = [
      ...many(8, "refund", [
        [1, 1],
        [1, 0],
      ]),
      ...many(
        12,
        "refund",
        [
          [1, 1],
          [1, 1],
        ],
        8,
      ),
      ...many(20, "status", [
        [1, 1],
        [1, 1],
      ]),
      kase("status", 20, [
        [0, 1],
        [1, 1],
      ]),
    ];
    const { rows, review_drop } = compareDimensions(sets, cases, gate);
    expect(review_drop).toBe(0.01);
    expect(rows.map((r) => `${r.slice}|${r.dimension}`)).toEqual([
      `refund|${KEYS[0]}`,
      `refund|${KEYS[1]}`,
      `status|${KEYS[0]}`,
      `status|${KEYS[1]}`,
    ]);
    const schema = rows[1];
    expect(schema).toMatchObject({ n: 20, base_score: 1, head_score: 12 / 20, status: "dropped" });
    expect(schema?.delta).toBeCloseTo(-0.4, 12);
    expect(schema?.p_value).toBeCloseTo(mcnemarOneSided(8, 0), 15);
    // Rows where no case moved are outside the family: it has two members, not four.
    const tested = [schema?.p_value ?? null, rows[2]?.p_value ?? null];
    expect(rows[0]?.p_value).toBeNull();
    expect(rows[3]?.p_value).toBeNull();
    expect(schema?.p_adjusted).toBeCloseTo(holm(tested)[0] as number, 15);
    expect(rows[2]).toMatchObject({ delta: 1 / 21, status: "unchanged" });
    expect(rows[0]?.status).toBe("unchanged");
  });

  it("asks for review only with evidence and a drop of at least review_drop; strict mode needs the drop alone", () => {
    // 3 of 20 cases lose the schema: a 15-point drop, p = 0.125, no evidence.
    const cases = [
      ...many(3, "refund", [
        [1, 1],
        [1, 0],
      ]),
      ...many(
        17,
        "refund",
        [
          [1, 1],
          [1, 1],
        ],
        3,
      ),
    ];
    expect(compareDimensions(sets, cases, gate).rows[1]?.status).toBe("lower");
    expect(compareDimensions(sets, cases, { ...gate, mode: "strict" }).rows[1]?.status).toBe("dropped");
    expect(
      compareDimensions(sets, cases, { ...gate, mode: "strict", review_drop: 0.2 }).rows[1]?.status,
    ).toBe("lower");
    // 10 of 20 lose it: evidence, but a review_drop of 60 points is not reached.
    const big = [
      ...many(10, "refund", [
        [1, 1],
        [1, 0],
      ]),
      ...many(
        10,
        "refund",
        [
          [1, 1],
          [1, 1],
        ],
        10,
      ),
    ];
    expect(compareDimensions(sets, big, gate).rows[1]?.status).toBe("dropped");
    expect(compareDimensions(sets, big, { ...gate, review_drop: 0.6 }).rows[1]?.status).toBe("lower");
  });

  it("reports only slices graded by two or more graders, groups a holdout as one slice, and needs no baseline for scores", () => {
    const one = Array.from({ length: 5 }, (_, i) => ({ ...kase("solo", i, [[1, 0]]) }));
    const holdout = [
      kase(
        "a",
        0,
        [
          [1, 1],
          [1, 0],
        ],
        "holdout",
      ),
      kase(
        "b",
        1,
        [
          [1, 1],
          [1, 1],
        ],
        "holdout",
      ),
    ];
    const rows = compareDimensions(sets, [...one, ...holdout], gate).rows;
    expect(rows.map((r) => `${r.set}/${r.slice}`)).toEqual(["holdout/all", "holdout/all"]);
    expect(rows[1]).toMatchObject({ n: 2, head_score: 0.5, undersampled: true });
    const headOnly = holdout.map((c) => ({ ...c, base: null }));
    expect(compareDimensions(sets, headOnly, gate).rows[1]).toMatchObject({
      base_score: null,
      head_score: 0.5,
      delta: null,
      p_value: null,
      status: "no_baseline",
    });
  });

  it("uses the sign-flip test on per-case pass rates with repeats", () => {
    const side = (dim: number[]) => ({
      runs: 3,
      passes: Math.min(...dim),
      errors: 0,
      dim_passes: dim,
      dim_scores: dim.map((d) => d / 3),
    });
    const cases: CaseResult[] = Array.from({ length: 12 }, (_, i) => ({
      id: `c${i}`,
      set: "anchor",
      slice: "s",
      line: i,
      base: side([3, 3]),
      head: side([3, i < 6 ? 1 : 3]),
      dimensions: KEYS,
    }));
    const row = compareDimensions(sets, cases, gate).rows[1];
    // Six equal drops of 2/3: the sign-flip p is 2^-6, as McNemar's would be.
    expect(row?.p_value).toBeCloseTo(1 / 64, 12);
    expect(row?.delta).toBeCloseTo(-1 / 3, 12);
  });
});

describe("the verdict", () => {
  it("asks for review naming the dimension, and a failing slice still fails", () => {
    const base = { slices: [], errorRate: 0, maxErrorRate: 0, errorRuns: 0, hasBase: true };
    const review = decideVerdict({ ...base, dimensionsDropped: ["anchor/refund · json_schema (-40 pts)"] });
    expect(review.verdict).toBe("review");
    expect(review.reasons).toEqual(["Dimension dropped: anchor/refund · json_schema (-40 pts)"]);
    expect(decideVerdict({ ...base, dimensionsDropped: [] }).verdict).toBe("pass");
  });
});

describe("review rate on PRs that change nothing (5 slices × 60 cases × 3 graders, per-request noise)", () => {
  const PRS = 1000;
  const shape = { slices: 5, cases: 60, dimensions: 3, repeats: 1 };
  const rows = (cases: CaseResult[], g = gate) =>
    compareDimensions([sets[0] as (typeof sets)[0]], cases, g).rows;

  it("stays under alpha with the rule, where 'any 1-point drop' and an unadjusted test would not", () => {
    const rule = rate(PRS, shape, (c) => rows(c).some((r) => r.status === "dropped"));
    const naive = rate(PRS, shape, (c) => rows(c).some((r) => (r.delta ?? 0) <= -0.01));
    const unadjusted = rate(PRS, shape, (c) =>
      rows(c).some((r) => (r.delta ?? 0) <= -0.01 && (r.p_value ?? 1) < 0.05),
    );
    const repeats = rate(PRS / 2, { ...shape, repeats: 3 }, (c) =>
      rows(c).some((r) => r.status === "dropped"),
    );
    print("null review rate, the rule (single runs)", rule);
    print("null review rate, the rule (repeats 3)", repeats);
    print("null review rate, any drop of 1 point", naive);
    print("null review rate, unadjusted one-sided test", unadjusted);
    expect(rule).toBeLessThanOrEqual(0.05);
    expect(repeats).toBeLessThanOrEqual(0.05);
    expect(naive).toBeGreaterThan(0.95);
    expect(unadjusted).toBeGreaterThan(0.25);
  });

  it("finds a 15-point drop of one grader, most of the time with repeats", () => {
    const hit = (c: CaseResult[]) =>
      rows(c).some((r) => r.slice === "slice-0" && r.dimension === "grader-0" && r.status === "dropped");
    const single = rate(300, { ...shape, drop: 0.15 }, hit);
    const repeats = rate(200, { ...shape, repeats: 3, drop: 0.15 }, hit);
    print("power at a 15-point drop of one grader (single runs)", single);
    print("power at a 15-point drop of one grader (repeats 3)", repeats);
    // The price of a family-wise rule with single runs (~27%); repeats buy the power back (~94%).
    expect(single).toBeGreaterThan(0.15);
    expect(repeats).toBeGreaterThan(0.8);
  });
});
