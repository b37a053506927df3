// What a case's runs on one side say beyond pass/fail, reduced to a few numbers as soon as the
// runs are: per-grader passes (dimensions) and behaviour sums (drift). Nothing of the outputs is
// kept but their lengths, so a large run holds no more text than it did without these signals.

import type { Behaviour, Case, CaseSideResult, EvalSet, GraderSpec, Run } from "../types.js";
import { caseDimensions } from "./dimension-key.js";
import { looksLikeRefusal } from "./usage.js";

/** The case's graders as dimensions, made unique within the case (the same spec twice counts twice). */
export function dimensionsOf(set: EvalSet, c: Case, defaultGraders: GraderSpec[]): string[] {
  const own = c.graders && c.graders.length > 0;
  const keys = caseDimensions(own ? (c.graders as GraderSpec[]) : defaultGraders, {
    redact: own === true && set.visibility === "aggregate",
  });
  const seen = new Map<string, number>();
  return keys.map((k) => {
    const n = (seen.get(k) ?? 0) + 1;
    seen.set(k, n);
    return n === 1 ? k : `${k} (${n})`;
  });
}

/**
 * Per dimension, the graded runs that passed it and the grader's mean score. A graded run has one
 * grade per spec, in spec order (gradeRun); a run that errored has none and counts for no dimension.
 */
export function dimensionTally(
  runs: Run[],
  dimensions: number,
): Pick<CaseSideResult, "dim_passes" | "dim_scores"> {
  if (dimensions === 0) return {};
  const passes = new Array<number>(dimensions).fill(0);
  const scores = new Array<number>(dimensions).fill(0);
  let graded = 0;
  for (const run of runs) {
    if (run.error !== undefined || !run.grades || run.grades.length !== dimensions) continue;
    graded++;
    run.grades.forEach((g, i) => {
      if (g.pass) passes[i] = (passes[i] as number) + 1;
      scores[i] = (scores[i] as number) + g.score;
    });
  }
  if (graded === 0) return {};
  // Four decimals: exact enough for any table, and the report stays compact. Scores are 0..1 by
  // every grader's contract; the clamp keeps a stray one from making the report unreadable.
  const mean = (sum: number) =>
    graded > 0 ? Math.min(1, Math.max(0, Math.round((sum / graded) * 1e4) / 1e4)) : 0;
  return { dim_passes: passes, dim_scores: scores.map(mean) };
}

/** Behaviour sums over the runs that produced an output; undefined when none did. */
export function behaviourOf(runs: Run[]): Behaviour | undefined {
  const b: Behaviour = { outputs: 0, chars: 0, refusals: 0, tool_calls: 0, timed: 0, latency_ms: 0 };
  let latency = 0;
  for (const run of runs) {
    if (run.output === undefined) continue;
    b.outputs++;
    b.chars += run.output.length;
    if (looksLikeRefusal(run.output, run.refusal)) b.refusals++;
    b.tool_calls += run.toolCalls?.length ?? 0;
    // A cached answer took no time to come back, so it says nothing about the model's latency.
    if (!run.cached && run.latencyMs !== undefined) {
      b.timed++;
      latency += run.latencyMs;
    }
  }
  b.latency_ms = Math.round(latency);
  return b.outputs > 0 ? b : undefined;
}
