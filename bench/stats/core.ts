// Noise like real models have, and one simulated PR through the gate's own statistics.
//
// API (everything else in this file is private):
//   simulateCases(design, random) -> CaseResult[]   one PR's reduced cases, base and head
//   judge(design, cases)          -> Outcome        compareSlices + decideVerdict on them
//   simulatePr(design, random)    -> Outcome        both at once
//   rng(seed)                     -> Rng            the seeded generator the gate itself uses
//   caseProbabilities(noise, n, random) -> number[] the per-case pass rates of the noise model
//   requestsOf(cases)             -> number         the runs a PR's cases cost, both sides
//
// The noise model (Design.noise), stated precisely:
// - A slice's cases (or its clusters: the variants of one original share one) draw a propensity
//   π ~ Beta(κμ, κ(1 - μ)). κ (`concentration`) says how alike cases are: small κ, most cases
//   always pass or always fail; large κ, every case near the mean, each a coin.
// - Per-request noise: each run's outcome is flipped with probability `flip`, so a case passes a run
//   with p = π(1 - flip) + (1 - π)·flip. μ is chosen so that the mean p is the slice's `base`.
// - Runs are independent given p, except within a cluster (Design.clusters): for each side and run
//   index the cluster draws one uniform, and each of its cases uses it with probability `shared`
//   (else its own). Variants of one prompt thus tend to pass or fail together in the same run, as
//   near-identical prompts do, while each keeps its own pass rate.
// - A null PR: head = base. A drop d on the first slice: every case of it keeps (1 - d/base) of its
//   pass rate on head (the model the MDE assumes), so the slice's expected score falls by d.

import { compareSlices } from "../../src/core/gate/compare.js";
import type { GateOptions } from "../../src/core/gate/options.js";
import { decideVerdict } from "../../src/core/gate/verdict.js";
import type { SliceDiff, Verdict } from "../../src/core/report-types.js";
import { DEFAULT_MAX_REPEATS, rerunSelected } from "../../src/core/run/adaptive.js";
import { createRng } from "../../src/core/stats/index.js";
import type { CaseResult, CaseSideResult } from "../../src/core/types.js";

export type Rng = () => number;

export interface Noise {
  /** The slice's mean pass rate on base, 0..1. */
  base: number;
  /** Beta concentration κ of the cases' propensities. */
  concentration: number;
  /** Chance a run's outcome is flipped by per-request noise. */
  flip: number;
}

export interface Design {
  slices: number;
  /** Cases per slice. */
  cases: number;
  /** Runs per case and side; `auto`: the runner's adaptive rule (rerunSelected) up to `maxRepeats`. */
  repeats: number | "auto";
  /** Under `auto`, the most runs a case gets on a side (default: the runner's, 5). */
  maxRepeats?: number;
  noise: Noise;
  /** Cases per cluster (variants of one original) and how much their runs share; none: independent. */
  clusters?: { size: number; shared: number };
  /** Whether the cases carry their cluster (`original`) so the gate can use it; default true. */
  labelClusters?: boolean;
  /** Drop of the first slice's expected score on head (0: a null PR). */
  drop?: number;
  gate: Partial<GateOptions>;
}

export interface Outcome {
  verdict: Verdict;
  slices: SliceDiff[];
}

export function rng(seed: number): Rng {
  return createRng(seed);
}

export function simulatePr(design: Design, random: Rng): Outcome {
  return judge(design, simulateCases(design, random));
}

export function judge(design: Design, cases: CaseResult[]): Outcome {
  const gate: GateOptions = {
    mode: "statistical",
    alpha: 0.05,
    floor: null,
    min_slice_n: 12,
    // Under auto the gate computes pass^k and the MDE as for single runs, as the runner tells it.
    repeats: design.repeats === "auto" ? 1 : design.repeats,
    ...design.gate,
  };
  const slices = compareSlices([{ name: "anchor", visibility: "full" }], cases, gate);
  const { verdict } = decideVerdict({ slices, errorRate: 0, maxErrorRate: 0, errorRuns: 0, hasBase: true });
  return { verdict, slices };
}

export function simulateCases(design: Design, random: Rng): CaseResult[] {
  const out: CaseResult[] = [];
  const size = design.clusters?.size ?? 1;
  const shared = design.clusters?.shared ?? 0;
  const groups = Math.ceil(design.cases / size);
  for (let s = 0; s < design.slices; s++) {
    const propensity = caseProbabilities(design.noise, groups, random);
    const keep = s === 0 ? 1 - (design.drop ?? 0) / design.noise.base : 1;
    for (let g = 0; g < groups; g++) {
      const members = Math.min(size, design.cases - g * size);
      const p = propensity[g] as number;
      const [base, head] =
        design.repeats === "auto"
          ? adaptiveCluster(p, p * keep, members, design.maxRepeats ?? DEFAULT_MAX_REPEATS, shared, random)
          : [
              runCluster(p, members, design.repeats, shared, random),
              runCluster(p * keep, members, design.repeats, shared, random),
            ];
      for (let m = 0; m < members; m++) {
        const id = `s${s}-g${g}-v${m}`;
        out.push({
          id,
          set: "anchor",
          slice: `s${s}`,
          line: out.length + 1,
          base: base[m] as CaseSideResult,
          head: head[m] as CaseSideResult,
          ...(size > 1 && (design.labelClusters ?? true)
            ? { original: `s${s}-g${g}`, perturbation: "typos" }
            : {}),
        });
      }
    }
  }
  return out;
}

/** Per-case pass rates p = π(1 - flip) + (1 - π)flip, π ~ Beta, with mean p = base. */
export function caseProbabilities(noise: Noise, n: number, random: Rng): number[] {
  const { base, concentration: k, flip } = noise;
  const mu = Math.min(1 - 1e-9, Math.max(1e-9, (base - flip) / (1 - 2 * flip)));
  return Array.from({ length: n }, () => {
    const pi = beta(k * mu, k * (1 - mu), random);
    return pi * (1 - flip) + (1 - pi) * flip;
  });
}

/** `members` cases of pass rate p, `repeats` runs each; a run index shares one draw with probability `shared`. */
function runCluster(
  p: number,
  members: number,
  repeats: number,
  shared: number,
  random: Rng,
): CaseSideResult[] {
  const passes = new Array<number>(members).fill(0);
  for (let r = 0; r < repeats; r++) {
    const common = random();
    for (let m = 0; m < members; m++) {
      const u = random() < shared ? common : random();
      if (u < p) passes[m] = (passes[m] as number) + 1;
    }
  }
  return passes.map((x) => ({ runs: repeats, passes: x, errors: 0 }));
}

/**
 * `repeats: auto` for one cluster: every member runs once a side, then again on both sides while
 * the runner's own rule (rerunSelected) says so. A run index draws one shared uniform a side, as
 * runCluster does, so variants still pass or fail together.
 */
function adaptiveCluster(
  pBase: number,
  pHead: number,
  members: number,
  max: number,
  shared: number,
  random: Rng,
): [CaseSideResult[], CaseSideResult[]] {
  const common = (n: number) => Array.from({ length: n }, () => random());
  const commonBase = common(max);
  const commonHead = common(max);
  const base: CaseSideResult[] = [];
  const head: CaseSideResult[] = [];
  for (let m = 0; m < members; m++) {
    const b = { runs: 0, passes: 0, errors: 0 };
    const h = { runs: 0, passes: 0, errors: 0 };
    do {
      const r = b.runs;
      if ((random() < shared ? (commonBase[r] as number) : random()) < pBase) b.passes++;
      if ((random() < shared ? (commonHead[r] as number) : random()) < pHead) h.passes++;
      b.runs++;
      h.runs++;
    } while (rerunSelected(b, h, b.runs, max));
    base.push(b);
    head.push(h);
  }
  return [base, head];
}

/** The requests one PR's cases cost: every run of every case, both sides. */
export function requestsOf(cases: readonly CaseResult[]): number {
  return cases.reduce((n, c) => n + (c.base?.runs ?? 0) + c.head.runs, 0);
}

function beta(a: number, b: number, random: Rng): number {
  const x = gamma(a, random);
  const y = gamma(b, random);
  return x + y > 0 ? x / (x + y) : a / (a + b);
}

/**
 * Gamma(shape, 1) by Marsaglia and Tsang's squeeze (2000); for shape < 1, Gamma(shape + 1) scaled
 * by U^(1/shape), which is exact.
 */
function gamma(shape: number, random: Rng): number {
  if (shape < 1) return gamma(shape + 1, random) * random() ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / (3 * Math.sqrt(d));
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = gaussian(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function gaussian(random: Rng): number {
  // Polar method: no trigonometry, and both uniforms strictly inside the unit disc.
  for (;;) {
    const u = 2 * random() - 1;
    const v = 2 * random() - 1;
    const s = u * u + v * v;
    if (s > 0 && s < 1) return u * Math.sqrt((-2 * Math.log(s)) / s);
  }
}
