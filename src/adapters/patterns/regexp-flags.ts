// V8 has a second regexp engine that runs in time linear in the text. With the flags set here, a
// regexp that backtracks too much (50,000 steps by default) is finished by that engine instead of
// running for hours, for the patterns it can run; V8 reads the flags when it compiles a regexp, so
// they are set at start-up, before any pattern is compiled. An action cannot pass node flags on the
// command line, hence v8.setFlagsFromString.

import { setFlagsFromString } from "node:v8";

let set = false;

/** Idempotent; called first by both entry points, and again by the pattern engine for embedders. */
export function boundBacktracking(): void {
  if (set) return;
  set = true;
  setFlagsFromString("--enable-experimental-regexp-engine-on-excessive-backtracks");
  // Only so that the `l` flag can ask V8 whether it can run a pattern in linear time (below); the
  // regex grader refuses `l` in configs.
  setFlagsFromString("--enable-experimental-regexp-engine");
}

/**
 * Whether V8 runs this pattern with the linear-time fallback: the same test (V8's own) decides
 * whether `l` compiles and whether a backtracking pattern may fall back. Backreferences,
 * lookarounds and, on Node 20, the i, u, v and d flags are out.
 */
export function runsInLinearTime(pattern: string, flags: string): boolean {
  if (!fallbackHolds()) return false;
  try {
    new RegExp(pattern, `${flags}l`);
    return true;
  } catch {
    return false;
  }
}

let holds: boolean | undefined;

/**
 * Measured once rather than assumed, so that a Node whose V8 ignores the flags sends every pattern
 * to the time-limited worker instead of running it unbounded: about 2^22 steps by backtracking,
 * which V8 interprets on a first run (0.4 s here), and 1-2 ms once the fallback takes over.
 */
export function fallbackHolds(): boolean {
  if (holds === undefined) {
    boundBacktracking();
    const started = performance.now();
    /^(a+)+$/.exec(`${"a".repeat(22)}!`);
    holds = performance.now() - started < 50;
  }
  return holds;
}
