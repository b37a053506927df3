import type * as z from "zod";
import { UserError } from "../errors.js";
import { suggest } from "../text/suggest.js";

// Turns zod issues into plain sentences about what the user wrote. zod's own messages name
// internal types ("expected record, received undefined"); these name the user's words instead.

type Issue = z.core.$ZodIssue;
type Key = PropertyKey;

/** How values and types are named: YAML people write mappings and lists, JSON people objects and arrays. */
export type Dialect = "yaml" | "json";

export interface Problem {
  /** Where the problem is in the parsed data; for an unknown key, the key itself. */
  path: Key[];
  field: string;
  message: string;
  fix?: string;
}

export interface HintInput {
  field: string;
  /** `field` with list indexes as `[]`, so one hint covers every item. */
  pattern: string;
  issue: Issue;
  missing: boolean;
  input: unknown;
}

/** Lets a caller replace the message or the fix for fields it knows better. */
export type Hint = (h: HintInput) => { message?: string; fix?: string } | undefined;

export function formatPath(path: readonly Key[], base = ""): string {
  let out = base;
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

function typeName(expected: string, dialect: Dialect): string {
  switch (expected) {
    case "int":
      return "a whole number";
    case "number":
      return "a number";
    case "string":
      return "a string";
    case "boolean":
      return "true or false";
    case "object":
    case "record":
      return dialect === "yaml" ? "a mapping" : "an object";
    case "array":
      return dialect === "yaml" ? "a list" : "an array";
    case "null":
      return "null";
    default:
      return expected;
  }
}

/** What kind of value was written, without quoting it (for sets whose content must stay hidden). */
export function describeKind(value: unknown, dialect: Dialect = "yaml"): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") return "a string";
  if (typeof value === "number") return "a number";
  if (typeof value === "boolean") return "true or false";
  if (Array.isArray(value)) return typeName("array", dialect);
  if (typeof value === "object") return typeName("object", dialect);
  return typeof value;
}

export function describeValue(value: unknown, dialect: Dialect = "yaml"): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (typeof value === "string") {
    const text = value.length > 40 ? `${value.slice(0, 40)}…` : value;
    return JSON.stringify(text);
  }
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  if (Array.isArray(value)) return typeName("array", dialect);
  if (typeof value === "object") return typeName("object", dialect);
  return typeof value;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A key is missing when its parent is an object without it (not when the parent is the wrong type). */
function isMissing(data: unknown, path: readonly Key[]): boolean {
  let current = data;
  for (let i = 0; i < path.length; i++) {
    const key = path[i] as Key;
    if (Array.isArray(current) && typeof key === "number") current = current[key];
    else if (isPlainObject(current)) {
      if (!Object.hasOwn(current, key)) return i === path.length - 1;
      current = current[key as string];
    } else return false;
  }
  return false;
}

/** The keys a strict object accepts at `path`, found by walking the schema through its wrappers. */
export function knownKeys(schema: z.ZodType, path: readonly Key[]): string[] {
  // biome-ignore lint/suspicious/noExplicitAny: zod's definitions differ per schema kind
  let node: any = schema;
  let i = 0;
  for (let guard = 0; node && guard < 100; guard++) {
    const def = node._zod?.def;
    if (!def) return [];
    if (
      ["default", "prefault", "optional", "nullable", "readonly", "catch", "nonoptional"].includes(def.type)
    ) {
      node = def.innerType;
    } else if (def.type === "pipe") {
      node = def.out?._zod?.def.type === "transform" ? def.in : def.out;
    } else if (i === path.length) {
      return def.type === "object" ? Object.keys(def.shape) : [];
    } else if (def.type === "object") node = def.shape[path[i++] as string];
    else if (def.type === "record") {
      i++;
      node = def.valueType;
    } else if (def.type === "array") {
      i++;
      node = def.element;
    } else return [];
  }
  return [];
}

interface Context {
  schema: z.ZodType;
  data: unknown;
  dialect: Dialect;
  base: string;
  hint?: Hint;
  /** Quote no value the user wrote (a holdout set's cases): name its kind, or nothing. */
  redact: boolean;
}

function basic(issue: Issue, path: Key[], ctx: Context): { message: string; fix?: string } {
  const got = ctx.redact ? describeKind(issue.input, ctx.dialect) : describeValue(issue.input, ctx.dialect);
  // Where the value itself would be quoted, a redacted message leaves it out instead.
  const gotValue = ctx.redact ? "" : `, got ${got}`;
  const last = path[path.length - 1];
  const absent = ["invalid_type", "invalid_value", "invalid_union"].includes(issue.code);
  if (absent && isMissing(ctx.data, path)) {
    const parent = formatPath(path.slice(0, -1), ctx.base);
    return {
      message: `\`${String(last)}\` is required`,
      fix: `Add \`${String(last)}\`${parent ? ` under \`${parent}\`` : ""}.`,
    };
  }
  switch (issue.code) {
    case "invalid_type":
      return { message: `expected ${typeName(issue.expected, ctx.dialect)}, got ${got}` };
    case "too_small":
    case "too_big": {
      const small = issue.code === "too_small";
      const bound = Number(small ? issue.minimum : issue.maximum);
      if (issue.origin === "string") {
        return {
          message:
            small && bound === 1
              ? "must not be empty"
              : `must have ${small ? "at least" : "at most"} ${bound} characters`,
        };
      }
      if (issue.origin === "array" || issue.origin === "set") {
        return {
          message: `must have ${small ? "at least" : "at most"} ${bound} item${bound === 1 ? "" : "s"}`,
        };
      }
      const word = small
        ? issue.inclusive
          ? "at least"
          : "greater than"
        : issue.inclusive
          ? "at most"
          : "less than";
      return { message: `must be ${word} ${bound}${gotValue}` };
    }
    case "invalid_value": {
      const options = issue.values.map((v) => `\`${String(v)}\``);
      if (options.length === 1) return { message: `must be ${options[0]}${gotValue}` };
      // A guess would hint at what a hidden value looks like.
      const guess =
        typeof issue.input === "string" && !ctx.redact
          ? suggest(issue.input, issue.values.map(String))
          : undefined;
      return {
        message: `must be one of ${options.join(", ")}${ctx.redact ? "" : `; got ${got}`}${guess ? `; did you mean \`${guess}\`?` : ""}`,
      };
    }
    case "invalid_format":
      if (issue.format === "url") return { message: `must be an http or https URL${gotValue}` };
      return { message: `must be a valid ${issue.format}${gotValue}` };
    case "invalid_union": {
      const expected = issue.errors.flat().flatMap((e) => {
        if (e.path.length > 0) return [];
        if (e.code === "invalid_type") return [typeName((e as { expected: string }).expected, ctx.dialect)];
        return e.code === "invalid_value" ? e.values.map((v) => `\`${String(v)}\``) : [];
      });
      return { message: `expected ${[...new Set(expected)].join(" or ") || "another value"}, got ${got}` };
    }
    case "not_multiple_of":
      return { message: `must be a multiple of ${String(issue.divisor)}${gotValue}` };
    case "custom": {
      const params = issue.params as { fix?: unknown; safe?: unknown } | undefined;
      const fix = typeof params?.fix === "string" ? params.fix : undefined;
      // A refinement's message may quote what it checked (a regex engine quotes the pattern); only
      // those marked `safe: true` (they quote nothing) are shown as they are when redacting.
      if (ctx.redact && params?.safe !== true) return { message: "is not valid", fix };
      return { message: issue.message, fix };
    }
    default:
      return { message: ctx.redact ? "is not valid" : `is not valid (${issue.message.toLowerCase()})` };
  }
}

function describeOne(issue: Issue, prefix: Key[], ctx: Context, out: Problem[]): void {
  const path = [...prefix, ...(issue.path as Key[])];
  if (issue.code === "unrecognized_keys") {
    const known = knownKeys(ctx.schema, path);
    for (const key of issue.keys) {
      const guess = suggest(key, known);
      out.push({
        path: [...path, key],
        field: formatPath([...path, key], ctx.base),
        message: `unknown key \`${key}\`${guess ? `; did you mean \`${guess}\`?` : ""}`,
        fix: known.length ? `Known keys: ${known.join(", ")}.` : "Remove it.",
      });
    }
    return;
  }
  if (issue.code === "invalid_union") {
    // When only one branch got past the type check (a mapping where "string or mapping" was
    // allowed), its issues are the useful ones.
    const deeper = issue.errors.filter((errs) => !errs.some(kindMismatch));
    if (deeper.length === 1) {
      for (const inner of deeper[0] as Issue[]) describeOne(inner, path, ctx, out);
      return;
    }
  }
  if ((issue.code === "invalid_key" || issue.code === "invalid_element") && issue.issues.length > 0) {
    const at = issue.code === "invalid_element" ? [...path, issue.key as Key] : path;
    for (const inner of issue.issues) describeOne(inner as Issue, at, ctx, out);
    return;
  }
  const field = formatPath(path, ctx.base);
  const found = basic(issue, path, ctx);
  const pattern = field.replace(/\[\d+\]/g, "[]");
  const missing = issue.code !== "custom" && isMissing(ctx.data, path);
  const hinted = ctx.hint?.({ field, pattern, issue, missing, input: issue.input });
  // A refinement's own fix is the most specific; otherwise the caller's hint beats the generic one.
  const fix = issue.code === "custom" ? (found.fix ?? hinted?.fix) : (hinted?.fix ?? found.fix);
  out.push({ path, field, message: hinted?.message ?? found.message, fix });
}

/**
 * A union branch that failed on the value's kind: a wrong type, or a literal it is not
 * (`repeats: three` against `auto`); "expected a number or `auto`" says it better than either.
 */
function kindMismatch(e: Issue): boolean {
  return e.path.length === 0 && (e.code === "invalid_type" || e.code === "invalid_value");
}

/** Every issue of a failed parse, as problems a person can act on. */
export function describeIssues(
  issues: readonly Issue[],
  options: {
    schema: z.ZodType;
    data: unknown;
    dialect?: Dialect;
    base?: string;
    hint?: Hint;
    /** Quote no value from `data` (keys and the schema's own words are still named). */
    redact?: boolean;
  },
): Problem[] {
  const ctx: Context = { dialect: "yaml", base: "", redact: false, ...options };
  const out: Problem[] = [];
  for (const issue of issues) describeOne(issue, [], ctx, out);
  return out;
}

/** The problems as UserErrors of `file`, each at the line `line` finds for it. */
export function problemsToErrors(
  problems: Problem[],
  file: string,
  line: (p: Problem) => number | undefined,
): UserError[] {
  return problems.map((p) => new UserError(p.message, { file, line: line(p), field: p.field, fix: p.fix }));
}
