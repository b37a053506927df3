import type * as z from "zod";
import { UserError } from "../errors.js";
import type { GraderDefinition } from "../graders/types.js";
import { suggest } from "../text/suggest.js";
import type { GraderSpec } from "../types.js";
import { describeIssues, formatPath, type Hint, knownKeys, problemsToErrors } from "./zod-issues.js";

/** Fixes for what a grader's own schema rejects; its refinements quote the engine's words. */
function graderHint(type: string, schema: z.ZodType, dialect: "yaml" | "json"): Hint {
  const example = (key: string, value: string) =>
    dialect === "json" ? `"${key}": ${value}` : `${key}: ${value}`;
  return ({ pattern, issue, missing }) => {
    if (missing) return undefined; // "Add `pattern`." says it best
    if (issue.code === "custom" && pattern.endsWith("].pattern")) {
      if (/flags/i.test(issue.message)) {
        return {
          message: "the regex flags are not valid",
          fix: "Use flags such as `i`, `m`, `s` or `u`, each once.",
        };
      }
      // "Invalid regular expression: /(/: Unterminated group" -> the reason, without the pattern.
      const reason = /: ([^:]+)$/.exec(issue.message)?.[1] ?? "it does not compile";
      return {
        message: `the pattern is not a valid regular expression (${reason.trim()})`,
        fix: "Fix the pattern: escape characters meant literally, such as ( ) [ ] . * + ?, with a backslash.",
      };
    }
    if (issue.code === "custom" && pattern.endsWith("].schema")) {
      return {
        fix: "Fix the JSON Schema (https://json-schema.org), e.g. `{ type: object, required: [action] }`.",
      };
    }
    if (pattern.endsWith("].weight"))
      return { fix: `Use a number greater than 0, e.g. \`${example("weight", "2")}\`.` };
    if (pattern.endsWith("].threshold")) {
      return { fix: `Use a number between 0 and 1, e.g. \`${example("threshold", "0.8")}\`.` };
    }
    return { fix: `A \`${type}\` grader takes: ${knownKeys(schema, []).join(", ")}.` };
  };
}

/**
 * Checks grader specs against the registry: the type must exist, and the rest must fit that
 * grader's schema. Returns the problems instead of throwing, so callers can gather them per set.
 */
export function validateGraders(
  specs: GraderSpec[],
  registry: Record<string, GraderDefinition>,
  where: {
    file: string;
    line?: number;
    field: string;
    /** The line of a path inside the list (`[0, "pattern"]`), when the file has one per field. */
    lineOf?: (path: readonly PropertyKey[]) => number | undefined;
    /** Quote no value of the specs (the cases of a holdout set): name the field and the line only. */
    redact?: boolean;
  },
): UserError[] {
  const known = Object.keys(registry).sort();
  const dialect = /\.jsonl?$/i.test(where.file) ? "json" : "yaml";
  const errors: UserError[] = [];
  specs.forEach((spec, i) => {
    const base = `${where.field}[${i}]`;
    const type: unknown = (spec as { type?: unknown } | null)?.type;
    const def = typeof type === "string" && Object.hasOwn(registry, type) ? registry[type] : undefined;
    if (!def) {
      const guess = typeof type === "string" ? suggest(type, known) : undefined;
      const message =
        typeof type === "string"
          ? `unknown grader type \`${type}\`${guess ? `; did you mean \`${guess}\`?` : ""}`
          : "a grader needs a `type`";
      errors.push(
        new UserError(message, {
          file: where.file,
          line: where.lineOf?.([i, "type"]) ?? where.line,
          field: formatPath(["type"], base),
          fix: `Known types: ${known.join(", ")}.`,
        }),
      );
      return;
    }
    const result = def.schema.safeParse(spec, { reportInput: true, jitless: true });
    if (result.success) return;
    const problems = describeIssues(result.error.issues, {
      schema: def.schema,
      data: spec,
      dialect,
      base,
      hint: graderHint(def.type, def.schema, dialect),
      redact: where.redact ?? false,
    });
    errors.push(
      ...problemsToErrors(problems, where.file, (p) => where.lineOf?.([i, ...p.path]) ?? where.line),
    );
  });
  return errors;
}
