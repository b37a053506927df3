import { describe, expect, it } from "vitest";
import { compareSlices } from "../../src/core/gate/compare.js";
import { extraRunsOf, repeatDesign, rerunSelected, withExtraRuns } from "../../src/core/run/adaptive.js";
import { createRng } from "../../src/core/stats/index.js";
import type { CaseResult } from "../../src/core/types.js";

type Tally = { runs: number; passes: number };
type Rule = (base: Tally, head: Tally, rounds: number, max: number) => boolean;

/** The opposite of what the gate may do: rechecks only the cases where head looks better. */
const asymmetric: Rule = (b, h, rounds, max) => rounds < max && h.passes * b.runs > b.passes * h.runs;

/**
 * The exact law of one case's (rounds, mean difference) under a rule, when both sides pass with
 * probability `p` per run: every path of up to `max` rounds of four outcomes, weighed.
 */
function caseLaw(rule: Rule, p: number, max: number): Map<string, number> {
  const law = new Map<string, number>();
  const walk = (b: Tally, h: Tally, rounds: number, weight: number) => {
    if (rounds > 0 && !rule(b, h, rounds, max)) {
      const key = `${rounds}:${(h.passes - b.passes) / rounds}`;
      law.set(key, (law.get(key) ?? 0) + weight);
      return;
    }
    for (const [bp, hp] of [
      [0, 0],
      [0, 1],
      [1, 0],
      [1, 1],
    ] as const) {
      const w = (bp ? p : 1 - p) * (hp ? p : 1 - p);
      walk(
        { runs: b.runs + 1, passes: b.passes + bp },
        { runs: h.runs + 1, passes: h.passes + hp },
        rounds + 1,
        weight * w,
      );
    }
  };
  walk({ runs: 0, passes: 0 }, { runs: 0, passes: 0 }, 0, 1);
  return law;
}

/** The largest gap between P(N = n, D = d) and P(N = n, D = -d) over the law's support. */
function asymmetry(law: Map<string, number>): number {
  let worst = 0;
  for (const [key, prob] of law) {
    const [n, d] = key.split(":").map(Number) as [number, number];
    worst = Math.max(worst, Math.abs(prob - (law.get(`${n}:${-d === 0 ? 0 : -d}`) ?? 0)));
  }
  return worst;
}

describe("rerunSelected", () => {
  it("reruns a case while its sides' pass rates differ, up to max", () => {
    expect(rerunSelected({ runs: 1, passes: 1 }, { runs: 1, passes: 0 }, 1, 5)).toBe(true);
    expect(rerunSelected({ runs: 1, passes: 1 }, { runs: 1, passes: 1 }, 1, 5)).toBe(false);
    expect(rerunSelected({ runs: 2, passes: 1 }, { runs: 4, passes: 2 }, 4, 5)).toBe(false);
    expect(rerunSelected({ runs: 4, passes: 4 }, { runs: 4, passes: 3 }, 4, 5)).toBe(true);
    expect(rerunSelected({ runs: 5, passes: 5 }, { runs: 5, passes: 0 }, 5, 5)).toBe(false);
    // A side whose every run errored has nothing to compare: errors are counted, not retried.
    expect(rerunSelected({ runs: 0, passes: 0 }, { runs: 1, passes: 1 }, 1, 5)).toBe(false);
  });

  it("gives the same answer with the sides swapped, for every tally up to 5 runs", () => {
    for (let rb = 0; rb <= 5; rb++)
      for (let pb = 0; pb <= rb; pb++)
        for (let rh = 0; rh <= 5; rh++)
          for (let ph = 0; ph <= rh; ph++)
            for (let rounds = 1; rounds <= 5; rounds++) {
              const b = { runs: rb, passes: pb };
              const h = { runs: rh, passes: ph };
              expect(rerunSelected(b, h, rounds, 5)).toBe(rerunSelected(h, b, rounds, 5));
            }
  });

  it("keeps a case's mean difference exactly symmetric under H0 (the proof, by enumeration)", () => {
    for (const p of [0.5, 0.9, 0.97]) {
      for (const max of [2, 3, 5]) {
        const law = caseLaw(rerunSelected, p, max);
        expect([...law.values()].reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
        expect(asymmetry(law)).toBeLessThan(1e-12);
      }
    }
    // The check can fail: the one-sided rule skews the law by far more than rounding.
    expect(asymmetry(caseLaw(asymmetric, 0.9, 5))).toBeGreaterThan(0.01);
  });

  it("holds the false-regression rate of the slice's test under alpha, where the skewed rule does not", () => {
    const falseRate = (rule: Rule) => {
      const rng = createRng(7);
      let rejected = 0;
      const slices = 400;
      for (let s = 0; s < slices; s++) {
        const cases: CaseResult[] = [];
        for (let i = 0; i < 60; i++) {
          const p = 0.75 + 0.25 * rng();
          const b = { runs: 0, passes: 0, errors: 0 };
          const h = { runs: 0, passes: 0, errors: 0 };
          do {
            b.runs++;
            h.runs++;
            if (rng() < p) b.passes++;
            if (rng() < p) h.passes++;
          } while (rule(b, h, b.runs, 5));
          cases.push({ id: `c${i}`, set: "anchor", slice: "s", line: i + 1, base: b, head: h });
        }
        const gate = { mode: "statistical" as const, alpha: 0.05, floor: null, min_slice_n: 12, repeats: 1 };
        const [d] = compareSlices([{ name: "anchor", visibility: "full" }], cases, gate);
        if ((d?.p_value ?? 1) < 0.05) rejected++;
      }
      return rejected / slices;
    };
    // Exact tests on a discrete statistic run under their level: 0.05 plus three standard errors.
    expect(falseRate(rerunSelected)).toBeLessThanOrEqual(0.05 + 3 * Math.sqrt((0.05 * 0.95) / 400));
    expect(falseRate(asymmetric)).toBeGreaterThan(0.2);
  });
});

describe("repeatDesign and extra runs", () => {
  it("reads `auto` with max_repeats (default 5) and fixed repeats as they are", () => {
    expect(repeatDesign({ repeats: "auto" })).toEqual({ adaptive: true, repeats: 5 });
    expect(repeatDesign({ repeats: "auto", max_repeats: 8 })).toEqual({ adaptive: true, repeats: 8 });
    expect(repeatDesign({ repeats: 3 })).toEqual({ adaptive: false, repeats: 3 });
  });

  it("counts runs beyond the first per case and side, errors included, by slice", () => {
    const c = (
      id: string,
      set: string,
      slice: string,
      base: number,
      head: number,
      errors = 0,
    ): CaseResult => ({
      id,
      set,
      slice,
      line: 1,
      base: { runs: base, passes: 0, errors },
      head: { runs: head, passes: 0, errors: 0 },
    });
    expect(extraRunsOf(c("a", "s", "x", 5, 5))).toBe(8);
    expect(extraRunsOf(c("a", "s", "x", 1, 2, 1))).toBe(2);
    expect(extraRunsOf({ base: null, head: { runs: 1, passes: 1, errors: 0 } })).toBe(0);
    const cases = [c("a", "anchor", "x", 3, 3), c("b", "anchor", "x", 1, 1), c("c", "anchor", "y", 1, 1)];
    const hidden = [c("d", "holdout", "x", 2, 2), c("e", "holdout", "y", 5, 5)];
    const slices = withExtraRuns(
      [
        { set: "anchor", slice: "x" },
        { set: "anchor", slice: "y" },
        { set: "holdout", slice: "all" },
      ],
      [
        { name: "anchor", visibility: "full" },
        { name: "holdout", visibility: "aggregate" },
      ],
      [...cases, ...hidden],
    );
    expect(slices.map((s) => [s.extra_runs, s.rerun_cases])).toEqual([
      [4, 1],
      [0, 0],
      [10, 2],
    ]);
  });
});
