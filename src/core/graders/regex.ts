import * as z from "zod";
import { UserError } from "../errors.js";
import { fill, withoutPlaceholders } from "../text/template.js";
import { clip, escapeRegExp, issueIfThrows, passAt, quote, specBase } from "./common.js";
import { type PatternMatcher, type Patterns, PatternTimeout, patternTimedOut } from "./patterns.js";
import type { GraderDefinition } from "./types.js";

export const regexSchema = z
  .strictObject({
    type: z.literal("regex"),
    ...specBase,
    pattern: z.string().min(1),
    flags: z.string().optional(),
    negate: z.boolean().optional(),
  })
  .superRefine((spec, ctx) => {
    // Only the standard flags: `l` (V8's linear engine) is valid only while eval-gate has enabled it.
    if (spec.flags !== undefined && /[^dgimsuvy]/.test(spec.flags)) {
      ctx.addIssue({ code: "custom", path: ["pattern"], message: `Invalid flags "${spec.flags}"` });
      return;
    }
    // Filled values are escaped into literals, so the pattern with its placeholders removed
    // compiles exactly when every filled pattern does.
    issueIfThrows(ctx, ["pattern"], () => new RegExp(withoutPlaceholders(spec.pattern), spec.flags));
  });

export type RegexSpec = z.infer<typeof regexSchema>;

export const regex: GraderDefinition<RegexSpec> = {
  type: "regex",
  summary: "the output matches a regular expression (placeholders filled as literal text)",
  schema: regexSchema,
  grade(spec, input, ctx) {
    const pattern = fill(spec.pattern, input.case, { escape: escapeRegExp, field: "regex.pattern" });
    const re = compile(ctx.patterns, pattern, spec.flags, input.case.id);
    let match: ReturnType<PatternMatcher["exec"]>;
    try {
      match = re.exec(input.output);
    } catch (e) {
      if (!(e instanceof PatternTimeout)) throw e;
      throw patternTimedOut(e, { field: "regex.pattern", caseId: input.case.id, line: input.case.line });
    }
    const negate = spec.negate ?? false;
    const score = (match !== null) !== negate ? 1 : 0;
    const shown = `/${pattern}/${spec.flags ?? ""}`;
    const at = match ? ` at ${quote(match[0], 60)}` : "";
    let reason: string;
    if (negate)
      reason = match
        ? `Expected output not to match ${shown}; matched${at}`
        : `Output did not match ${shown}`;
    else reason = match ? `Output matched ${shown}${at}` : `Expected output to match ${shown}`;
    return { grader: "regex", pass: passAt(spec, score), score, reason: clip(reason) };
  },
};

// The schema catches bad patterns at load time; this covers specs that reach a grader unparsed.
function compile(
  patterns: Patterns,
  pattern: string,
  flags: string | undefined,
  caseId: string,
): PatternMatcher {
  try {
    return patterns.compile(pattern, flags);
  } catch (e) {
    throw new UserError(`regex.pattern does not compile in case "${caseId}": ${(e as Error).message}`, {
      field: "regex.pattern",
      fix: "Fix the pattern (escape literal characters with a backslash).",
      cause: e,
    });
  }
}
