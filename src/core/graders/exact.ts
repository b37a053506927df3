import * as z from "zod";
import { fill } from "../text/template.js";
import { clip, passAt, quote, specBase } from "./common.js";
import type { GraderDefinition } from "./types.js";

export const exactSchema = z.strictObject({
  type: z.literal("exact"),
  ...specBase,
  value: z.string().optional(),
  trim: z.boolean().optional(),
  ignore_case: z.boolean().optional(),
});

export type ExactSpec = z.infer<typeof exactSchema>;

export const exact: GraderDefinition<ExactSpec> = {
  type: "exact",
  summary: "the output equals a value (default {{expected}}), trimmed, optionally ignoring case",
  schema: exactSchema,
  grade(spec, input) {
    const expected = fill(spec.value ?? "{{expected}}", input.case, { field: "exact.value" });
    const normalize = (s: string) => {
      const t = (spec.trim ?? true) ? s.trim() : s;
      return spec.ignore_case ? t.toLowerCase() : t;
    };
    const score = normalize(input.output) === normalize(expected) ? 1 : 0;
    return {
      grader: "exact",
      pass: passAt(spec, score),
      score,
      reason: clip(
        score === 1
          ? `Output equals expected ${quote(expected)}`
          : `Expected output to equal ${quote(expected)}, got ${quote(input.output)}`,
      ),
    };
  },
};
