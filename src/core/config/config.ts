import * as z from "zod";

// The schema of eval-gate.yml and the config it fills in: its keys, their defaults and the checks
// that need no file. Reading the YAML with its lines is parse-config.ts; a grader's own keys are
// checked by validate-graders.ts.

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
