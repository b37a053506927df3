// A case whose texts were put aside while the run went on (report/park.ts): the keys stay, with
// no value, so the case keeps its shape and key order; these two marks say where the texts are
// and how the writer has cut the case since.

import type { CaseTextLimits } from "../report-limits.js";
import type { CaseResult } from "../types.js";

/** The texts a case may have put aside: those that are read in the report file only. */
export const PARKED_KEYS = ["base_output", "head_output", "base_reason", "head_reason"] as const;
export type ParkedKey = (typeof PARKED_KEYS)[number];

/** The number of the case's texts in their store. */
export const PARKED = Symbol("eval-gate.parked");
/** Limits a cut case was cut to beyond those its texts were put aside at (the writer's later steps). */
export const PARKED_CUT = Symbol("eval-gate.parked-cut");

export type ParkedCase = CaseResult & { [PARKED]?: number; [PARKED_CUT]?: CaseTextLimits[] };

export function parkedId(c: CaseResult): number | undefined {
  return (c as ParkedCase)[PARKED];
}
