import { describe, expect, it } from "vitest";
import { binomialAtLeast, binomialAtMost, normalCdf, normalQuantile } from "../../src/core/stats/index.js";

// Reference values from exact rational arithmetic: with p = a/b, P(X = j) = C(n, j) a^j (b-a)^(n-j) / b^n.

/** num/den as a double, correct to ~60 bits, for BigInts of any size. */
function bigRatio(num: bigint, den: bigint): number {
  if (num === 0n) return 0;
  const shift = den.toString(2).length - num.toString(2).length + 64;
  const scaled = shift >= 0 ? (num << BigInt(shift)) / den : num / (den << BigInt(-shift));
  return Number(scaled) * 2 ** -shift;
}

/** Every P(X = j) of Binomial(n, a/b) as an exact numerator over b^n. */
function exactMasses(n: number, a: number, b: number): { masses: bigint[]; den: bigint } {
  const A = BigInt(a);
  const B = BigInt(b - a);
  const masses: bigint[] = [];
  let c = 1n;
  for (let j = 0; j <= n; j++) {
    if (j > 0) c = (c * BigInt(n - j + 1)) / BigInt(j);
    masses.push(c * A ** BigInt(j) * B ** BigInt(n - j));
  }
  return { masses, den: BigInt(b) ** BigInt(n) };
}

function expectRelative(actual: number, expected: number, tolerance: number): void {
  if (expected === 0) {
    expect(actual).toBe(0);
    return;
  }
  const error = Math.abs(actual - expected) / expected;
  if (error > tolerance) expect.fail(`${actual} vs exact ${expected}: relative error ${error}`);
}

describe("binomial tails for any p", () => {
  it("match exact sums in both tails, deep ones included (relative error 1e-12)", () => {
    for (const [n, a, b] of [
      [40, 1, 2],
      [100, 3, 10],
      [200, 1, 100],
      [300, 9, 10],
      [1000, 7, 10],
    ] as const) {
      const { masses, den } = exactMasses(n, a, b);
      const upper: bigint[] = new Array(n + 2).fill(0n);
      for (let k = n; k >= 0; k--) upper[k] = (upper[k + 1] as bigint) + (masses[k] as bigint);
      for (let k = 0; k <= n; k += n >= 300 ? 7 : 1) {
        const atLeast = bigRatio(upper[k] as bigint, den);
        const atMost = bigRatio(den - (upper[k + 1] as bigint), den);
        // Below 1e-300 a double has no room left; the far ends are checked separately.
        if (atLeast > 1e-300) expectRelative(binomialAtLeast(k, n, a / b), atLeast, 1e-12);
        if (atMost > 1e-300) expectRelative(binomialAtMost(k, n, a / b), atMost, 1e-12);
      }
    }
  });

  it("keeps a far tail that 1 minus the other side would round to 0", () => {
    // P(X >= 60) for Bin(100, 0.3) is about 1e-11; P(X >= 90) is about 1e-36.
    const { masses, den } = exactMasses(100, 3, 10);
    const tail = (k: number) =>
      bigRatio(
        masses.slice(k).reduce((s, m) => s + m, 0n),
        den,
      );
    expectRelative(binomialAtLeast(90, 100, 0.3), tail(90), 1e-12);
    expect(binomialAtLeast(90, 100, 0.3)).toBeLessThan(1e-30);
    expectRelative(
      binomialAtMost(5, 300, 0.9),
      bigRatio(
        exactMasses(300, 9, 10)
          .masses.slice(0, 6)
          .reduce((s, m) => s + m, 0n),
        BigInt(10) ** 300n,
      ),
      1e-12,
    );
  });

  it("handles the ends of the support and of p, and rounds k like the tests do", () => {
    expect(binomialAtLeast(0, 10, 0.3)).toBe(1);
    expect(binomialAtLeast(11, 10, 0.3)).toBe(0);
    expect(binomialAtLeast(1, 10, 0)).toBe(0);
    expect(binomialAtLeast(10, 10, 1)).toBe(1);
    expect(binomialAtMost(-1, 10, 0.3)).toBe(0);
    expect(binomialAtMost(10, 10, 0.3)).toBe(1);
    expect(binomialAtMost(0, 10, 1)).toBe(0);
    expect(binomialAtLeast(2.5, 10, 0.3)).toBe(binomialAtLeast(3, 10, 0.3));
    expect(binomialAtMost(2.5, 10, 0.3)).toBe(binomialAtMost(2, 10, 0.3));
    expect(() => binomialAtLeast(1, 3.5, 0.3)).toThrow(RangeError);
    expect(() => binomialAtMost(1, 3, 1.5)).toThrow(RangeError);
  });
});

describe("the normal distribution", () => {
  it("gives textbook values deep in the tail", () => {
    // Φ(-1.96), Φ(-5), Φ(-10) from published tables (Abramowitz & Stegun 26.2, to the digits given).
    expectRelative(normalCdf(-1.96), 0.024997895148220435, 1e-12);
    expectRelative(normalCdf(-5), 2.866515718791939e-7, 1e-10);
    expectRelative(normalCdf(-10), 7.61985302416047e-24, 1e-9);
    expect(normalCdf(0)).toBe(0.5);
    expect(normalCdf(1.2) + normalCdf(-1.2)).toBeCloseTo(1, 14);
  });

  it("inverts to the quantiles", () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963984540054, 9);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326347874040841, 9);
    expect(normalCdf(normalQuantile(1e-6))).toBeCloseTo(1e-6, 15);
    expect(() => normalQuantile(1)).toThrow(RangeError);
  });
});
