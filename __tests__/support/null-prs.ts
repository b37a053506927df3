/**
 * Simulated pull requests for the dimension and drift rules: reduced cases (what reduceCases
 * hands to the statistics) drawn from a seeded PRNG with per-request noise, so a rate measured
 * here is the same on every machine. A "null" PR changes nothing: both sides draw from the same
 * per-case model, so every difference is noise.
 */
import { createRng } from "../../src/core/stats/index.js";
import type { Behaviour, CaseResult, CaseSideResult } from "../../src/core/types.js";

export interface PrShape {
  slices: number;
  cases: number;
  /** Graders per case, each its own dimension. */
  dimensions: number;
  repeats: number;
  /** Head's pass probability on dimension 0 of slice 0 is lowered by this (0 = null PR). */
  drop?: number;
  /** Head's outputs are this many times as long (1 = null). */
  lengthFactor?: number;
  /** Head's refusal probability (base: `refusal`). */
  headRefusal?: number;
  refusal?: number;
}

type Draw = () => number;

/** A standard normal by Box-Muller: lengths and latencies are log-normal around each case's own. */
function normal(rng: Draw): number {
  return Math.sqrt(-2 * Math.log(1 - rng())) * Math.cos(2 * Math.PI * rng());
}

/** One PR's reduced cases. Cases differ (easy, hard); each request is a fresh draw around its case. */
export function simulatePr(seed: number, shape: PrShape): CaseResult[] {
  const rng = createRng(seed);
  const cases: CaseResult[] = [];
  const keys = Array.from({ length: shape.dimensions }, (_, j) => `grader-${j}`);
  for (let s = 0; s < shape.slices; s++) {
    for (let i = 0; i < shape.cases; i++) {
      // Most cases pass nearly always, some are coin flips: a slice around 0.9 with real noise.
      const p = keys.map(() => (rng() < 0.8 ? 0.98 : 0.5));
      const chars = 200 * Math.exp(0.5 * normal(rng));
      const tools = Math.floor(rng() * 3);
      const side = (head: boolean): CaseSideResult => {
        const dim = keys.map(() => 0);
        let passes = 0;
        const b: Behaviour = { outputs: 0, chars: 0, refusals: 0, tool_calls: 0, timed: 0, latency_ms: 0 };
        for (let k = 0; k < shape.repeats; k++) {
          let all = true;
          p.forEach((q, j) => {
            const lowered = head && s === 0 && j === 0 ? Math.max(0, q - (shape.drop ?? 0)) : q;
            const pass = rng() < lowered;
            if (pass) dim[j] = (dim[j] as number) + 1;
            all &&= pass;
          });
          if (all) passes++;
          const factor = head ? (shape.lengthFactor ?? 1) : 1;
          b.outputs++;
          b.chars += Math.round(factor * chars * Math.exp(0.3 * normal(rng)));
          b.refusals +=
            rng() < (head ? (shape.headRefusal ?? shape.refusal ?? 0.02) : (shape.refusal ?? 0.02)) ? 1 : 0;
          b.tool_calls += tools + (rng() < 0.2 ? 1 : 0);
          b.timed++;
          b.latency_ms += Math.round(800 * Math.exp(0.4 * normal(rng)));
        }
        return {
          runs: shape.repeats,
          passes,
          errors: 0,
          dim_passes: dim,
          dim_scores: dim.map((x) => x / shape.repeats),
          behaviour: b,
        };
      };
      cases.push({
        id: `s${s}-c${i}`,
        set: "anchor",
        slice: `slice-${s}`,
        line: i + 1,
        base: side(false),
        head: side(true),
        dimensions: keys,
      });
    }
  }
  return cases;
}

/** The share of `prs` simulated PRs for which `hit` holds. */
export function rate(prs: number, shape: PrShape, hit: (cases: CaseResult[]) => boolean, seed = 1): number {
  let hits = 0;
  for (let i = 0; i < prs; i++) if (hit(simulatePr(seed * 100_003 + i, shape))) hits++;
  return hits / prs;
}

/** With EVAL_GATE_PRINT_RATES set, a measured rate is printed: how the README's figures are rerun. */
export function printRate(what: string, x: number): void {
  if (process.env.EVAL_GATE_PRINT_RATES) console.info(`${what}: ${(x * 100).toFixed(1)}%`);
}
