import type * as z from "zod";
import type { Case, ChatMessage, Grade, GraderSpec, ModelResponse, ToolCall } from "../types.js";
import type { Patterns } from "./patterns.js";

/** What a grader sees of one run. */
export interface GradeInput {
  case: Case;
  output: string;
  toolCalls?: ToolCall[];
  /**
   * Every message after the case's own turns, in order: assistant turns (with their tool calls) and
   * the tool results the runner answered with. Absent for a single-turn run without tools.
   */
  trajectory?: ChatMessage[];
}

/**
 * The side effects a grader may need, passed in so graders stay pure and testable. Each member
 * throws a `UserError` with a fix when the config does not provide what it needs.
 */
export interface GraderContext {
  /** Embeddings of `texts` from the head side's endpoint (cached like responses). */
  embed(texts: string[], model: string): Promise<number[][]>;
  /** One chat completion for a judge, from the head side's endpoint (cached like responses). */
  complete(request: {
    model: string;
    messages: ChatMessage[];
    params?: Record<string, unknown>;
  }): Promise<ModelResponse>;
  /** A repository file's text (rubric files), relative to the config's folder; null when absent. */
  readFile(path: string): Promise<string | null>;
  /** Runs an exported function of a repository JS module with a time limit (script graders). */
  runScript(path: string, exportName: string, args: unknown, timeoutMs: number): Promise<unknown>;
  /**
   * The config's patterns, compiled so that no match can hold the run for long: one past its time
   * limit throws `PatternTimeout` instead of freezing the event loop. Synchronous, because ajv
   * calls patterns synchronously.
   */
  patterns: Patterns;
  /** Config defaults: `embedding_model`, and the `judge` block's model. */
  defaults: { embeddingModel: string; judgeModel: string | null };
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
  grade(spec: S, input: GradeInput, ctx: GraderContext): Grade | Promise<Grade>;
}
