import { describe, expect, it } from "vitest";
import { type Design, judge, rng, simulateCases, simulatePr } from "../../bench/stats/core.js";

// Null PRs (head = base) through compareSlices and decideVerdict, under the benchmark's noise model:
// per-case pass rates from a Beta around the slice's rate, plus per-request flips. With 400 PRs a
// rate's standard error is about 1.1 points at 5%; each bound below allows 1 point over alpha.
const PRS = 400;
const SLACK = 0.01;
const MIXED = { base: 0.9, concentration: 2, flip: 0.02 };
const FLAKY = { base: 0.9, concentration: 20, flip: 0 };

function rate(design: Design, seed: number, hit: (o: ReturnType<typeof judge>) => boolean): number {
  const random = rng(seed);
  let hits = 0;
  for (let i = 0; i < PRS; i++) if (hit(simulatePr(design, random))) hits++;
  return hits / PRS;
}

describe("null PRs", () => {
  for (const [name, noise] of [
    ["mixed cases", MIXED],
    ["flaky cases", FLAKY],
  ] as const) {
    for (const repeats of [1, 3]) {
      it(`fail at most alpha of the time with a floor at 0.85 (5 slices, base 0.9, ${name}, repeats ${repeats})`, () => {
        const design: Design = { slices: 5, cases: 60, repeats, noise, gate: { floor: 0.85 } };
        expect(rate(design, 11 + repeats, (o) => o.verdict === "fail")).toBeLessThanOrEqual(0.05 + SLACK);
      });
    }
  }

  it("without a floor fail at most alpha, and get `review` far less than the 92-98% of before", () => {
    for (const repeats of [1, 3]) {
      const design: Design = { slices: 5, cases: 60, repeats, noise: MIXED, gate: {} };
      const random = rng(21 + repeats);
      let fail = 0;
      let review = 0;
      for (let i = 0; i < PRS; i++) {
        const { verdict } = simulatePr(design, random);
        if (verdict === "fail") fail++;
        if (verdict === "review") review++;
      }
      expect(fail / PRS).toBeLessThanOrEqual(0.05 + SLACK);
      // Each slice's unadjusted test errs at most alpha: over 5 slices at most 1 - 0.95^5 = 22.6%.
      expect(review / PRS).toBeLessThanOrEqual(0.226 + 2 * SLACK);
    }
  });

  it("with 4 highly correlated variants per original: false regressions at most alpha when clustered", () => {
    for (const repeats of [1, 3]) {
      const design: Design = {
        slices: 1,
        cases: 60,
        repeats,
        noise: FLAKY,
        gate: {},
        clusters: { size: 4, shared: 0.9 },
      };
      const random = rng(31 + repeats);
      let clustered = 0;
      let ignored = 0;
      for (let i = 0; i < PRS; i++) {
        const cases = simulateCases(design, random);
        if (judge(design, cases).slices[0]?.status === "regressed") clustered++;
        const flat = cases.map(({ original: _o, perturbation: _p, ...c }) => c);
        if (judge(design, flat).slices[0]?.status === "regressed") ignored++;
      }
      expect(clustered / PRS).toBeLessThanOrEqual(0.05 + SLACK);
      // The same PRs tested case by case: the inflation the clusters remove.
      expect(ignored / PRS).toBeGreaterThan(0.08);
    }
  });

  it("with Tarone's rule still fail at most alpha, in a low-noise design where it changes the family", () => {
    const design: Design = {
      slices: 5,
      cases: 60,
      repeats: 1,
      noise: { base: 0.95, concentration: 2, flip: 0.01 },
      gate: {},
    };
    const random = rng(41);
    let fail = 0;
    let leftOut = 0;
    for (let i = 0; i < PRS; i++) {
      const o = simulatePr(design, random);
      if (o.verdict === "fail") fail++;
      leftOut += o.slices.filter((s) => s.testable === false).length;
    }
    expect(leftOut / PRS).toBeGreaterThan(1);
    expect(fail / PRS).toBeLessThanOrEqual(0.05 + SLACK);
  });
});
