import { describe, expect, it } from "vitest";
import { holm, pairedBootstrapCI, taroneHolm } from "../../src/core/stats/index.js";

describe("taroneHolm", () => {
  it("leaves out the tests that cannot reach alpha/K and runs Holm over the rest", () => {
    // k = 1: two tests can reach 0.05 (> 1); k = 2: both still reach 0.025, the 0.3s do not: K = 2.
    const tests = [
      { p: 0.004, pMin: 0.001 },
      { p: 0.02, pMin: 0.001 },
      { p: 0.3, pMin: 0.3 },
      { p: 0.5, pMin: 0.25 },
    ];
    const result = taroneHolm(tests, 0.05);
    expect(result.size).toBe(2);
    expect(result.included).toEqual([true, true, false, false]);
    expect(result.adjusted[0]).toBeCloseTo(0.008, 12);
    expect(result.adjusted[1]).toBeCloseTo(0.02, 12);
    // Left out: K·p, above alpha by construction.
    expect(result.adjusted[2]).toBeCloseTo(0.6, 12);
    expect(result.adjusted[3]).toBe(1);
    // Plain Holm would have counted four: the second test no longer passes.
    const plain = taroneHolm(tests, 0.05, false);
    expect(plain.adjusted).toEqual(holm(tests.map((t) => t.p)));
    expect(plain.adjusted[1]).toBeGreaterThan(0.05);
  });

  it("keeps untested entries null and out of the count", () => {
    const result = taroneHolm(
      [
        { p: null, pMin: 1 },
        { p: 0.01, pMin: 0.001 },
      ],
      0.05,
    );
    expect(result.adjusted).toEqual([null, 0.01]);
    expect(result.included).toEqual([false, true]);
  });

  it("holds the family-wise error rate under the global null with discrete tests (simulation)", () => {
    // Ten McNemar-like tests with m discordant pairs each, m from 0 to 9: exact p = P(Bin(m,1/2) >= worse).
    let seed = 12345;
    const random = () => {
      seed = (seed * 16807) % 2147483647;
      return seed / 2147483647;
    };
    const tail = (k: number, m: number) => {
      let total = 0;
      for (let i = k; i <= m; i++) {
        let c = 1;
        for (let j = 0; j < i; j++) c = (c * (m - j)) / (j + 1);
        total += c;
      }
      return total / 2 ** m;
    };
    let rejected = 0;
    let rejectedPlain = 0;
    const runs = 20_000;
    for (let r = 0; r < runs; r++) {
      const tests = Array.from({ length: 10 }, (_, i) => {
        const m = i;
        let worse = 0;
        for (let j = 0; j < m; j++) if (random() < 0.5) worse++;
        return { p: m === 0 ? 1 : tail(worse, m), pMin: 0.5 ** m };
      });
      if (taroneHolm(tests, 0.05).adjusted.some((p) => (p as number) < 0.05)) rejected++;
      if (holm(tests.map((t) => t.p)).some((p) => (p as number) < 0.05)) rejectedPlain++;
    }
    // Standard error about 0.15 points at 5%.
    expect(rejected / runs).toBeLessThanOrEqual(0.05 + 0.005);
    // Plain Holm wastes most of alpha on tests that can never reject; Tarone spends it.
    expect(rejected).toBeGreaterThan(rejectedPlain * 2);
  });
});

describe("pairedBootstrapCI with clusters", () => {
  it("resamples whole clusters, which widens the interval when cluster members move together", () => {
    const diffs = Array.from({ length: 60 }, (_, i) => (Math.floor(i / 4) % 3 === 0 ? -1 : 0));
    const clusters = diffs.map((_, i) => Math.floor(i / 4));
    const cases = pairedBootstrapCI(diffs, { seed: 3 }) as { low: number; high: number };
    const grouped = pairedBootstrapCI(diffs, { seed: 3, clusters }) as { low: number; high: number };
    expect(grouped.high - grouped.low).toBeGreaterThan(1.5 * (cases.high - cases.low));
    expect(grouped.low).toBeLessThan(-1 / 3);
    expect(() => pairedBootstrapCI(diffs, { clusters: [1, 2] })).toThrow(RangeError);
  });

  it("without labels resamples cases exactly as before", () => {
    const diffs = [0.5, -1, 0, 0, 1 / 3, -2 / 3, 0, 0, -1];
    const labels = diffs.map((_, i) => i);
    expect(pairedBootstrapCI(diffs, { seed: 9, clusters: labels })).toEqual(
      pairedBootstrapCI(diffs, { seed: 9 }),
    );
  });
});
