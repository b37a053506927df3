import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import * as z from "zod";
import { UserError, UserErrors } from "../errors.js";
import type { GraderDefinition } from "../graders/types.js";
import { suggest } from "../text/suggest.js";
import type { GraderSpec } from "../types.js";
import { describeIssues, formatPath, type Hint, knownKeys, type Problem } from "./zod-issues.js";

const SET_NAME = /^[A-Za-z0-9_.-]+$/;
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Variables that hold the runner's and the action's own secrets (the GitHub token arrives as
 * INPUT_GITHUB-TOKEN): a config may never name them as the model's key, or a PR could send them
 * to the endpoint as a bearer token. Compared without case, since Windows runners ignore it.
 */
export const RESERVED_KEY_PREFIXES = ["INPUT_", "GITHUB_", "ACTIONS_", "RUNNER_"] as const;

export function reservedKeyPrefix(name: string): string | null {
  const upper = name.toUpperCase();
  return RESERVED_KEY_PREFIXES.find((p) => upper.startsWith(p)) ?? null;
}
const EXAMPLE =
  "Start from `version: 1`, `target: { model: gpt-4o-mini }` and `sets: { anchor: evals/anchor.jsonl }`, one per line.";

/** A grader as written: its own keys are checked later against the grader's schema (validateGraders). */
export const graderSpecSchema = z.looseObject({
  type: z.string().min(1),
  weight: z.number().positive().optional(),
  threshold: z.number().min(0).max(1).optional(),
});

const setSchema = z.preprocess(
  (v) => (typeof v === "string" ? { path: v } : v),
  z.strictObject({ path: z.string().min(1), visibility: z.enum(["full", "aggregate"]).default("full") }),
);

const targetSchema = z
  .strictObject({
    model: z.string().min(1),
    system: z.string().min(1).optional(),
    base_url: z.url({ protocol: /^https?$/ }).optional(),
    api_key_env: z
      .string()
      .min(1)
      .refine((name) => ENV_NAME.test(name), {
        message: "must be the name of an environment variable (letters, digits and `_`)",
        params: {
          safe: true,
          fix: "Name the variable that holds the key, e.g. `api_key_env: OPENAI_API_KEY`.",
        },
      })
      .refine((name) => reservedKeyPrefix(name) === null, {
        message: "names a variable of the runner or the action, which never holds the model's key",
        params: {
          safe: true,
          fix: "Name the variable that holds the model's key (in a workflow, one set from a secret), e.g. `api_key_env: OPENAI_API_KEY`.",
        },
      })
      .default("OPENAI_API_KEY"),
    params: z.record(z.string(), z.unknown()).default(() => ({})),
    tools: z.string().min(1).optional(),
    provider: z.enum(["openai", "replay"]).default("openai"),
    recordings: z.string().min(1).optional(),
    /** US dollars per million tokens, for the cost line of the usage table. */
    prices: z.strictObject({ prompt: z.number().min(0), completion: z.number().min(0) }).optional(),
  })
  .superRefine((t, ctx) => {
    if (t.provider === "replay" && t.recordings === undefined) {
      ctx.addIssue({
        code: "custom",
        path: ["recordings"],
        message: "`recordings` is required when `provider` is `replay`",
        params: {
          fix: "Add `recordings: path/to/recordings.jsonl` under `target`, or set `provider: openai`.",
        },
      });
    }
  });

const configShape = z.strictObject({
  version: z.literal(1),
  target: targetSchema,
  sets: z.record(z.string(), setSchema).superRefine((sets, ctx) => {
    const names = Object.keys(sets);
    if (names.length === 0) {
      ctx.addIssue({
        code: "custom",
        message: "no sets are listed",
        params: { fix: "Add at least one set, e.g. `sets: { anchor: evals/anchor.jsonl }`." },
      });
    }
    for (const name of names.filter((n) => !SET_NAME.test(n))) {
      ctx.addIssue({
        code: "custom",
        path: [name],
        message: `set name \`${name}\` may only use letters, digits, \`_\`, \`.\` and \`-\``,
        params: { fix: "Rename the set, e.g. `support-v2`." },
      });
    }
  }),
  /** Runs per case and side; `auto` reruns only the cases whose sides differ (adaptive.ts). */
  repeats: z.union([z.int().min(1).max(100), z.literal("auto")]).default(1),
  /** With `repeats: auto`, the most runs a case gets on each side (default 5). */
  max_repeats: z.int().min(2).max(100).optional(),
  concurrency: z.int().min(1).max(512).default(8),
  graders: z.array(graderSpecSchema).default(() => [{ type: "contains", value: "{{expected}}" }]),
  gate: z
    .strictObject({
      mode: z.enum(["statistical", "strict"]).default("statistical"),
      alpha: z.number().gt(0).lt(1).default(0.05),
      floor: z.number().min(0).max(1).nullable().default(null),
      /**
       * The smallest drop, of a slice's or a dimension's pass rate, that asks for a review when it
       * comes with evidence (seed 002: "a 1% drop on any dimension requires human review").
       */
      review_drop: z.number().min(0).max(1).default(0.01),
      min_slice_n: z.int().min(1).default(12),
      max_error_rate: z.number().min(0).max(1).default(0),
      /** Whose definition judges a PR: the base commit's (default) or the PR's own. */
      definition: z.enum(["base", "head"]).default("base"),
      /** `report`: behaviour drift is shown; `fail`: a changed behaviour fails the check. */
      drift: z.enum(["report", "fail"]).default("report"),
    })
    .prefault({}),
  requests: z
    .strictObject({
      timeout_ms: z.int().min(1000).max(600_000).default(60_000),
      attempts: z.int().min(1).max(20).default(10),
    })
    .prefault({}),
  /** The model `similarity` graders embed with unless they name one. */
  embedding_model: z.string().min(1).default("text-embedding-3-small"),
  /** `judge` graders: their default model, and the human labels that must vouch for them. */
  judge: z
    .strictObject({
      model: z.string().min(1),
      calibration: z.string().min(1).optional(),
      min_kappa: z.number().min(0).max(1).default(0.6),
    })
    .optional(),
});

export const configSchema = configShape.superRefine((config, ctx) => {
  if (config.max_repeats !== undefined && config.repeats !== "auto") {
    ctx.addIssue({
      code: "custom",
      path: ["max_repeats"],
      message: "`max_repeats` only applies with `repeats: auto`",
      params: {
        safe: true,
        fix: "Set `repeats: auto` to rerun the cases whose sides differ up to `max_repeats`, or remove `max_repeats`.",
      },
    });
  }
});

export type Config = z.output<typeof configSchema>;

const FIXES: Record<string, string> = {
  target: "Add a `target:` mapping with at least `model: gpt-4o-mini`.",
  "target.model": "Name the model, e.g. `model: gpt-4o-mini`.",
  "target.system":
    "Give the path of the system prompt file, relative to this config, e.g. `prompts/support.md`.",
  "target.base_url": "Use an http(s) URL, e.g. `https://api.openai.com/v1`.",
  "target.api_key_env": "Name the environment variable that holds the API key, e.g. `OPENAI_API_KEY`.",
  "target.params": "Use a mapping, e.g. `params: { temperature: 0 }`.",
  "target.tools": "Give the path of a JSON file of function definitions, e.g. `tools/support.json`.",
  "target.provider": "Use `openai` or `replay`.",
  "target.recordings": "Give the path of a recordings file, e.g. `evals/recordings.jsonl`.",
  "target.prices": "Give US dollars per million tokens, e.g. `prices: { prompt: 0.15, completion: 0.6 }`.",
  sets: "List at least one set, e.g. `sets: { anchor: evals/anchor.jsonl }`.",
  "sets.*":
    "Use a path, e.g. `evals/anchor.jsonl`, or `{ path: evals/anchor.jsonl, visibility: aggregate }`.",
  "sets.*.path": "Give the path of a JSONL file, e.g. `path: evals/anchor.jsonl`.",
  "sets.*.visibility": "Use `full` or `aggregate`.",
  repeats:
    "Use a whole number from 1 to 100, e.g. `repeats: 3`, or `repeats: auto` (each case once, again while its sides differ).",
  max_repeats: "Use a whole number from 2 to 100 with `repeats: auto`, e.g. `max_repeats: 5`.",
  concurrency: "Use a whole number from 1 to 512, e.g. `concurrency: 8`.",
  graders: 'Use a list of graders, e.g. `- { type: contains, value: "{{expected}}" }`.',
  "graders[]":
    'Write each grader as a mapping with a `type`, e.g. `{ type: contains, value: "{{expected}}" }`.',
  "graders[].type": "Name the grader type, e.g. `type: contains`.",
  "graders[].weight": "Use a number greater than 0, e.g. `weight: 2`.",
  "graders[].threshold": "Use a number between 0 and 1, e.g. `threshold: 0.8`.",
  gate: "Use a mapping, e.g. `gate: { alpha: 0.05 }`.",
  "gate.mode": "Use `statistical` or `strict`.",
  "gate.alpha": "Use a number between 0 and 1, e.g. 0.05.",
  "gate.floor": "Use a number between 0 and 1, e.g. 0.8, or leave `floor` out.",
  "gate.review_drop":
    "Use a number between 0 and 1, e.g. 0.01: a drop with evidence of at least 1 point, of a slice or a dimension, asks for a review.",
  "gate.min_slice_n": "Use a whole number of at least 1, e.g. 12.",
  "gate.definition":
    "Use `base` (the default: a PR is judged by the base branch's sets, graders and settings) or `head` (by its own).",
  "gate.drift":
    "Use `report` (the default: behaviour drift is shown, informative) or `fail` (a changed behaviour fails the check).",
  "gate.max_error_rate": "Use a number between 0 and 1, e.g. 0.02 to allow 2% of runs to end in error.",
  requests: "Use a mapping, e.g. `requests: { timeout_ms: 60000 }`.",
  "requests.timeout_ms": "Use a whole number of milliseconds from 1000 to 600000, e.g. 60000.",
  "requests.attempts": "Use a whole number from 1 to 20, e.g. 10.",
  embedding_model: "Name an embedding model, e.g. `embedding_model: text-embedding-3-small`.",
  judge: "Use a mapping, e.g. `judge: { model: gpt-4o, calibration: evals/judge-labels.jsonl }`.",
  "judge.model": "Name the model that judges, e.g. `model: gpt-4o`.",
  "judge.calibration":
    "Give the path of a JSONL file of human labels, relative to this config, e.g. `evals/judge-labels.jsonl`.",
  "judge.min_kappa":
    "Use a number between 0 and 1, e.g. `min_kappa: 0.6` (Cohen's kappa the judge must reach against the labels).",
};

const configHint: Hint = ({ pattern, missing, input }) => {
  if (pattern === "version") {
    return missing
      ? { fix: "Add `version: 1` at the top of the file." }
      : {
          message: `unsupported version ${String(input)}; this eval-gate reads version 1`,
          fix: "Set `version: 1`.",
        };
  }
  if (pattern === "target.model" && missing) return { fix: "Add `model: gpt-4o-mini` under `target`." };
  if (pattern === "judge.model" && missing) return { fix: "Add `model: gpt-4o` under `judge`." };
  const key = pattern.replace(/^sets\.[^.]+/, "sets.*");
  const fix = FIXES[key];
  return fix ? { fix } : undefined;
};

/** The line of a field of the config, by its path (`["graders", 0, "pattern"]`). */
export type LineOf = (path: readonly PropertyKey[]) => number;

/** The line of the value at `path`; for a key that is not there, the line of its parent's key. */
function lineOf(root: unknown, path: readonly PropertyKey[], lines: LineCounter): number {
  let node = root;
  let line = 1;
  for (const key of path) {
    let next: unknown;
    let at: number | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      next = pair?.value;
      at = isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
    } else if (isSeq(node) && typeof key === "number") {
      next = node.items[key];
      at = (next as Node | undefined)?.range?.[0];
    }
    if (at === undefined) break;
    line = lines.linePos(at).line;
    node = next;
  }
  return line;
}

function problemsToErrors(
  problems: Problem[],
  file: string,
  line: (p: Problem) => number | undefined,
): UserError[] {
  return problems.map((p) => new UserError(p.message, { file, line: line(p), field: p.field, fix: p.fix }));
}

const YAML_FIXES: Record<string, string> = {
  BAD_DQ_ESCAPE:
    "In double quotes YAML reads a backslash as an escape: put the text in single quotes ('order #\\d+') or double the backslash (\"order #\\\\d+\").",
  TAB_AS_INDENT: "Indent with spaces, not tabs.",
  DUPLICATE_KEY: "Keep one of the two keys: YAML allows each key once per mapping.",
  MISSING_CHAR: "Close the quote or bracket that opens on this line (or a line before it).",
  BAD_INDENT: "Close the `[` or `{` opened on this line or a line before it, and check the indentation.",
};
const YAML_FIX = "Check the indentation and quoting on this line and the one before it.";

function yamlSyntaxErrors(
  errors: readonly { code: string; message: string; pos: [number, number] }[],
  text: string,
  file: string,
  lines: LineCounter,
): UserErrors {
  const source = text.split(/\r?\n/);
  // One mistake often trips several YAML errors at the same place; the first one is the cause.
  const byLine = new Map<number, UserError>();
  for (const e of errors) {
    const line = lines.linePos(e.pos[0]).line;
    if (byLine.has(line)) continue;
    const written = (source[line - 1] ?? "").trim();
    const shown = written.length > 60 ? `${written.slice(0, 59)}…` : written;
    const key = /^(?:-\s+)?([A-Za-z_][\w.-]*)\s*:/.exec(written)?.[1];
    const message = `YAML syntax error: ${e.message.replace(/\.$/, "")}${shown ? ` (the line reads \`${shown}\`)` : ""}`;
    byLine.set(
      line,
      new UserError(message, {
        file,
        line,
        ...(e.code === "DUPLICATE_KEY" && key ? { field: key } : {}),
        fix: YAML_FIXES[e.code] ?? YAML_FIX,
      }),
    );
  }
  return new UserErrors([...byLine.values()]);
}

/** Reads an eval-gate.yml. Throws UserErrors naming every problem with its line, or returns the filled config. */
export function parseConfig(text: string, file: string): Config {
  return parseConfigWithLines(text, file).config;
}

/**
 * parseConfig, plus where each field is written, so problems found later (a grader's pattern, a
 * file that is not there) can name their line too.
 */
export function parseConfigWithLines(text: string, file: string): { config: Config; lineOf: LineOf } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) throw yamlSyntaxErrors(doc.errors, text, file, lines);
  if (!isMap(doc.contents)) {
    const what =
      doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)
        ? "the config is empty"
        : "the config must be a mapping of keys to values";
    throw new UserErrors([new UserError(what, { file, line: 1, fix: EXAMPLE })]);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw new UserErrors([
      new UserError(`the YAML could not be read: ${(e as Error).message}`, { file, line: 1 }),
    ]);
  }
  const locate: LineOf = (path) => lineOf(doc.contents, path, lines);
  // Parsed once a run: zod's generated fast path would cost more to compile than it saves.
  const result = configSchema.safeParse(data, { reportInput: true, jitless: true });
  if (result.success) return { config: result.data, lineOf: locate };
  const problems = describeIssues(result.error.issues, { schema: configSchema, data, hint: configHint });
  const errors = problemsToErrors(problems, file, (p) => locate(p.path));
  errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  throw new UserErrors(errors);
}

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
