// The reader's shapes of the per-dimension and behaviour-drift sections of a report.
import * as z from "zod";
import { COUNT_LIMITS as N, TEXT_LIMITS as T } from "../report-limits.js";

const text = (max: number) => z.string().max(max);
const score = z.number().min(0).max(1);
const signed = z.number().min(-1).max(1);
const p = z.number().min(0).max(1).nullable();
const count = z.int().min(0);

export const dimensions = z.strictObject({
  review_drop: score,
  rows: z
    .array(
      z.strictObject({
        set: text(T.name),
        slice: text(T.name),
        dimension: text(T.dimension),
        n: count,
        base_score: score.nullable(),
        head_score: score,
        delta: signed.nullable(),
        p_value: p,
        p_adjusted: p,
        p_improved: p,
        p_improved_adjusted: p,
        status: z.enum(["dropped", "lower", "improved", "unchanged", "no_baseline"]),
        undersampled: z.boolean(),
      }),
    )
    .max(N.dimensionRows),
});

const nonNegative = z.number().min(0);
export const drift = z.strictObject({
  mode: z.enum(["report", "fail"]),
  min_relative: nonNegative,
  min_points: score,
  min_absolute: z.strictObject({
    output_chars: nonNegative,
    latency_ms: nonNegative,
    tool_calls: nonNegative,
  }),
  rows: z
    .array(
      z.strictObject({
        set: text(T.name),
        slice: text(T.name),
        measure: z.enum(["output_chars", "refusal_rate", "latency_ms", "tool_calls"]),
        n: count,
        base: nonNegative,
        head: nonNegative,
        change: z.number().min(-1).nullable(),
        p_value: p,
        p_adjusted: p,
        changed: z.boolean(),
      }),
    )
    .max(N.driftRows),
});
