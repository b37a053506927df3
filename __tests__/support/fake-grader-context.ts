import { plainPatterns } from "../../src/core/graders/patterns.js";
import type { GraderContext } from "../../src/core/graders/types.js";

/**
 * A GraderContext with no side effects: every member refuses unless a test supplies it, and patterns
 * compile as plain (unbounded) RegExps. For graders that ignore the context (exact, contains, ...)
 * and tests that program one member.
 */
export function fakeGraderContext(overrides: Partial<GraderContext> = {}): GraderContext {
  const refuse = (what: string) => () => Promise.reject(new Error(`fake grader context: no ${what}`));
  return {
    embed: refuse("embed"),
    complete: refuse("complete"),
    readFile: refuse("readFile"),
    runScript: refuse("runScript"),
    patterns: plainPatterns,
    ...overrides,
    defaults: { embeddingModel: "text-embedding-3-small", judgeModel: null, ...overrides.defaults },
  };
}
