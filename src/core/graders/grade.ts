import { UserError } from "../errors.js";
import type { Grade, GraderSpec } from "../types.js";
import { graderRegistry } from "./index.js";
import type { GradeInput, GraderContext, GraderDefinition } from "./types.js";

export interface RunGrade {
  /** Every grader passed. */
  pass: boolean;
  /** The weighted mean of the grades' scores (weight defaults to 1). */
  score: number;
  grades: Grade[];
}

/**
 * Grades one run with every spec, in order. A grader that throws is not a fail: the error
 * propagates so the runner records the run as an error. Each grader decides its own `pass`
 * (score against its threshold), since the default threshold is the grader's to know. `ctx` carries
 * the side effects some graders need (embeddings, a judge model, repository files and scripts).
 */
export async function gradeRun(
  specs: GraderSpec[],
  input: GradeInput,
  ctx: GraderContext,
  registry: Record<string, GraderDefinition> = graderRegistry,
): Promise<RunGrade> {
  if (specs.length === 0) {
    // Passing with nothing checked would look like a real pass in every report.
    throw new UserError(`Case "${input.case.id}" has no graders`, {
      line: input.case.line,
      field: "graders",
      fix: "Add `graders` to the config (the defaults) or to the case.",
    });
  }
  const grades: Grade[] = [];
  let weighted = 0;
  let weights = 0;
  for (const spec of specs) {
    const definition = Object.hasOwn(registry, spec.type) ? registry[spec.type] : undefined;
    if (!definition) {
      throw new UserError(`Unknown grader type "${spec.type}" in case "${input.case.id}"`, {
        line: input.case.line,
        field: "graders",
        fix: `Use one of: ${Object.keys(registry).join(", ")}.`,
      });
    }
    const grade = await definition.grade(spec, input, ctx);
    const weight = spec.weight ?? 1;
    grades.push(grade);
    weighted += weight * grade.score;
    weights += weight;
  }
  return { pass: grades.every((g) => g.pass), score: weighted / weights, grades };
}
