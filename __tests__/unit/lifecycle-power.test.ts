import { describe, expect, it } from "vitest";
import {
  binomialAtLeast,
  mcnemarMinDiscordant,
  mcnemarPower,
  mdeAlpha,
  minimumDetectableDrop,
  withMde,
} from "../../src/core/lifecycle/power.js";
import { createRng, mcnemarOneSided } from "../../src/core/stats.js";

/**
 * An independent power calculation: the distribution of the number of discordant (all "worse")
 * pairs built case by case by dynamic programming, and the gate's own exact McNemar test deciding
 * each count. Nothing here shares code with power.ts.
 */
function exactPower(n: number, d: number, alpha: number): number {
  let dist = [1];
  for (let i = 0; i < n; i++) {
    const next = new Array(dist.length + 1).fill(0);
    dist.forEach((p, m) => {
      next[m] += p * (1 - d);
      next[m + 1] += p * d;
    });
    dist = next;
  }
  return dist.reduce((sum, p, m) => sum + (m > 0 && mcnemarOneSided(m, 0) <= alpha ? p : 0), 0);
}

/** The smallest drop on the 0.001 grid with the power, by a plain scan. */
function scanMde(n: number, alpha: number, power: number): number | null {
  for (let i = 1; i <= 1000; i++) if (exactPower(n, i / 1000, alpha) >= power) return i / 1000;
  return null;
}

/**
 * Monte Carlo of the whole design: each case passes on base with probability p; a case that
 * passed fails on head with probability d/p; the gate's test runs on the simulated pairs.
 */
function simulatedPower(n: number, p: number, d: number, alpha: number, sims: number, seed: number): number {
  const rng = createRng(seed);
  let rejected = 0;
  for (let s = 0; s < sims; s++) {
    let worse = 0;
    for (let i = 0; i < n; i++) {
      const basePass = rng() < p;
      const headPass = basePass && rng() >= d / p;
      if (basePass && !headPass) worse++;
    }
    if (mcnemarOneSided(worse, 0) <= alpha) rejected++;
  }
  return rejected / sims;
}

describe("minimum detectable drop", () => {
  it("needs m* discordant pairs with 0.5^m* <= alpha", () => {
    expect(mcnemarMinDiscordant(0.05)).toBe(5); // 0.5^5 = 0.031
    expect(mcnemarMinDiscordant(0.05 / 8)).toBe(8); // 0.5^8 = 0.0039 <= 0.00625 < 0.5^7
    expect(mcnemarMinDiscordant(0.5)).toBe(1);
    expect(mcnemarMinDiscordant(0.5 ** 10)).toBe(10);
  });

  it("sums binomial tails exactly (against the DP)", () => {
    for (const [k, n, p] of [
      [8, 20, 0.3],
      [3, 200, 0.01],
      [150, 200, 0.7],
      [1, 5, 0.5],
    ] as const) {
      let dist = [1];
      for (let i = 0; i < n; i++) {
        const next = new Array(dist.length + 1).fill(0);
        dist.forEach((q, m) => {
          next[m] += q * (1 - p);
          next[m + 1] += q * p;
        });
        dist = next;
      }
      const tail = dist.slice(k).reduce((a, b) => a + b, 0);
      expect(binomialAtLeast(k, n, p)).toBeCloseTo(tail, 12);
    }
  });

  it("matches an independent exact power calculation at every size", () => {
    for (const [n, slices] of [
      [8, 1],
      [12, 8],
      [20, 8],
      [30, 4],
      [50, 12],
      [100, 8],
      [150, 20],
    ] as const) {
      const alpha = mdeAlpha(0.05, slices);
      const mde = minimumDetectableDrop(n, alpha);
      expect(mde).toBe(scanMde(n, alpha, 0.8));
      if (mde !== null) {
        expect(exactPower(n, mde, alpha)).toBeGreaterThanOrEqual(0.8);
        expect(exactPower(n, mde - 0.001, alpha)).toBeLessThan(0.8);
        expect(mcnemarPower(n, mde, alpha)).toBeCloseTo(exactPower(n, mde, alpha), 10);
      }
    }
  });

  it("agrees with a simulation of the paired design at a 90% base pass rate", () => {
    const n = 40;
    const alpha = mdeAlpha(0.05, 6);
    const mde = minimumDetectableDrop(n, alpha, 0.8, 0.9) as number;
    expect(mde).not.toBeNull();
    const sims = 4000;
    const at = simulatedPower(n, 0.9, mde, alpha, sims, 11);
    const below = simulatedPower(n, 0.9, mde - 0.04, alpha, sims, 12);
    const se = Math.sqrt((0.8 * 0.2) / sims);
    expect(at).toBeGreaterThan(0.8 - 4 * se);
    expect(below).toBeLessThan(0.8);
  });

  it("is null when no drop is detectable: too few cases, or more than the base pass rate", () => {
    // 8 slices: m* = 8, so 7 cases can never reach significance.
    expect(minimumDetectableDrop(7, mdeAlpha(0.05, 8))).toBeNull();
    expect(minimumDetectableDrop(0, 0.05)).toBeNull();
    const uncapped = minimumDetectableDrop(12, mdeAlpha(0.05, 8)) as number;
    expect(uncapped).toBeGreaterThan(0.5);
    expect(minimumDetectableDrop(12, mdeAlpha(0.05, 8), 0.8, 0.5)).toBeNull();
    expect(minimumDetectableDrop(12, mdeAlpha(0.05, 8), 0.8, 0.9)).toBe(uncapped);
  });

  it("shrinks as slices grow, and grows with the power asked for", () => {
    const alpha = mdeAlpha(0.05, 10);
    const sizes = [12, 20, 50, 100, 400].map((n) => minimumDetectableDrop(n, alpha) as number);
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeLessThan(sizes[i - 1] as number);
    expect(minimumDetectableDrop(50, alpha, 0.9) as number).toBeGreaterThan(sizes[2] as number);
  });

  it("fills every slice of a report: alpha over the tested slices, capped by the base score, m* = 1 when strict", () => {
    const slices = [
      { n: 40, base_score: 0.9, p_value: 0.5 },
      { n: 40, base_score: 0.05, p_value: 0.5 },
      { n: 3, base_score: 1, p_value: 1 },
      { n: 30, base_score: null, p_value: null },
    ];
    const filled = withMde(slices, { alpha: 0.05, mode: "statistical" });
    expect(filled[0]?.mde).toBe(minimumDetectableDrop(40, 0.05 / 3));
    expect(filled[1]?.mde).toBeNull();
    expect(filled[2]?.mde).toBeNull();
    expect(filled[3]?.mde).toBe(minimumDetectableDrop(30, 0.05 / 3));
    // Strict: one case that got worse fails the slice; 80% power when 1 - (1 - d)^n >= 0.8.
    const strict = withMde(slices, { alpha: 0.05, mode: "strict" });
    const d = strict[0]?.mde as number;
    expect(1 - (1 - d) ** 40).toBeGreaterThanOrEqual(0.8);
    expect(1 - (1 - (d - 0.001)) ** 40).toBeLessThan(0.8);
    expect(strict[2]?.mde).toBe(0.416);
  });
});
