import type { z } from "zod";
import type { Case, Grade, GraderSpec, ToolCall } from "../types.js";

/** What a grader sees of one run. */
export interface GradeInput {
  case: Case;
  output: string;
  toolCalls?: ToolCall[];
}

/**
 * A grader type. `schema` validates a whole spec as written in YAML or JSONL (strict, including
 * `type`, `weight` and `threshold`); `grade` never throws for a wrong output, only for a
 * grader that cannot do its job (that run is then an error, not a fail).
 */
export interface GraderDefinition<S extends GraderSpec = GraderSpec> {
  type: string;
  /** One line for `--help` and error messages: what the grader checks. */
  summary: string;
  schema: z.ZodType;
  grade(spec: S, input: GradeInput): Grade | Promise<Grade>;
}
