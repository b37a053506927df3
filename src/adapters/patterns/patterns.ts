import type { PatternMatcher, Patterns } from "../../core/graders/patterns.js";
import { PatternWorker } from "./pattern-worker.js";
import { boundBacktracking, runsInLinearTime } from "./regexp-flags.js";

export interface PatternEngine extends Patterns {
  /** Terminates the worker, if one was started. */
  close(): Promise<void>;
}

/** The limit of a match that needs the worker, or of all of them in one `shareLimit` (one grade). */
export const DEFAULT_PATTERN_LIMIT_MS = 1000;

/** Verdicts are per pattern text, and filled placeholders make one per case: keep them bounded. */
const MAX_VERDICTS = 10_000;

/**
 * Compiles the config's patterns so that none can hold a run for long. A pattern V8 can run in
 * linear time is a plain RegExp, run in this thread: V8 finishes it with its linear engine if it
 * backtracks too much, so it costs nothing extra. Any other pattern (a backreference, a
 * lookaround, a flag the linear engine lacks) runs in a worker with a time limit.
 */
export function createPatternEngine(options: { limitMs?: number } = {}): PatternEngine {
  boundBacktracking();
  const worker = new PatternWorker(options.limitMs ?? DEFAULT_PATTERN_LIMIT_MS);
  const linear = new Map<string, boolean>();

  const compile = (pattern: string, flags = ""): PatternMatcher => {
    // Compiled here first, so a bad pattern throws the engine's SyntaxError in this thread.
    const re = new RegExp(pattern, flags);
    const key = `${flags}/${pattern}`;
    let fast = linear.get(key);
    if (fast === undefined) {
      fast = runsInLinearTime(pattern, flags);
      if (linear.size >= MAX_VERDICTS) linear.clear();
      linear.set(key, fast);
    }
    if (fast) return re.global || re.sticky ? fromStart(re) : re;
    return {
      exec(text) {
        const m = worker.exec(pattern, flags, text);
        return m === null ? null : { 0: m[1], index: m[0] };
      },
      test: (text) => worker.exec(pattern, flags, text) !== null,
    };
  };

  return {
    compile,
    shareLimit: (run) => worker.shareLimit(run),
    close: () => worker.close(),
  };
}

/** `g` and `y` make a RegExp resume where its last match ended; a matcher reads each text from its start. */
function fromStart(re: RegExp): PatternMatcher {
  return {
    exec(text) {
      re.lastIndex = 0;
      return re.exec(text);
    },
    test(text) {
      re.lastIndex = 0;
      return re.test(text);
    },
  };
}
