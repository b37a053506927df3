import { UserError } from "../errors.js";

/**
 * What graders use of a compiled pattern; a RegExp without the `g` or `y` flag is one. Each call
 * reads `text` from its start.
 */
export interface PatternMatcher {
  /** The first match (its text and offset), or null. */
  exec(text: string): { 0: string; index: number } | null;
  test(text: string): boolean;
}

/** The patterns of the config (regex grader, JSON Schema `pattern`), compiled and matched. */
export interface Patterns {
  /** Compiles a pattern; throws a SyntaxError for one that does not compile, as `new RegExp` does. */
  compile(pattern: string, flags?: string): PatternMatcher;
  /**
   * Calls `run`, which must be synchronous, so that the matches it makes share one time limit
   * instead of one each: ajv may test a pattern against every key of an object.
   */
  shareLimit<T>(run: () => T): T;
}

/** Unbounded: for runs wired without the adapters (unit tests), which give real runs a bounded engine. */
export const plainPatterns: Patterns = {
  compile: (pattern, flags) => new RegExp(pattern, flags),
  shareLimit: (run) => run(),
};

/** A match stopped at its time limit: the pattern backtracks catastrophically on this text. */
export class PatternTimeout extends Error {
  override readonly name = "PatternTimeout";
  constructor(
    readonly pattern: string,
    readonly flags: string,
    readonly limitMs: number,
  ) {
    super(`/${pattern}/${flags} timed out after ${limitMs} ms and was stopped`);
  }
}

const FIX =
  "Rewrite the pattern so that no part of it can match the same text in two ways, e.g. `(a+)+` as `a+` " +
  "and `(a|a)*` as `a*`.";

/**
 * The error a grader throws for a match that timed out (the run is then an error, not a fail):
 * what timed out on which case, the field, and how to fix the pattern.
 */
export function patternTimedOut(
  timeout: PatternTimeout,
  where: { field: string; caseId: string; line?: number; what?: string },
): UserError {
  const what = where.what ?? "";
  return new UserError(
    `${what}/${timeout.pattern}/${timeout.flags} timed out after ${timeout.limitMs} ms on the output of case ` +
      `"${where.caseId}" and was stopped (catastrophic backtracking)`,
    {
      ...(where.line !== undefined ? { line: where.line } : {}),
      field: where.field,
      fix: FIX,
      cause: timeout,
    },
  );
}
