import * as z from "zod";
import { UserError } from "../errors.js";
import { fill } from "../text/template.js";
import { clip, formatScore, GraderError, passAt, quote, specBase } from "./common.js";
import type { GraderDefinition } from "./types.js";

const DEFAULT_THRESHOLD = 0.8;
const FIELD = /^[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)*$/;

export const similaritySchema = z
  .strictObject({
    type: z.literal("similarity"),
    ...specBase,
    value: z.string().min(1).optional(),
    field: z
      .string()
      .refine((f) => FIELD.test(f), {
        message: "must be a dotted path into `expected`, such as `answer` or `answer.text`",
        params: { safe: true, fix: "Name a key of the case's `expected` object, e.g. `field: answer`." },
      })
      .optional(),
    model: z.string().min(1).optional(),
  })
  .superRefine((spec, ctx) => {
    if (spec.value !== undefined && spec.field !== undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["field"],
        message: "`field` picks a part of `expected` and cannot be combined with `value`",
        params: {
          safe: true,
          fix: 'Keep one: `field: answer` or `value: "{{expected.answer}}"`.',
        },
      });
    }
  });

export type SimilaritySpec = z.infer<typeof similaritySchema>;

/**
 * Cosine similarity of the output's embedding to the reference's (default `{{expected}}`, or the
 * `field` of an object `expected`). For answers whose wording legitimately varies; the default
 * threshold is 0.8, which suits normalized embedding models for "says the same thing".
 */
export const similarity: GraderDefinition<SimilaritySpec> = {
  type: "similarity",
  summary: "the output's embedding is close (cosine) to a reference's, default {{expected}}",
  schema: similaritySchema,
  async grade(spec, input, ctx) {
    const template = spec.value ?? (spec.field !== undefined ? `{{expected.${spec.field}}}` : "{{expected}}");
    const field = spec.field !== undefined ? "similarity.field" : "similarity.value";
    const reference = fill(template, input.case, { field });
    if (reference.trim() === "") {
      throw new UserError(`similarity.value is empty once filled in case "${input.case.id}"`, {
        line: input.case.line,
        field,
        fix: "Give the case a non-empty expected value, or the grader a literal value.",
      });
    }
    const threshold = spec.threshold ?? DEFAULT_THRESHOLD;
    // Embedding APIs reject an empty input; an empty answer is simply not similar to anything.
    if (input.output.trim() === "") {
      return {
        grader: "similarity",
        pass: passAt(spec, 0, DEFAULT_THRESHOLD),
        score: 0,
        reason: clip(`Output is empty; expected something similar to ${quote(reference)}`),
      };
    }
    const model = spec.model ?? ctx.defaults.embeddingModel;
    const vectors = await ctx.embed([input.output, reference], model);
    const [a, b] = vectors;
    if (vectors.length !== 2 || !a || !b || a.length === 0 || a.length !== b.length) {
      throw new GraderError(
        "similarity",
        `the embedding model ${quote(model, 60)} returned ${vectors.length} vectors of lengths ${vectors.map((v) => v.length).join(", ")}; expected two of equal length`,
      );
    }
    const score = Math.min(1, Math.max(0, cosine(a, b)));
    return {
      grader: "similarity",
      pass: passAt(spec, score, DEFAULT_THRESHOLD),
      score,
      reason: clip(
        `Similarity ${formatScore(score, threshold)} to ${quote(reference, 60)} (threshold ${formatScore(threshold)})`,
      ),
    };
  },
};

/** Cosine of two vectors; 0 when either is all zeros (no direction to compare). */
export function cosine(a: readonly number[], b: readonly number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  if (na === 0 || nb === 0) return 0;
  return dot / Math.sqrt(na * nb);
}
