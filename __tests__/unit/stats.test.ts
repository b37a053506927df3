import { describe, expect, it } from "vitest";
import {
  binomialUpperTail,
  createRng,
  holm,
  mcnemarOneSided,
  pairedBootstrapCI,
  passHatK,
  seedFromString,
  signFlipOneSided,
  signFlipTest,
} from "../../src/core/stats/index.js";

// Reference values below come from code written here independently of the module: exact BigInt
// arithmetic, brute-force enumeration, or textbook approximations.

/** num/den as a double, correct to ~60 bits, for BigInts of any size. */
function bigRatio(num: bigint, den: bigint): number {
  if (num === 0n) return 0;
  const shift = den.toString(2).length - num.toString(2).length + 64;
  const scaled = shift >= 0 ? (num << BigInt(shift)) / den : num / (den << BigInt(-shift));
  return Number(scaled) * 2 ** -shift;
}

/** tails[k] = sum over i >= k of C(n, i), exactly. */
function exactTailCounts(n: number): bigint[] {
  const coefficients: bigint[] = [1n];
  for (let i = 0; i < n; i++) {
    coefficients.push(((coefficients[i] as bigint) * BigInt(n - i)) / BigInt(i + 1));
  }
  const tails: bigint[] = new Array(n + 2).fill(0n);
  for (let k = n; k >= 0; k--) tails[k] = (tails[k + 1] as bigint) + (coefficients[k] as bigint);
  return tails;
}

function expectRelative(actual: number, expected: number, tolerance: number): void {
  if (expected === 0) {
    expect(actual).toBe(0);
    return;
  }
  const error = Math.abs(actual - expected) / Math.abs(expected);
  if (error > tolerance) {
    expect.fail(`expected ${actual} to be within relative ${tolerance} of ${expected} (was ${error})`);
  }
}

/** Park-Miller minimal standard generator: deliberately not the module's own PRNG. */
function testRng(seed: number): () => number {
  let state = seed % 2147483647 || 1;
  return () => {
    state = (state * 16807) % 2147483647;
    return (state - 1) / 2147483646;
  };
}

/** Standard normal CDF via Abramowitz & Stegun 7.1.26 (absolute error < 1.5e-7). */
function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * x);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-x * x);
  return z >= 0 ? 0.5 * (1 + erf) : 0.5 * (1 - erf);
}

/** P(T* <= T_obs) by looping over every sign pattern and summing from scratch. */
function bruteForceSignFlip(diffs: number[]): number {
  const values = diffs.filter((d) => Math.abs(d) > 1e-9);
  const observed = values.reduce((s, d) => s + d, 0);
  const m = values.length;
  let count = 0;
  for (let mask = 0; mask < 2 ** m; mask++) {
    let total = 0;
    for (let i = 0; i < m; i++) total += mask & (1 << i) ? -(values[i] as number) : (values[i] as number);
    if (total <= observed + 1e-9) count++;
  }
  return count / 2 ** m;
}

/** The same p-value for integer-valued differences, by exact BigInt counting of flipped totals. */
function exactIntegerSignFlip(values: number[]): number {
  const nonzero = values.filter((v) => v !== 0);
  const observed = nonzero.reduce((s, v) => s + v, 0);
  const offset = nonzero.reduce((s, v) => s + Math.abs(v), 0);
  // counts.get(t + offset) = number of sign patterns with total t
  let counts = new Map<number, bigint>([[offset, 1n]]);
  for (const v of nonzero) {
    const next = new Map<number, bigint>();
    for (const [key, c] of counts) {
      next.set(key + v, (next.get(key + v) ?? 0n) + c);
      next.set(key - v, (next.get(key - v) ?? 0n) + c);
    }
    counts = next;
  }
  let atMost = 0n;
  for (const [key, c] of counts) if (key - offset <= observed) atMost += c;
  return bigRatio(atMost, 2n ** BigInt(nonzero.length));
}

describe("binomialUpperTail", () => {
  it("handles the ends of the support", () => {
    expect(binomialUpperTail(0, 10)).toBe(1);
    expect(binomialUpperTail(-3, 10)).toBe(1);
    expect(binomialUpperTail(11, 10)).toBe(0);
    expect(binomialUpperTail(0, 0)).toBe(1);
    expect(binomialUpperTail(1, 0)).toBe(0);
    expectRelative(binomialUpperTail(10, 10), 2 ** -10, 1e-14);
    expectRelative(binomialUpperTail(1, 10), 1 - 2 ** -10, 1e-14);
  });

  it("rounds a fractional k up", () => {
    expect(binomialUpperTail(2.5, 7)).toBe(binomialUpperTail(3, 7));
    expectRelative(binomialUpperTail(2.5, 7), 99 / 128, 1e-14);
  });

  it("rejects a bad n", () => {
    expect(() => binomialUpperTail(1, -1)).toThrow(RangeError);
    expect(() => binomialUpperTail(1, 2.5)).toThrow(RangeError);
    expect(() => binomialUpperTail(Number.NaN, 5)).toThrow(RangeError);
  });

  it("matches exact sums for every k, n <= 80", () => {
    for (let n = 0; n <= 80; n++) {
      const tails = exactTailCounts(n);
      const total = 2n ** BigInt(n);
      for (let k = 0; k <= n + 1; k++) {
        expectRelative(binomialUpperTail(k, n), bigRatio(tails[k] as bigint, total), 1e-12);
      }
    }
  });

  it.each([999, 1000, 4999, 5000])("matches exact sums for every representable k, n = %i", (n) => {
    const tails = exactTailCounts(n);
    const total = 2n ** BigInt(n);
    let checked = 0;
    for (let k = 0; k <= n; k++) {
      const expected = bigRatio(tails[k] as bigint, total);
      if (expected < 1e-300) break;
      expectRelative(binomialUpperTail(k, n), expected, 1e-12);
      checked++;
    }
    expect(checked).toBeGreaterThan(n / 2);
  });

  it("stays accurate well past n = 5000", () => {
    const n = 20_000;
    const tails = exactTailCounts(n);
    const total = 2n ** BigInt(n);
    for (const k of [0, 1, 5000, 9_900, 10_000, 10_001, 10_100, 10_250, 10_500, 11_000, 12_000, 14_000]) {
      expectRelative(binomialUpperTail(k, n), bigRatio(tails[k] as bigint, total), 1e-12);
    }
  });
});

describe("mcnemarOneSided", () => {
  it("gives the textbook values", () => {
    expectRelative(mcnemarOneSided(8, 1), 10 / 512, 1e-14);
    expect(mcnemarOneSided(8, 1)).toBeCloseTo(0.01953125, 15);
    expectRelative(mcnemarOneSided(5, 0), 1 / 32, 1e-14);
    expectRelative(mcnemarOneSided(1, 1), 3 / 4, 1e-14);
    expectRelative(mcnemarOneSided(0, 5), 1, 1e-14);
    expectRelative(mcnemarOneSided(1, 5), 63 / 64, 1e-14);
  });

  it("is 1 without discordant pairs", () => {
    expect(mcnemarOneSided(0, 0)).toBe(1);
  });

  it("rejects counts that are not non-negative integers", () => {
    expect(() => mcnemarOneSided(-1, 2)).toThrow(RangeError);
    expect(() => mcnemarOneSided(1.5, 2)).toThrow(RangeError);
    expect(() => mcnemarOneSided(1, Number.NaN)).toThrow(RangeError);
  });
});

describe("signFlipOneSided", () => {
  it("is 1 when nothing changed", () => {
    expect(signFlipOneSided([])).toBe(1);
    expect(signFlipOneSided([0, 0, 0])).toBe(1);
    expect(signFlipTest([0, 1e-12]).method).toBe("none");
  });

  it("equals McNemar exactly for differences in {-1, 0, 1}", () => {
    const rng = testRng(7);
    for (const m of [1, 2, 5, 12, 40, 300, 3000]) {
      for (let trial = 0; trial < 5; trial++) {
        const diffs = Array.from({ length: m }, () => {
          const u = rng();
          return u < 0.4 ? -1 : u < 0.7 ? 0 : 1;
        });
        const worse = diffs.filter((d) => d === -1).length;
        const better = diffs.filter((d) => d === 1).length;
        expect(signFlipOneSided(diffs)).toBe(mcnemarOneSided(worse, better));
      }
    }
    expect(signFlipTest([-1, 0, 1, -1]).method).toBe("binomial");
  });

  it("gives the enumerated value for differences on thirds, with repeats and a zero", () => {
    const diffs = [-1, -2 / 3, -1 / 3, 0, 1 / 3];
    const result = signFlipTest(diffs);
    expect(result.method).toBe("lattice");
    expect(result.p).toBeCloseTo(bruteForceSignFlip(diffs), 14);
    // By hand, in thirds: magnitudes {3, 2, 1, 1}, observed -5, so a flip is at or below it iff the
    // magnitudes left positive sum to at most 1: none, or either single third. 3 of 16 patterns.
    expect(result.p).toBeCloseTo(3 / 16, 14);
  });

  it("counts ties as at or below the observed total", () => {
    // 0.1 + 0.2 - 0.3 is 5.6e-17 in floating point, yet ties with the flipped pattern summing to 0.
    expect(signFlipOneSided([0.1, 0.2, -0.3])).toBeCloseTo(5 / 8, 14);
    // Off any small lattice, so by enumeration: totals 0, 0, -2(a+b), -2a, -2b are <= 0.
    const a = Math.SQRT2 / 10;
    const b = Math.PI / 10;
    const result = signFlipTest([a, b, -(a + b)]);
    expect(result.method).toBe("enumeration");
    expect(result.p).toBe(5 / 8);
  });

  it("matches brute force on lattice data with mixed denominators", () => {
    const rng = testRng(11);
    for (let trial = 0; trial < 20; trial++) {
      const m = 10 + (trial % 7);
      const diffs = Array.from({ length: m }, () => {
        const denominator = rng() < 0.5 ? 7 : 3;
        return (
          (Math.floor(rng() * (2 * denominator + 1)) - denominator - (rng() < 0.3 ? 1 : 0)) / denominator
        );
      }).map((d) => Math.max(-1, d));
      const result = signFlipTest(diffs);
      expect(["lattice", "binomial", "none"]).toContain(result.method);
      expectRelative(result.p, bruteForceSignFlip(diffs), 1e-12);
    }
  });

  it("matches brute force by enumeration off the lattice, m <= 20", () => {
    const rng = testRng(12);
    for (const m of [2, 5, 9, 14, 17, 20]) {
      const diffs = Array.from({ length: m }, () => 2 * rng() - 1.15);
      const result = signFlipTest(diffs);
      expect(result.method).toBe("enumeration");
      expect(result.p).toBe(bruteForceSignFlip(diffs));
    }
  });

  it("matches exact BigInt counting on 200 cases with sevenths and thirds", () => {
    const rng = testRng(13);
    for (const bias of [0, -0.05, -0.1, -0.2]) {
      const diffs = Array.from({ length: 200 }, () => {
        const denominator = rng() < 0.5 ? 7 : 3;
        const raw = Math.round((2 * rng() - 1 + bias) * denominator);
        return Math.max(-denominator, Math.min(denominator, raw)) / denominator;
      });
      const result = signFlipTest(diffs);
      expect(result.method).toBe("lattice");
      const expected = exactIntegerSignFlip(diffs.map((d) => Math.round(d * 21)));
      expectRelative(result.p, expected, 1e-10);
    }
  });

  it("falls back to a reproducible Monte Carlo estimate close to the normal approximation", () => {
    const rng = testRng(14);
    for (const bias of [0, -0.02, -0.05]) {
      const diffs = Array.from({ length: 200 }, () => Math.max(-1, Math.min(1, 2 * rng() - 1 + bias)));
      const result = signFlipTest(diffs);
      expect(result.method).toBe("monte-carlo");
      const total = diffs.reduce((s, d) => s + d, 0);
      const spread = Math.sqrt(diffs.reduce((s, d) => s + d * d, 0));
      expect(Math.abs(result.p - normalCdf(total / spread))).toBeLessThan(0.01);
      expect(signFlipOneSided(diffs)).toBe(result.p);
      expect(signFlipOneSided([...diffs])).toBe(result.p);
      // (1 + hits) / (1 + samples) can only take these values.
      expect(Math.abs(result.p * 20_001 - Math.round(result.p * 20_001))).toBeLessThan(1e-6);
    }
  });

  it("honours the Monte Carlo sample count and seed", () => {
    const rng = testRng(15);
    const diffs = Array.from({ length: 60 }, () => 2 * rng() - 1.1);
    const small = signFlipOneSided(diffs, { samples: 999 });
    expect(Math.abs(small * 1000 - Math.round(small * 1000))).toBeLessThan(1e-9);
    expect(signFlipOneSided(diffs, { seed: 2 })).not.toBe(signFlipOneSided(diffs, { seed: 3 }));
    expect(() => signFlipOneSided(diffs, { samples: 0 })).toThrow(RangeError);
  });

  it("never reports 0 from Monte Carlo, even for an extreme total", () => {
    const diffs = Array.from({ length: 100 }, (_, i) => -0.5 - i / 1_000_003);
    const result = signFlipTest(diffs);
    expect(result.method).toBe("monte-carlo");
    expect(result.p).toBe(1 / 20_001);
  });

  it("holds its size under the null: about 5% or fewer rejections at alpha 0.05", () => {
    const rng = testRng(16);
    const magnitudes = [0, 0.25, 0.5, 0.75, 1];
    let rejections = 0;
    const datasets = 2000;
    for (let i = 0; i < datasets; i++) {
      const diffs = Array.from({ length: 30 }, () => {
        const magnitude = magnitudes[Math.floor(rng() * magnitudes.length)] as number;
        return rng() < 0.5 ? -magnitude : magnitude;
      });
      if (signFlipOneSided(diffs) <= 0.05) rejections++;
    }
    // An exact test rejects at most 5% in expectation; 0.065 is three standard errors above.
    expect(rejections / datasets).toBeLessThanOrEqual(0.065);
    expect(rejections / datasets).toBeGreaterThan(0.02);
  });

  it("rejects non-finite differences", () => {
    expect(() => signFlipOneSided([0.5, Number.NaN])).toThrow(RangeError);
    expect(() => signFlipOneSided([Number.POSITIVE_INFINITY])).toThrow(RangeError);
  });
});

describe("holm", () => {
  it("adjusts the textbook example", () => {
    const adjusted = holm([0.01, 0.04, 0.03, 0.005]);
    const expected = [0.03, 0.06, 0.06, 0.02];
    expect(adjusted).toHaveLength(4);
    adjusted.forEach((p, i) => {
      expect(p).toBeCloseTo(expected[i] as number, 15);
    });
  });

  it("leaves nulls in place and does not count them", () => {
    const adjusted = holm([null, 0.01, null, 0.04]);
    expect(adjusted[0]).toBeNull();
    expect(adjusted[2]).toBeNull();
    expect(adjusted[1]).toBeCloseTo(0.02, 15);
    expect(adjusted[3]).toBeCloseTo(0.04, 15);
    expect(holm([null, null])).toEqual([null, null]);
    expect(holm([])).toEqual([]);
    expect(holm([null, 0.2])).toEqual([null, 0.2]);
  });

  it("caps at 1 and keeps the order monotone", () => {
    expect(holm([0.5, 0.6])).toEqual([1, 1]);
    const adjusted = holm([0.04, 0.045, 0.001]);
    expect(adjusted[2]).toBeCloseTo(0.003, 15);
    expect(adjusted[0]).toBeCloseTo(0.08, 15);
    // Raw 0.045 would give 0.045 alone, but may not look more significant than 0.04 did.
    expect(adjusted[1]).toBeCloseTo(0.08, 15);
  });

  it("treats ties alike and leaves the input alone", () => {
    const input = [0.02, 0.02, 0.5];
    expect(holm(input)).toEqual([0.06, 0.06, 0.5]);
    expect(input).toEqual([0.02, 0.02, 0.5]);
  });

  it("rejects values that are not p-values", () => {
    expect(() => holm([0.1, 1.5])).toThrow(RangeError);
    expect(() => holm([Number.NaN])).toThrow(RangeError);
  });
});

describe("pairedBootstrapCI", () => {
  const rng = testRng(21);
  const diffs = Array.from({ length: 400 }, (): number => {
    const u = rng();
    return u < 0.3 ? -1 : u < 0.45 ? -0.5 : u < 0.8 ? 0 : 1;
  });
  const mean = diffs.reduce((s, d) => s + d, 0) / diffs.length;

  it("is null without cases and a point for constant differences", () => {
    expect(pairedBootstrapCI([])).toBeNull();
    expect(pairedBootstrapCI([0.1, 0.1, 0.1])).toEqual({ low: 0.1, high: 0.1 });
    expect(pairedBootstrapCI([-1])).toEqual({ low: -1, high: -1 });
  });

  it("is reproducible for a seed and varies with it", () => {
    const first = pairedBootstrapCI(diffs);
    expect(pairedBootstrapCI([...diffs])).toEqual(first);
    expect(pairedBootstrapCI(diffs, { seed: 1 })).toEqual(first);
    expect(pairedBootstrapCI(diffs, { seed: 2 })).not.toEqual(first);
  });

  it("contains the mean and agrees with the normal interval", () => {
    const ci = pairedBootstrapCI(diffs);
    if (ci === null) throw new Error("expected an interval");
    expect(ci.low).toBeLessThan(mean);
    expect(ci.high).toBeGreaterThan(mean);
    const variance = diffs.reduce((s, d) => s + (d - mean) ** 2, 0) / (diffs.length - 1);
    const halfWidth = 1.959964 * Math.sqrt(variance / diffs.length);
    expect(Math.abs(ci.low - (mean - halfWidth))).toBeLessThan(0.01);
    expect(Math.abs(ci.high - (mean + halfWidth))).toBeLessThan(0.01);
  });

  it("narrows with a lower level", () => {
    const wide = pairedBootstrapCI(diffs, { level: 0.99 });
    const narrow = pairedBootstrapCI(diffs, { level: 0.8 });
    if (wide === null || narrow === null) throw new Error("expected intervals");
    expect(narrow.high - narrow.low).toBeLessThan(wide.high - wide.low);
    expect(wide.low).toBeGreaterThanOrEqual(-1);
    expect(wide.high).toBeLessThanOrEqual(1);
  });

  it("rejects bad options and values", () => {
    expect(() => pairedBootstrapCI(diffs, { level: 1 })).toThrow(RangeError);
    expect(() => pairedBootstrapCI(diffs, { resamples: 0 })).toThrow(RangeError);
    expect(() => pairedBootstrapCI([0, Number.NaN])).toThrow(RangeError);
  });
});

describe("passHatK", () => {
  it("gives the combinatorial values", () => {
    expect(passHatK(5, 3, 2)).toBeCloseTo(3 / 10, 15);
    expect(passHatK(4, 4, 4)).toBe(1);
    expect(passHatK(3, 2, 3)).toBe(0);
    expect(passHatK(2, 2, 3)).toBeNull();
    expect(passHatK(10, 7, 3)).toBeCloseTo(35 / 120, 15);
    expect(passHatK(8, 5, 1)).toBeCloseTo(5 / 8, 15);
    expect(passHatK(0, 0, 1)).toBeNull();
  });

  it("stays finite for many runs", () => {
    // C(900, 50) / C(1000, 50) by exact BigInt products.
    let num = 1n;
    let den = 1n;
    for (let i = 0; i < 50; i++) {
      num *= BigInt(900 - i);
      den *= BigInt(1000 - i);
    }
    expectRelative(passHatK(1000, 900, 50) as number, bigRatio(num, den), 1e-13);
  });

  it("rejects impossible counts", () => {
    expect(() => passHatK(3, 4, 1)).toThrow(RangeError);
    expect(() => passHatK(3, 1, 0)).toThrow(RangeError);
    expect(() => passHatK(-1, 0, 1)).toThrow(RangeError);
  });
});

describe("createRng", () => {
  it("is deterministic per seed and looks uniform", () => {
    const a = createRng(42);
    const b = createRng(42);
    const c = createRng(43);
    const fromA = Array.from({ length: 5 }, a);
    expect(Array.from({ length: 5 }, b)).toEqual(fromA);
    expect(Array.from({ length: 5 }, c)).not.toEqual(fromA);

    const rng = createRng(0);
    const buckets = new Array(10).fill(0);
    const draws = 100_000;
    let outOfRange = 0;
    for (let i = 0; i < draws; i++) {
      const u = rng();
      if (!(u >= 0 && u < 1)) outOfRange++;
      else buckets[Math.floor(u * 10)]++;
    }
    expect(outOfRange).toBe(0);
    // Chi-square with 9 degrees of freedom: 27.9 is its 0.999 quantile.
    const chiSquare = buckets.reduce((s, count) => s + (count - draws / 10) ** 2 / (draws / 10), 0);
    expect(chiSquare).toBeLessThan(27.9);
  });
});

describe("seedFromString", () => {
  it("is 32-bit FNV-1a over UTF-8", () => {
    expect(seedFromString("")).toBe(0x811c9dc5);
    expect(seedFromString("a")).toBe(0xe40c292c);
    expect(seedFromString("foobar")).toBe(0xbf9cf968);
    expect(seedFromString("evals/support.jsonl#refunds")).toBe(0xb71cca6c);
    expect(seedFromString("é")).toBe(0x1e9de8c1);
    expect(seedFromString("日本")).toBe(0x9f26ee51);
  });
});
