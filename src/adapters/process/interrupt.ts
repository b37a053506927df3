import { constants } from "node:os";

/**
 * The Actions runner cancels a step by sending SIGINT to its process, SIGTERM 7.5 s later, and
 * killing it 2.5 s after that; a person presses Ctrl-C. Either way the run should stop asking,
 * keep the answers it has and end, well inside the first 7.5 s.
 */
export const GRACE_MS = 5_000;

export interface Interrupt {
  /** Aborts (reason `cancelled (SIGINT)`) at the first SIGINT or SIGTERM. */
  readonly signal: AbortSignal;
  /** The signal that came, once one did. */
  readonly received: NodeJS.Signals | undefined;
  /** 128 + the signal's number, as a shell reports a process a signal ended: 130 for SIGINT. */
  readonly exitCode: number;
  /** Stops listening, so a later signal ends the process as usual; an armed deadline stays. */
  dispose(): void;
}

const SIGNALS = ["SIGINT", "SIGTERM"] as const;

/**
 * Turns the first SIGINT or SIGTERM into an abort the run can wind down on, and arms a deadline:
 * if winding down takes longer than `graceMs` (a grader script that hangs, a slow disk), or a
 * second signal comes, the process exits at once. What is already on disk stays there either way.
 */
export function listenForInterrupt(
  options: {
    graceMs?: number;
    /** Where signals come from and how the process ends: the process itself, but for tests. */
    signals?: Pick<NodeJS.Process, "on" | "off">;
    exit?: (code: number) => void;
  } = {},
): Interrupt {
  const controller = new AbortController();
  const source = options.signals ?? process;
  const exit = options.exit ?? ((code: number) => process.exit(code));
  let received: NodeJS.Signals | undefined;
  const codeOf = (s: NodeJS.Signals) => 128 + (constants.signals[s] ?? 0);
  const onSignal = (s: NodeJS.Signals) => {
    if (received) return exit(codeOf(s));
    received = s;
    // Unref'd: a run that winds down in time ends as usual, without waiting for the deadline.
    setTimeout(() => exit(codeOf(s)), options.graceMs ?? GRACE_MS).unref();
    controller.abort(`cancelled (${s})`);
  };
  for (const s of SIGNALS) source.on(s, onSignal);
  return {
    signal: controller.signal,
    get received() {
      return received;
    },
    get exitCode() {
      return received ? codeOf(received) : 0;
    },
    dispose() {
      for (const s of SIGNALS) source.off(s, onSignal);
    },
  };
}
