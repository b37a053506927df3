// The noise model of the adaptive-repeats benchmark (bench/stats/adaptive.ts), stated precisely.
//
// - A slice has n cases. Case i passes on the base side with probability p_i per request, and
//   p_i ~ Beta(κ·r, κ·(1 − r)): r is the slice's base pass rate (0.9) and κ = 20, so a request
//   fails 1 − r = 10% of the time on average ("10% per-request noise"), and most of that is noise
//   within a case: the cases' own rates spread only by sd √(r(1 − r)/(κ + 1)) ≈ 0.065.
// - Requests are independent given p_i, on both sides.
// - A null PR changes nothing: case i passes on head with the same p_i.
// - A drop d, "broken cases" (the headline): the PR breaks m of the n cases, m = n·d / (r − q)
//   rounded at random (up with the fraction as its chance, so the expected drop is exactly d); a
//   broken case passes on head with probability q = 0.1 per request, the same noise the other way
//   round. The other cases are unchanged. A prompt change that breaks one behaviour looks so.
// - A drop d, "diffuse": every case passes on head with p_i · (1 − d / r), a little worse each.
//   Any rule that picks cases by their own data gains least here, as the table shows.
import { createRng } from "../../src/core/stats/index.js";

export const BASE_RATE = 0.9;
export const CONCENTRATION = 20;
export const BROKEN_PASS = 0.1;

export type Change = "broken" | "diffuse";

export type Rng = () => number;

export function rng(seed: number): Rng {
  return createRng(seed);
}

/** A standard normal draw (Box-Muller). */
function normal(random: Rng): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** A Gamma(shape, 1) draw (Marsaglia and Tsang; shape < 1 boosted by U^(1/shape)). */
function gamma(shape: number, random: Rng): number {
  if (shape < 1) return gamma(shape + 1, random) * (1 - random()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - random();
    if (Math.log(u) < 0.5 * x * x + d - d * v + d * Math.log(v)) return d * v;
  }
}

export function beta(a: number, b: number, random: Rng): number {
  const x = gamma(a, random);
  return x / (x + gamma(b, random));
}

/** Per case, the chance a request passes on base and on head, for a slice of `n` cases. */
export function sliceRates(
  n: number,
  drop: number,
  change: Change,
  random: Rng,
): { base: number; head: number }[] {
  const base = Array.from({ length: n }, () =>
    beta(CONCENTRATION * BASE_RATE, CONCENTRATION * (1 - BASE_RATE), random),
  );
  if (drop === 0) return base.map((p) => ({ base: p, head: p }));
  if (change === "diffuse") return base.map((p) => ({ base: p, head: p * (1 - drop / BASE_RATE) }));
  const exact = (n * drop) / (BASE_RATE - BROKEN_PASS);
  const broken = Math.floor(exact) + (random() < exact - Math.floor(exact) ? 1 : 0);
  // Cases are exchangeable, so the first `broken` are as good as any.
  return base.map((p, i) => ({ base: p, head: i < broken ? BROKEN_PASS : p }));
}
