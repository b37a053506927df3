import * as z from "zod";
import { UserError } from "../errors.js";
import { fill } from "../text/template.js";
import { clip, passAt, quote, specBase } from "./common.js";
import type { GraderDefinition } from "./types.js";

export const containsSchema = z.strictObject({
  type: z.literal("contains"),
  ...specBase,
  value: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
  all: z.boolean().optional(),
  ignore_case: z.boolean().optional(),
  negate: z.boolean().optional(),
});

export type ContainsSpec = z.infer<typeof containsSchema>;

/**
 * `negate` inverts the whole check: with `all: false` it means "contains none", with `all: true`
 * "does not contain every one". Only a plain "contains all" has a partial score (the share found),
 * so a threshold below 1 can ask for "most of these words".
 */
export const contains: GraderDefinition<ContainsSpec> = {
  type: "contains",
  summary: "the output contains a value, or all/any of a list (case-insensitive by default)",
  schema: containsSchema,
  grade(spec, input) {
    const needles = (Array.isArray(spec.value) ? spec.value : [spec.value]).map((v) => {
      const needle = fill(v, input.case, { field: "contains.value" });
      if (needle === "") {
        throw new UserError(`contains.value is empty once filled in case "${input.case.id}"`, {
          line: input.case.line,
          field: "contains.value",
          fix: "Give the case a non-empty expected value or var, or use a literal value.",
        });
      }
      return needle;
    });
    const fold = (s: string) => ((spec.ignore_case ?? true) ? s.toLowerCase() : s);
    const haystack = fold(input.output);
    const found = needles.filter((n) => haystack.includes(fold(n)));
    const missing = needles.filter((n) => !found.includes(n));
    const all = spec.all ?? true;
    const negate = spec.negate ?? false;

    const held = all ? missing.length === 0 : found.length > 0;
    const score = !negate && all ? found.length / needles.length : held !== negate ? 1 : 0;
    const pass = passAt(spec, score);
    return {
      grader: "contains",
      pass,
      score,
      reason: clip(reason({ needles, found, missing, all, negate, pass })),
    };
  },
};

interface Outcome {
  needles: string[];
  found: string[];
  missing: string[];
  all: boolean;
  negate: boolean;
  pass: boolean;
}

function reason({ needles, found, missing, all, negate, pass }: Outcome): string {
  if (needles.length === 1) {
    const q = quote(needles[0] ?? "");
    if (negate) return pass ? `Output does not contain ${q}` : `Expected output not to contain ${q}`;
    return pass ? `Output contains ${q}` : `Expected output to contain ${q}`;
  }
  const list = quoteList(needles);
  if (!all && !negate) {
    return pass
      ? `Output contains ${quoteList(found)} (any of ${list})`
      : `Expected output to contain any of ${list}`;
  }
  if (!all && negate) {
    return pass
      ? `Output contains none of ${list}`
      : `Expected output to contain none of ${list}; found ${quoteList(found)}`;
  }
  if (negate) {
    return pass
      ? `Output does not contain all of ${list}; missing ${quoteList(missing)}`
      : `Expected output not to contain all of ${list}`;
  }
  return missing.length === 0
    ? `Output contains all of ${list}`
    : `${pass ? "Output contains enough of" : "Expected output to contain all of"} ${list}; missing ${quoteList(missing)}`;
}

function quoteList(values: string[]): string {
  const shown = values.slice(0, 5).map((v) => quote(v, 40));
  return shown.join(", ") + (values.length > 5 ? `, and ${values.length - 5} more` : "");
}
