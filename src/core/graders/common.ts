import * as z from "zod";
import type { GraderSpec } from "../types.js";

/** The keys every grader spec accepts besides its own: how much it counts, and where it passes. */
export const specBase = {
  weight: z.number().positive().optional(),
  threshold: z.number().min(0).max(1).optional(),
};

/**
 * Whether a score passes the spec's threshold. Graders decide this themselves (rather than the run)
 * because the sensible default differs: 1 for a check, lower for a similarity or a judge's scale.
 */
export function passAt(spec: GraderSpec, score: number, defaultThreshold = 1): boolean {
  return score >= (spec.threshold ?? defaultThreshold);
}

/** A value quoted for a reason: one line, JSON-escaped, cut with an ellipsis past `max` characters. */
export function quote(value: string, max = 80): string {
  return JSON.stringify(value.length > max ? `${value.slice(0, max - 1)}…` : value);
}

const MAX_REASON = 300;

/** Reasons land in PR comments and tables; a runaway one (a long schema error) must not flood them. */
export function clip(reason: string): string {
  return reason.length > MAX_REASON ? `${reason.slice(0, MAX_REASON - 1)}…` : reason;
}

/** Regex-escapes text filled into a pattern; `-` is left alone because `u`-mode rejects `\-` outside a class. */
export function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/**
 * A grader that could not do its job (the judge answered garbage, a script threw or timed out, an
 * embedding request kept failing). Never a fail: the runner records the run as an error.
 */
export class GraderError extends Error {
  override readonly name = "GraderError";
  constructor(
    readonly grader: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${grader}: ${message}`, options);
  }
}

/**
 * A score for a reason, with enough digits that it never reads as equal to a threshold it missed
 * (0.7996 against 0.80 shows as "0.7996", not "0.80").
 */
export function formatScore(score: number, threshold?: number): string {
  for (let digits = 2; digits < 6; digits++) {
    const shown = score.toFixed(digits);
    if (threshold === undefined || score === threshold || shown !== threshold.toFixed(digits)) return shown;
  }
  return score.toFixed(6);
}

/**
 * For a schema's refinement: runs `compile` (a pattern, a JSON Schema), and what it throws becomes
 * a custom issue at `path`, in the engine's own words (the config's hints reword it).
 */
export function issueIfThrows(ctx: z.RefinementCtx, path: PropertyKey[], compile: () => unknown): void {
  try {
    compile();
  } catch (e) {
    ctx.addIssue({ code: "custom", path, message: (e as Error).message });
  }
}
