import { describe, expect, it } from "vitest";
import { type Design, rng, simulatePr } from "../../bench/stats/core.js";
import { checkEvalSets } from "../../src/core/lifecycle/check.js";
import {
  binomialAtLeast,
  binomialUpperTail,
  logBinomialPmf,
  mcnemarOneSided,
} from "../../src/core/stats/index.js";
import {
  fitNoise,
  minimumDetectableDrop,
  type NoiseModel,
  type PowerDesign,
  rejectionThresholds,
  slicePower,
} from "../../src/core/stats/power.js";
import type { EvalSet } from "../../src/core/types.js";

const design = (over: Partial<PowerDesign> = {}): PowerDesign => ({
  cases: 60,
  clusters: 60,
  repeats: 1,
  level: 0.01,
  mode: "statistical",
  ...over,
});

/**
 * Independent exact power for single runs: the joint distribution of (worse, better) built case by
 * case, each case worse with probability w and better with b, and the gate's own McNemar test (or
 * the strict rule) deciding every outcome. Shares no code with power.ts.
 */
function dpPower(
  n: number,
  w: number,
  b: number,
  reject: (worse: number, better: number) => boolean,
): number {
  let dist = new Map<string, number>([["0,0", 1]]);
  for (let i = 0; i < n; i++) {
    const next = new Map<string, number>();
    for (const [key, p] of dist) {
      const [x, y] = key.split(",").map(Number) as [number, number];
      for (const [k, q] of [
        [`${x + 1},${y}`, w],
        [`${x},${y + 1}`, b],
        [`${x},${y}`, 1 - w - b],
      ] as const) {
        next.set(k, (next.get(k) ?? 0) + p * q);
      }
    }
    dist = next;
  }
  let power = 0;
  for (const [key, p] of dist) {
    const [x, y] = key.split(",").map(Number) as [number, number];
    if (reject(x, y)) power += p;
  }
  return power;
}

describe("slice power", () => {
  it("is exact for single runs: the McNemar test over worse/better pairs of the fitted noise", () => {
    for (const [n, base, s, drop, level] of [
      [30, 0.9, 0.05, 0.2, 0.01],
      [60, 0.8, 0.1, 0.15, 0.05 / 8],
      [45, 0.95, 0, 0.1, 0.05],
    ] as const) {
      const noise: NoiseModel = { base, noise: s, designEffect: 1 };
      const f = drop / base;
      const w = drop + (1 - f) * s;
      const b = (1 - f) * s;
      const dp = dpPower(n, w, b, (x, y) => x + y > 0 && mcnemarOneSided(x, y) <= level);
      expect(slicePower(drop, design({ cases: n, clusters: n, level }), noise)).toBeCloseTo(dp, 10);
      const strict = dpPower(n, w, b, (x, y) => x > y);
      expect(slicePower(drop, design({ cases: n, clusters: n, mode: "strict" }), noise)).toBeCloseTo(
        strict,
        10,
      );
    }
  });

  it("without noise is the old model: every changed case got worse", () => {
    const noise: NoiseModel = { base: 0.9, noise: 0, designEffect: 1 };
    // 0.01 needs 7 discordant pairs all worse: power P(Bin(60, d) >= 7).
    const mde = minimumDetectableDrop(design(), noise) as number;
    const atLeast7 = (d: number) => dpPower(60, d, 0, (x) => x >= 7);
    expect(atLeast7(mde)).toBeGreaterThanOrEqual(0.8);
    expect(atLeast7(mde - 0.001)).toBeLessThan(0.8);
  });

  it("grows with noise, clusters and the family; shrinks with repeats and cases", () => {
    const at = (d: Partial<PowerDesign>, noise: Partial<NoiseModel> = {}) =>
      minimumDetectableDrop(design(d), { base: 0.9, noise: 0.05, designEffect: 1, ...noise }) as number;
    const plain = at({});
    expect(at({}, { noise: 0.09 })).toBeGreaterThan(plain);
    expect(at({ clusters: 15 }, { designEffect: 3 })).toBeGreaterThan(
      at({ clusters: 15 }, { designEffect: 1 }),
    );
    expect(at({ level: 0.001 })).toBeGreaterThan(plain);
    expect(at({ repeats: 3 })).toBeLessThan(plain);
    expect(at({ cases: 200, clusters: 200 })).toBeLessThan(plain);
    expect(at({ mode: "strict" })).toBeLessThan(plain);
  });

  it("is null when no drop up to the base rate is detectable", () => {
    const noise = fitNoise({ base: 0.9 });
    // 0.05/8 needs 8 discordant pairs: 7 cases can never show a drop.
    expect(minimumDetectableDrop(design({ cases: 7, clusters: 7, level: 0.05 / 8 }), noise)).toBeNull();
    expect(minimumDetectableDrop(design({ cases: 0, clusters: 0 }), noise)).toBeNull();
    expect(minimumDetectableDrop(design({ cases: 12, clusters: 12 }), fitNoise({ base: 0.3 }))).toBeNull();
  });
});

describe("the MDE a report shows", () => {
  // The median MDE the gate reports on null PRs of a design, then PRs with a drop of that size
  // through the whole gate: the slice regresses in 80% of them, within 0.08 (Monte Carlo standard
  // error about 0.02 with 400 PRs, and as much again for the median MDE; the rest is the normal
  // approximation of the repeats and clusters path, which errs on the cautious side with clusters).
  for (const [name, extra] of [
    ["single runs, mixed cases", { repeats: 1, noise: { base: 0.9, concentration: 2, flip: 0.02 } }],
    ["repeats 3, flaky cases", { repeats: 3, noise: { base: 0.9, concentration: 20, flip: 0 } }],
    [
      "single runs, clusters of 4",
      { repeats: 1, noise: { base: 0.8, concentration: 5, flip: 0.05 }, clusters: { size: 4, shared: 0.5 } },
    ],
    [
      "repeats 3, clusters of 4",
      { repeats: 3, noise: { base: 0.9, concentration: 2, flip: 0.02 }, clusters: { size: 4, shared: 0.5 } },
    ],
  ] as const) {
    it(`has 80% power in simulation (${name})`, () => {
      const d: Design = { slices: 5, cases: 60, gate: {}, ...extra };
      const random = rng(7);
      const mdes = Array.from({ length: 101 }, () => simulatePr(d, random).slices[0]?.mde ?? 1);
      mdes.sort((a, b) => a - b);
      const mde = mdes[50] as number;
      let caught = 0;
      const prs = 400;
      for (let i = 0; i < prs; i++) {
        if (simulatePr({ ...d, drop: mde }, random).slices[0]?.status === "regressed") caught++;
      }
      expect(Math.abs(caught / prs - 0.8)).toBeLessThanOrEqual(0.08);
    });
  }
});

describe("eval-gate check", () => {
  const set = (name: string, cases: EvalSet["cases"]): EvalSet => ({
    name,
    path: `${name}.jsonl`,
    visibility: "full",
    cases,
  });
  const cases = (n: number, cluster?: (i: number) => string) =>
    Array.from({ length: n }, (_, i) => ({
      id: `c${i}`,
      slice: "refund",
      input: `question ${i}`,
      // Labelled: a case without an expected value is in no slice's n (labels.ts).
      expected: "refund",
      vars: {},
      line: i + 1,
      ...(cluster ? { cluster: cluster(i) } : {}),
    }));
  const run = (options: Partial<Parameters<typeof checkEvalSets>[2]>, sets = [set("anchor", cases(60))]) =>
    checkEvalSets(sets, [], { alpha: 0.05, minSliceN: 12, ...options }).slices[0];

  it("uses the config's repeats, mode and floor, and the clusters of the set", () => {
    const single = run({})?.mde as number;
    expect(run({ repeats: 3 })?.mde as number).toBeLessThan(single);
    expect(run({ mode: "strict" })?.mde as number).toBeLessThan(single);
    expect(
      checkEvalSets([set("anchor", cases(60))], [], { alpha: 0.05, minSliceN: 12, floor: 0.8 }).family,
    ).toBe(2);
    const grouped = run({}, [
      set(
        "anchor",
        cases(60, (i) => `g${Math.floor(i / 4)}`),
      ),
    ]);
    expect(grouped?.clusters).toBe(15);
    expect(grouped?.mde ?? 1).toBeGreaterThan(single);
  });

  it("takes the noise a report measured, and is the MDE a run at that noise reports", () => {
    const measured = new Map([["anchor\u0000refund", { noise: 0.02, design_effect: 1 }]]);
    const quiet = run({ noise: measured, baseRates: new Map([["anchor\u0000refund", 0.9]]) });
    expect(quiet?.noise_source).toBe("report");
    expect(quiet?.mde as number).toBeLessThan(run({})?.mde as number);
    const expected = minimumDetectableDrop(design({ level: 0.05 }), {
      base: 0.9,
      noise: 0.02,
      designEffect: 1,
    });
    expect(quiet?.mde).toBe(expected);
  });
});

describe("the exact test's rejection thresholds", () => {
  // What the O(n) walk must equal: per m, the smallest k whose tail P(X_m >= k) is at the level,
  // each tail summed afresh as the test's own p-values are.
  const summed = (n: number, level: number) => {
    const table: number[] = [];
    let k = 0;
    for (let m = 0; m <= n; m++) {
      while (k <= m && binomialUpperTail(k, m) > level) k++;
      table.push(k);
    }
    return table;
  };

  it.each([0.5, 0.25, 0.2, 0.05, 0.05 / 6, 0.05 / 13, 1e-3, 2 ** -10, 1e-6])(
    "are the summed tails' at level %d, ties included",
    (level) => {
      for (const n of [0, 1, 2, 3, 7, 20, 333, 2_000]) {
        expect([...rejectionThresholds(n, level)], `n=${n}`).toEqual(summed(n, level));
      }
    },
  );
});

describe("the exact single-run power", () => {
  // The sum it must equal: per count m of discordant pairs, P(M = m) times the tail of the worse
  // ones at the test's threshold, each summed afresh (what power.ts did before its walk).
  const summed = (drop: number, design: PowerDesign, noise: NoiseModel) => {
    const n = design.cases;
    const f = Math.min(1, drop / noise.base);
    const s = Math.max(0, Math.min(noise.noise, noise.base * (1 - noise.base)));
    const worse = drop + (1 - f) * s;
    const better = (1 - f) * s;
    const discordant = Math.min(1, worse + better);
    const share = worse / (worse + better);
    const table = design.mode === "strict" ? null : rejectionThresholds(n, design.level);
    let power = 0;
    for (let m = 1; m <= n; m++) {
      const pm = discordant >= 1 ? (m === n ? 1 : 0) : Math.exp(logBinomialPmf(m, n, discordant));
      const k = table ? (table[m] as number) : Math.floor(m / 2) + 1;
      if (pm > 0 && k <= m) power += pm * binomialAtLeast(k, m, share);
    }
    return Math.min(1, power);
  };

  it("is the per-count sum, to 1e-9, over sizes, base rates, noise and both modes", () => {
    let worst = 0;
    for (const n of [5, 60, 400]) {
      for (const base of [1, 0.9, 0.6, 0.3]) {
        for (const discordance of [0, 0.05, 0.3]) {
          for (const mode of ["statistical", "strict"] as const) {
            const noise = fitNoise({ base, caseVariance: null, discordance, designEffect: 1 });
            const d: PowerDesign = { cases: n, clusters: n, repeats: 1, level: 0.05 / 6, mode };
            for (let drop = 0.013; drop <= base; drop += 0.071) {
              worst = Math.max(worst, Math.abs(slicePower(drop, d, noise) - summed(drop, d, noise)));
            }
          }
        }
      }
    }
    expect(worst).toBeLessThan(1e-9);
  });
});
