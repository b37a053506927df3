import * as z from "zod";
import { UserError } from "../errors.js";
import { REPORT_SCHEMA_URL, REPORT_VERSION } from "../report-id.js";
import { expectedSize, COUNT_LIMITS as N, TEXT_LIMITS as T } from "../report-limits.js";
import { type Report, SLICE_STATUSES } from "../report-types.js";
import { dimensions, drift } from "./schema-signals.js";

// A report handed over as an artifact is hostile input: every field is checked and bounded before
// any of it reaches a comment. The renderer escapes text anyway; this keeps shapes and sizes sane.
// The bounds are report-limits.ts's, which the writer cuts every report to.
const text = (max: number) => z.string().max(max);
const score = z.number().min(0).max(1);
const signed = z.number().min(-1).max(1);
const p = z.number().min(0).max(1).nullable();
const count = z.int().min(0);
const behaviour = z.strictObject({
  outputs: count,
  chars: count,
  refusals: count,
  tool_calls: count,
  timed: count,
  latency_ms: count,
});
const sideResult = z.strictObject({
  runs: count,
  passes: count,
  errors: count,
  dim_passes: z.array(count).max(N.caseDimensions).optional(),
  dim_scores: z.array(score).max(N.caseDimensions).optional(),
  behaviour: behaviour.optional(),
});
const usage = z.strictObject({
  requests: z.int().min(0),
  cached: z.int().min(0),
  prompt_tokens: z.int().min(0),
  completion_tokens: z.int().min(0),
  latency_ms_p50: z.number().min(0),
  latency_ms_p99: z.number().min(0),
  output_chars_mean: z.number().min(0),
  output_chars_p90: z.number().min(0),
  refusal_rate: score,
  cost_usd: z.number().min(0).nullable(),
});

const slice = z.strictObject({
  set: text(T.name),
  slice: text(T.name),
  n: z.int().min(0),
  base_score: score.nullable(),
  head_score: score,
  delta: signed.nullable(),
  ci_low: signed.nullable(),
  ci_high: signed.nullable(),
  p_value: p,
  p_adjusted: p,
  p_improved: p,
  p_improved_adjusted: p,
  status: z.enum(SLICE_STATUSES),
  pass_k_base: score.nullable(),
  pass_k_head: score.nullable(),
  undersampled: z.boolean(),
  aggregate: z.boolean(),
  ci_level: score.optional(),
  mde: score.nullable().optional(),
  // p(1 - p) is at most 1/4.
  noise: z.number().min(0).max(0.25).optional(),
  design_effect: z.number().min(1).max(N.cases).optional(),
  clusters: z.int().min(0).optional(),
  testable: z.boolean().optional(),
  p_floor: p.optional(),
  p_floor_adjusted: p.optional(),
  judge_untrusted: z.boolean().optional(),
  extra_runs: z.int().min(0).optional(),
  rerun_cases: z.int().min(0).optional(),
});

const rate = score.nullable();
const judgeReport = z.strictObject({
  key: text(T.judgeKey),
  rubric: text(T.rubric),
  model: text(T.model).nullable(),
  stats: z
    .strictObject({
      n: z.int().min(0),
      agreement: score,
      kappa: z.number().min(-1).max(1),
      tpr: rate,
      tnr: rate,
      confusion: z.strictObject({
        tp: z.int().min(0),
        fp: z.int().min(0),
        tn: z.int().min(0),
        fn: z.int().min(0),
      }),
    })
    .nullable(),
  min_kappa: score,
  trusted: z.boolean().nullable(),
  disagreements: z.int().min(0),
});
const pooled = z.strictObject({ delta: signed, p: score });

const caseResult = z.strictObject({
  id: text(T.id),
  set: text(T.name),
  slice: text(T.name),
  line: z.int().min(0),
  file: text(T.path).optional(),
  base: sideResult.nullable(),
  head: sideResult,
  base_output: text(T.output).optional(),
  head_output: text(T.output).optional(),
  base_reason: text(T.reason).optional(),
  head_reason: text(T.reason).optional(),
  expected: z
    .unknown()
    .refine((v) => expectedSize(v) <= T.expected, `Too big: expected <=${T.expected} characters (as JSON)`)
    .optional(),
  input: text(T.input).optional(),
  original: text(T.id).optional(),
  perturbation: text(T.perturbation).optional(),
  cluster: text(T.id).optional(),
  new: z.literal(true).optional(),
  dimensions: z.array(text(T.dimension)).max(N.caseDimensions).optional(),
});

const ids = z.array(text(T.id)).max(N.cases);
const definition = z.strictObject({
  source: z.enum(["base", "head"]),
  settings: z
    .array(
      z.strictObject({
        key: text(T.setting),
        base: text(T.setting).nullable(),
        head: text(T.setting).nullable(),
      }),
    )
    .max(N.settings),
  files: z
    .array(z.strictObject({ path: text(T.path), change: z.enum(["added", "removed", "changed"]) }))
    .max(N.settings),
  cases: z
    .array(
      z.strictObject({
        set: text(T.name),
        slice: text(T.name),
        added: z.int().min(0),
        removed: z.int().min(0),
        changed: z.int().min(0),
        ids: z.strictObject({ added: ids, removed: ids, changed: ids }).nullable(),
      }),
    )
    .max(N.slices),
});

// Per set, the cases that wait for a label: a count, and at most so many ids (none for a holdout).
const unlabelled = z.strictObject({
  set: text(T.name),
  file: text(T.path),
  count: count,
  ids: z.array(text(T.id)).max(N.unlabelledIds).nullable(),
});

export const reportSchema = z.strictObject({
  $schema: z.literal(REPORT_SCHEMA_URL),
  schema: z.literal(REPORT_VERSION),
  verdict: z.enum(["pass", "review", "fail", "error", "skipped"]),
  reasons: z.array(text(T.reason)).max(N.reasons),
  base: z.strictObject({ ref: text(T.ref), sha: text(T.sha) }).nullable(),
  head: z.strictObject({ sha: text(T.sha) }),
  pr: z.int().positive().nullable().optional(),
  pr_head_sha: text(T.sha).nullable().optional(),
  config: z.strictObject({
    path: text(T.path),
    repeats: z.union([z.int().min(1), z.literal("auto")]),
    max_repeats: z.int().min(2).optional(),
    alpha: z.number().gt(0).lt(1),
    mode: z.enum(["statistical", "strict"]),
    floor: score.nullable(),
    review_drop: score.optional(),
  }),
  slices: z.array(slice).max(N.slices),
  cases: z.array(caseResult).max(N.cases),
  errors: z.strictObject({
    base: z.int().min(0),
    head: z.int().min(0),
    runs: z.int().min(0),
    rate: score,
    causes: z.array(text(T.cause)).max(N.causes),
  }),
  usage,
  usage_by_side: z.strictObject({ base: usage.nullable(), head: usage }),
  judges: z.array(judgeReport).max(N.judges).optional(),
  signals: z
    .strictObject({
      overfitting: z.strictObject({ anchor: pooled, rotation: pooled, note: text(T.reason) }).nullable(),
    })
    .optional(),
  definition: definition.optional(),
  new_slices: z.array(slice).max(N.slices).optional(),
  dimensions: dimensions.optional(),
  drift: drift.optional(),
  unlabelled: z.array(unlabelled).max(N.slices).optional(),
});

/** Parses a report made elsewhere (an artifact of another job), refusing anything off-shape. */
export function parseReport(json: string, file: string): Report {
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (e) {
    throw new UserError(`not valid JSON (${(e as Error).message})`, {
      file,
      fix: "Pass the report eval-gate wrote.",
    });
  }
  const result = reportSchema.safeParse(value);
  if (!result.success) {
    const issue = result.error.issues[0];
    const field = issue ? issue.path.join(".") : "";
    throw new UserError(`not an eval-gate report (${issue?.message ?? "invalid"})`, {
      file,
      field,
      fix: "Pass the report eval-gate wrote, unchanged.",
    });
  }
  return result.data as Report;
}
