import { describe, expect, it } from "vitest";
import {
  binomialAtLeast,
  type DiffUnits,
  differenceInterval,
  signFlipTest,
} from "../../src/core/stats/index.js";

/** Park-Miller minimal standard generator: deliberately not the module's own PRNG. */
function testRng(seed: number): () => number {
  let state = seed % 2147483647 || 1;
  return () => {
    state = (state * 16807) % 2147483647;
    return (state - 1) / 2147483646;
  };
}

/** A random slice: per case, the difference of pass shares over `runs` runs a side; cases grouped into clusters. */
function randomSlice(random: () => number): { units: DiffUnits; alpha: number } {
  const cases = 5 + Math.floor(random() * 80);
  const runs = [1, 1, 2, 3, 5][Math.floor(random() * 5)] as number;
  const clusterSize = random() < 0.5 ? 1 : 1 + Math.floor(random() * 5);
  const base = 0.5 + 0.5 * random();
  const head = base - 0.3 * random();
  const diffs = Array.from({ length: cases }, () => {
    let b = 0;
    let h = 0;
    for (let r = 0; r < runs; r++) {
      if (random() < base) b++;
      if (random() < head) h++;
    }
    return (h - b) / runs;
  });
  const sums: number[] = [];
  const sizes: number[] = [];
  diffs.forEach((d, i) => {
    if (i % clusterSize === 0) {
      sums.push(0);
      sizes.push(0);
    }
    sums[sums.length - 1] = (sums[sums.length - 1] as number) + d;
    sizes[sizes.length - 1] = (sizes[sizes.length - 1] as number) + 1;
  });
  const alpha = [0.01, 0.05, 0.1][Math.floor(random() * 3)] as number;
  return { units: { sums, sizes }, alpha };
}

function decide(units: DiffUnits, alpha: number) {
  const pWorse = signFlipTest(units.sums).p;
  const pBetter = signFlipTest(units.sums.map((s) => -s)).p;
  return { pWorse, pBetter, ci: differenceInterval(units, { alpha, pWorse, pBetter }) };
}

/** P(the shifted sign-flip test accepts δ), by going through all 2^k flip patterns. */
function bruteAccept(units: DiffUnits, delta: number): number {
  const k = units.sums.length;
  let accepted = 0;
  for (let mask = 0; mask < 2 ** k; mask++) {
    let shifted = 0;
    for (let i = 0; i < k; i++) {
      if (mask & (1 << i)) shifted += (units.sums[i] as number) - delta * (units.sizes[i] as number);
    }
    if (shifted >= -1e-12) accepted++;
  }
  return accepted / 2 ** k;
}

describe("the interval of a slice's change", () => {
  it("agrees with the gate's test on 600 random slices: an end crosses 0 exactly when its p < alpha", () => {
    const random = testRng(42);
    const methods = new Set<string>();
    let excluded = 0;
    for (let i = 0; i < 600; i++) {
      const { units, alpha } = randomSlice(random);
      const { pWorse, pBetter, ci } = decide(units, alpha);
      methods.add(ci.method);
      expect(ci.high < 0).toBe(pWorse < alpha);
      expect(ci.low > 0).toBe(pBetter < alpha);
      const cases = units.sizes.reduce((a, b) => a + b, 0);
      const delta = units.sums.reduce((a, b) => a + b, 0) / cases;
      expect(ci.low).toBeLessThanOrEqual(delta + 1e-9);
      expect(ci.high).toBeGreaterThanOrEqual(delta - 1e-9);
      if (ci.high < 0) excluded++;
    }
    // The sample reaches every exact route, and both outcomes of the test.
    expect([...methods].sort()).toEqual(["clopper-pearson", "none", "sign-flip"]);
    expect(excluded).toBeGreaterThan(50);
    expect(excluded).toBeLessThan(550);
  });

  it("is exactly the set of shifts the sign-flip test accepts (brute force over every flip pattern)", () => {
    const random = testRng(7);
    let checked = 0;
    for (let i = 0; i < 40; i++) {
      const k = 3 + Math.floor(random() * 9);
      const sizes = Array.from({ length: k }, () => 1 + Math.floor(random() * 3));
      const sums = sizes.map((w) => (Math.round((random() * 2 - 1.3) * 3 * w) / 3) as number);
      const units = { sums, sizes };
      const alpha = 0.05;
      const { ci } = decide(units, alpha);
      if (ci.method !== "sign-flip") continue;
      checked++;
      // Accepted just below the upper end, rejected just above it (unless it is the cap of 1).
      expect(bruteAccept(units, ci.high - 1e-9)).toBeGreaterThanOrEqual(alpha);
      if (ci.high < 1) expect(bruteAccept(units, ci.high + 1e-9)).toBeLessThan(alpha);
      const mirrored = { sums: sums.map((s) => -s), sizes };
      expect(bruteAccept(mirrored, -ci.low - 1e-9)).toBeGreaterThanOrEqual(alpha);
      if (ci.low > -1) expect(bruteAccept(mirrored, -ci.low + 1e-9)).toBeLessThan(alpha);
    }
    expect(checked).toBeGreaterThan(20);
  });

  it("maps Clopper-Pearson on the discordant split for single runs", () => {
    // 10 worse, 2 better, 48 unchanged of 60: Δ = (12/60)(1 - 2π), π the share of worse.
    const sums = [...Array(10).fill(-1), ...Array(2).fill(1), ...Array(48).fill(0)];
    const units = { sums, sizes: sums.map(() => 1) };
    const { ci } = decide(units, 0.05);
    expect(ci.method).toBe("clopper-pearson");
    const piLow = (1 - (ci.high * 60) / 12) / 2;
    // The Clopper-Pearson lower bound: P(Bin(12, π) >= 10) = 0.05 there.
    expect(binomialAtLeast(10, 12, piLow)).toBeCloseTo(0.05, 9);
    const piOtherLow = (1 + (ci.low * 60) / 12) / 2;
    expect(binomialAtLeast(2, 12, piOtherLow)).toBeCloseTo(0.05, 9);
  });

  it("shows 4 worse / 0 better of 60 as not excluding 0, and 5 worse as excluding it (alpha 0.05)", () => {
    const slice = (worse: number) => {
      const sums = [...Array(worse).fill(-1), ...Array(60 - worse).fill(0)];
      return decide({ sums, sizes: sums.map(() => 1) }, 0.05);
    };
    expect(slice(4).pWorse).toBe(1 / 16);
    expect(slice(4).ci.high).toBeGreaterThan(0);
    expect(slice(5).pWorse).toBe(1 / 32);
    expect(slice(5).ci.high).toBeLessThan(0);
  });

  it("falls back to the normal approximation for very large slices, still agreeing with the test", () => {
    const random = testRng(3);
    const sums = Array.from({ length: 4000 }, () => Math.round((random() * 2 - 1.04) * 5) / 5);
    const units = { sums, sizes: sums.map(() => 1) };
    const { pWorse, ci } = decide(units, 0.05);
    expect(ci.method).toBe("normal");
    expect(ci.high < 0).toBe(pWorse < 0.05);
    const mean = sums.reduce((a, b) => a + b, 0) / sums.length;
    expect(ci.high - ci.low).toBeLessThan(0.05);
    expect(ci.low).toBeLessThan(mean);
  });

  it("is a point at 0 when nothing changed", () => {
    expect(
      differenceInterval({ sums: [0, 0, 0], sizes: [1, 1, 1] }, { alpha: 0.05, pWorse: 1, pBetter: 1 }),
    ).toEqual({ low: 0, high: 0, method: "none" });
  });
});
