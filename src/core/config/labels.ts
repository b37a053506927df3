// Which cases still wait for a person's label (issue 14, "no silent mis-grade"). `sample` and
// `rotate` write cases with `"expected": null` and `metadata.needs_label: true`; graded as they are,
// the default grader compares the output with the text "null", fails them on both sides and pulls
// their slices down without a word. The one rule, for `run` (such a case is sent to no model,
// graded by nothing and in no slice's n, and counted apart) and for `check` (which counts them):
//
//   A case is unlabelled when it has no expected value (null or absent) and either one of its
//   graders needs one (the default `contains: "{{expected}}"` does), or it is flagged
//   `metadata.needs_label: true`.
//
// A real expected value is the label: a `needs_label` flag left beside one is stale and ignored.
// A case whose graders need no expected value (a judge's rubric, a JSON Schema, a script, a
// trajectory, literal values) is labelled by its grader specs once the flag is gone.
import { UserError } from "../errors.js";
import { COUNT_LIMITS } from "../report-limits.js";
import type { UnlabelledCases } from "../report-types.js";
import { usesExpected } from "../text/template.js";
import type { Case, EvalSet, GraderSpec } from "../types.js";
import type { SetCase } from "./sets.js";

/** The config's graders when it names none: the same default as config.ts. */
export const DEFAULT_GRADERS: readonly GraderSpec[] = [{ type: "contains", value: "{{expected}}" }];

export function hasExpected(c: Pick<Case, "expected">): boolean {
  return c.expected !== undefined && c.expected !== null;
}

/** Every string in a value, at any depth: the arguments a `tool_calls` grader fills. */
function strings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(strings);
  if (typeof value === "object" && value !== null) return Object.values(value).flatMap(strings);
  return [];
}

/**
 * Whether a grader compares the output with the case's expected value: its template (`value`,
 * `pattern`, a call's `args`) mentions `{{expected}}`, or it defaults to it (`exact` and
 * `similarity` without a `value`). Judges, JSON Schemas and scripts do not need one.
 */
export function graderNeedsExpected(spec: GraderSpec): boolean {
  const mentions = (v: unknown) => strings(v).some(usesExpected);
  switch (spec.type) {
    case "exact":
    case "similarity":
      return spec.value === undefined || mentions(spec.value);
    case "contains":
      return mentions(spec.value);
    case "regex":
      return mentions(spec.pattern);
    case "tool_calls":
      return (
        Array.isArray(spec.calls) && spec.calls.some((call) => mentions((call as { args?: unknown })?.args))
      );
    default:
      return false;
  }
}

export function isUnlabelled(c: Case, defaultGraders: readonly GraderSpec[]): boolean {
  if (hasExpected(c)) return false;
  if ((c as SetCase).metadata?.needs_label === true) return true;
  return (c.graders ?? defaultGraders).some(graderNeedsExpected);
}

/**
 * The sets with their unlabelled cases taken out (the cases a run grades), how many cases are
 * left, and the unlabelled ones per set in the sets' order: ids in file order, at most
 * COUNT_LIMITS.unlabelledIds of them, none for an aggregate-only set (a holdout names no case).
 */
export function splitUnlabelled(
  sets: readonly EvalSet[],
  defaultGraders: readonly GraderSpec[],
): { sets: EvalSet[]; labelled: number; unlabelled: UnlabelledCases[] } {
  const bySet = new Map<string, UnlabelledCases>();
  let labelled = 0;
  const kept = sets.map((set) => {
    const cases = set.cases.filter((c) => {
      if (!isUnlabelled(c, defaultGraders)) return true;
      const entry = bySet.get(set.name) ?? {
        set: set.name,
        file: set.path,
        count: 0,
        ids: set.visibility === "aggregate" ? null : [],
      };
      entry.count++;
      if (entry.ids && entry.ids.length < COUNT_LIMITS.unlabelledIds) entry.ids.push(c.id);
      bySet.set(set.name, entry);
      return false;
    });
    labelled += cases.length;
    return cases.length === set.cases.length ? set : { ...set, cases };
  });
  return { sets: kept, labelled, unlabelled: [...bySet.values()] };
}

/** Per set, how many cases wait for a label (for `check`, which names none of them). */
export function unlabelledCounts(
  sets: readonly EvalSet[],
  defaultGraders: readonly GraderSpec[],
): { set: string; count: number }[] {
  return sets
    .map((s) => ({ set: s.name, count: s.cases.filter((c) => isUnlabelled(c, defaultGraders)).length }))
    .filter((x) => x.count > 0);
}

/** A run whose every case waits for a label grades nothing: bad input, said before any request. */
export function nothingLabelled(unlabelled: readonly UnlabelledCases[]): UserError {
  const total = unlabelled.reduce((n, u) => n + u.count, 0);
  const first = unlabelled[0];
  return new UserError(
    `no case has an expected value its graders can use: all ${total} case(s) wait for a label, so there is nothing to grade`,
    {
      ...(first ? { file: first.file } : {}),
      field: "expected",
      fix: "Write each case's `expected` (not with a model); for cases whose graders need none (a judge's rubric, a schema), remove `metadata.needs_label`. `eval-gate check` counts what is left.",
    },
  );
}
