import type { SetCase } from "../config/sets.js";
import type { Case, CaseResult, CaseSideResult, EvalSet, GraderSpec, Run, Side } from "../types.js";
import { behaviourOf, dimensionsOf, dimensionTally } from "./case-signals.js";

export interface ReduceOptions {
  /** The config's graders, for cases that name none: they name those cases' dimensions. */
  defaultGraders?: GraderSpec[];
}

/**
 * Reduces repeated runs per case and side before any slice statistic (runs that errored are kept
 * apart: they are neither passes nor fails). `runs` counts graded runs; `errors` the others.
 */
export function reduceCases(
  sets: EvalSet[],
  runs: Run[],
  sides: Side[],
  options: ReduceOptions = {},
): CaseResult[] {
  const byCase = new Map<string, Run[]>();
  for (const run of runs) {
    const key = `${run.set}\u0000${run.caseId}`;
    const list = byCase.get(key);
    if (list) list.push(run);
    else byCase.set(key, [run]);
  }
  const results: CaseResult[] = [];
  for (const set of sets) {
    for (const c of set.cases) {
      results.push(reduceCase(set, c, byCase.get(`${set.name}\u0000${c.id}`) ?? [], sides, options));
    }
  }
  return results;
}

/** One case from all of its runs (both sides, every sample): what reduceCases makes of it. */
export function reduceCase(
  set: EvalSet,
  c: Case,
  runs: Run[],
  sides: Side[],
  options: ReduceOptions = {},
): CaseResult {
  const sideRuns = (side: Side) => runs.filter((r) => r.side === side).sort((a, b) => a.sample - b.sample);
  const head = sideRuns("head");
  const base = sides.includes("base") ? sideRuns("base") : null;
  const firstHead = head.find((r) => r.error === undefined);
  const firstBase = base?.find((r) => r.error === undefined);
  const dimensions = dimensionsOf(set, c, options.defaultGraders ?? []);
  const side = (list: Run[]) => tally(list, dimensions.length);
  return {
    id: c.id,
    set: set.name,
    slice: c.slice,
    line: c.line,
    file: set.path,
    base: base ? side(base) : null,
    head: side(head),
    ...(firstBase?.output !== undefined ? { base_output: shown(firstBase) } : {}),
    ...(firstHead?.output !== undefined ? { head_output: shown(firstHead) } : {}),
    ...(firstBase ? { base_reason: failingReason(firstBase) } : {}),
    ...(firstHead ? { head_reason: failingReason(firstHead) } : {}),
    ...(c.expected !== undefined ? { expected: c.expected } : {}),
    input: c.input ?? [...(c.messages ?? [])].reverse().find((m) => m.role === "user")?.content ?? "",
    ...variantOf(c),
    ...(c.cluster !== undefined ? { cluster: c.cluster } : {}),
    ...(set.added ? { new: true } : {}),
    ...(dimensions.length > 0 ? { dimensions } : {}),
  };
}

function tally(runs: Run[], dimensions: number): CaseSideResult {
  let passes = 0;
  let errors = 0;
  for (const r of runs) {
    if (r.error !== undefined) errors++;
    else if (r.pass) passes++;
  }
  const behaviour = behaviourOf(runs);
  return {
    runs: runs.length - errors,
    passes,
    errors,
    ...dimensionTally(runs, dimensions),
    ...(behaviour ? { behaviour } : {}),
  };
}

/** The reason of the first grader that failed, or of the last one when all passed. */
function failingReason(run: Run): string {
  const grades = run.grades ?? [];
  return (grades.find((g) => !g.pass) ?? grades[grades.length - 1])?.reason ?? "";
}

/** The output as people should see it: with tools, the whole trajectory, one step a line. */
function shown(run: Run): string {
  if (!run.trajectory) return run.output ?? "";
  const lines: string[] = [];
  for (const m of run.trajectory) {
    if (m.role === "assistant") {
      for (const call of m.tool_calls ?? [])
        lines.push(`→ ${call.function.name}(${call.function.arguments})`);
      if (m.content) lines.push(m.tool_calls ? `  ${m.content}` : `final: ${m.content}`);
    } else if (m.role === "tool") {
      lines.push(`  ⇐ ${m.content ?? ""}`);
    }
  }
  return lines.join("\n");
}

/** A perturbed case (from `eval-gate perturb`) names its original, for flip rates. */
function variantOf(c: Case): { original?: string; perturbation?: string } {
  const m = (c as SetCase).metadata;
  return typeof m?.original === "string" && typeof m?.perturbation === "string"
    ? { original: m.original, perturbation: m.perturbation }
    : {};
}

export function caseScore(r: CaseSideResult): number | null {
  return r.runs > 0 ? r.passes / r.runs : null;
}
