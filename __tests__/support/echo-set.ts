// A set of `n` cases in one slice whose expected answer is the question itself: what the echo
// servers of the runner and limiter tests answer.
import type { EvalSet } from "../../src/core/types.js";

export function echoSet(n: number): EvalSet {
  return {
    name: "anchor",
    path: "a.jsonl",
    visibility: "full",
    cases: Array.from({ length: n }, (_, i) => ({
      id: `c${i}`,
      slice: "s",
      input: `q${i}`,
      expected: `q${i}`,
      vars: {},
      line: i + 1,
    })),
  };
}
