// What the run compares and reports, from the slices on: per-slice diffs, the verdict, usage,
// dimensions, drift, the judges and the definition changes, and the report that holds them.
// src/core/report/schema.ts is the same report as a zod schema; the JSON Schema is generated from it.
import type { CaseResult } from "./types.js";

/**
 * `regressed` and `below_floor` fail; `dropped` and `below_floor_unproven` ask for review (a drop
 * with evidence that does not survive the correction; a head score under the floor without evidence
 * that the slice's real score is). `no_baseline`: nothing to compare the head with (a run without a
 * base, or no case graded on both sides); only the floor can judge such a slice. The one list of
 * them: the type, the report's schema and the renderers read it, worst first.
 */
export const SLICE_STATUSES = [
  "regressed",
  "below_floor",
  "dropped",
  "below_floor_unproven",
  "no_baseline",
  "improved",
  "unchanged",
] as const;

export type SliceStatus = (typeof SLICE_STATUSES)[number];

/** Per-slice comparison of the two sides on the cases both ran. */
export interface SliceDiff {
  set: string;
  slice: string;
  /** Cases both sides ran (or head alone ran, without a baseline). */
  n: number;
  base_score: number | null;
  head_score: number;
  delta: number | null;
  /**
   * The change's interval: each end a one-sided exact bound at 1 - alpha (the gate's test inverted),
   * so `ci_high < 0` exactly when `p_value < alpha`, and `ci_low > 0` exactly when `p_improved < alpha`.
   */
  ci_low: number | null;
  ci_high: number | null;
  /** The interval's two-sided coverage, 1 - 2·alpha (0.9 at alpha 0.05). */
  ci_level?: number;
  /** One-sided p-value for "head is worse"; Holm-adjusted below. */
  p_value: number | null;
  p_adjusted: number | null;
  /** One-sided p-value for "head is better", Holm-adjusted over the same family. */
  p_improved: number | null;
  p_improved_adjusted: number | null;
  status: SliceStatus;
  pass_k_base: number | null;
  pass_k_head: number | null;
  undersampled: boolean;
  aggregate: boolean;
  /**
   * Minimum detectable drop (0..1): the smallest drop the slice's exact test sees with 80% power at
   * alpha / (the Holm family's size), at the run's repeats and clusters, under the noise the run
   * showed (`noise`, `design_effect`); null when no drop up to the base score is detectable.
   */
  mde?: number | null;
  /** Mean per-case variance of a run's outcome, p(1 - p) averaged over cases, fitted to this run. */
  noise?: number;
  /** How much correlated cases in clusters widen the test's spread (1: independent cases). */
  design_effect?: number;
  /** The paired test's units: clusters of cases that share an origin (`n` when there are none). */
  clusters?: number;
  /**
   * False when the slice's test could not reach significance at the level it would be tested at
   * (too few cases changed; Tarone's rule): it is left out of the Holm family and cannot regress.
   */
  testable?: boolean;
  /** With `gate.floor`: one-sided exact p-value that the head's real score is under the floor. */
  p_floor?: number | null;
  /** That p-value Holm-adjusted in the same family as `p_value`. */
  p_floor_adjusted?: number | null;
  /** Graded by a judge that did not reach `judge.min_kappa` on the human labels: it cannot fail the check. */
  judge_untrusted?: boolean;
  /** `repeats: auto`: runs beyond the first of each case and side, both sides together. */
  extra_runs?: number;
  /** `repeats: auto`: cases that ran more than once (their sides differed). */
  rerun_cases?: number;
}

/** `skipped` only when the workflow opted into skipping a run that had no API key (fork PRs). */
export type Verdict = "pass" | "review" | "fail" | "error" | "skipped";

/**
 * What a side cost and how it behaved (seed 001's monitoring signals). `requests` and `cached` say
 * what this run paid for; tokens, lengths and refusals describe every graded run, cached or not,
 * so the two sides compare like for like.
 */
export interface Usage {
  requests: number;
  cached: number;
  prompt_tokens: number;
  completion_tokens: number;
  latency_ms_p50: number;
  latency_ms_p99: number;
  output_chars_mean: number;
  output_chars_p90: number;
  refusal_rate: number;
  /** In US dollars, when `target.prices` is set; null otherwise. */
  cost_usd: number | null;
}

export interface Report {
  /** The JSON Schema of the file (report-id.ts). */
  $schema: string;
  schema: "eval-gate/report@2";
  verdict: Verdict;
  /** Why the verdict is what it is, one line per reason, for people. */
  reasons: string[];
  base: { ref: string; sha: string } | null;
  head: { sha: string };
  /** The PR the run was for, when there was one: lets a later job post the comment (fork PRs). */
  pr?: number | null;
  /**
   * That PR's head commit. Not `head.sha`: GitHub runs a PR's workflow on a merge commit, while the
   * `workflow_run` event that posts the comment names the PR's head, and post-report checks the two.
   */
  pr_head_sha?: string | null;
  config: {
    path: string;
    /** Runs per case and side, or `auto`: once, and again while the sides differ. */
    repeats: number | "auto";
    /** With `repeats: auto`: the most runs a case gets on a side. */
    max_repeats?: number;
    alpha: number;
    mode: "statistical" | "strict";
    floor: number | null;
    /** The smallest drop worth a review (`gate.review_drop`). */
    review_drop?: number;
  };
  slices: SliceDiff[];
  cases: CaseResult[];
  errors: { base: number; head: number; runs: number; rate: number; causes: string[] };
  usage: Usage;
  usage_by_side: { base: Usage | null; head: Usage };
  /** The judges of the run, with their agreement with the human labels of `judge.calibration`. */
  judges?: JudgeReport[];
  /** Warnings read off the whole run, for people; none of them gates. */
  signals?: ReportSignals;
  /** What the PR changes in the gate definition (sets, graders, settings), on a run with a baseline. */
  definition?: DefinitionChanges;
  /** The slices of the cases the PR adds, compared in a family of their own; they never gate. */
  new_slices?: SliceDiff[];
  /** Per slice and grader: pass rates, the paired test, and the review rule (seed 002). */
  dimensions?: DimensionReport;
  /** Per slice: how outputs changed besides their grades (seed 001's monitoring signals). */
  drift?: DriftReport;
  /**
   * Per set, the cases that wait for a label (src/core/config/labels.ts): sent to no model, graded by
   * nothing, in no slice's n. Absent when every case had one.
   */
  unlabelled?: UnlabelledCases[];
}

/** A set's cases without an expected value where they need one (or flagged `metadata.needs_label`). */
export interface UnlabelledCases {
  set: string;
  /** The set's file, where the labels are written. */
  file: string;
  count: number;
  /** Their ids in file order, the first 1,000; null for an aggregate-only set, which names no case. */
  ids: string[] | null;
}

// --- Dimensions and behaviour drift (src/core/gate/dimensions.ts, src/core/gate/drift.ts) ---

/**
 * `dropped`: the review rule held; `lower`: a drop without enough evidence or size for it;
 * `no_baseline`: no case graded on both sides, nothing to compare.
 */
export type DimensionStatus = "dropped" | "lower" | "improved" | "unchanged" | "no_baseline";

/** One grader of one slice, compared on the cases both sides graded. */
export interface DimensionDiff {
  set: string;
  slice: string;
  dimension: string;
  n: number;
  base_score: number | null;
  head_score: number;
  delta: number | null;
  /**
   * One-sided p for "head worse", Holm-adjusted over every slice and dimension of the run; null
   * without a baseline or when no case moved (then outside the family).
   */
  p_value: number | null;
  p_adjusted: number | null;
  /** The mirror test, Holm-adjusted over the same family. */
  p_improved: number | null;
  p_improved_adjusted: number | null;
  status: DimensionStatus;
  undersampled: boolean;
}

export interface DimensionReport {
  /** The drop in a dimension's pass rate (0..1) that, with evidence, asks for review. */
  review_drop: number;
  /** Slices graded by two or more graders (with one, the dimension is the slice itself). */
  rows: DimensionDiff[];
}

export type DriftMeasure = "output_chars" | "refusal_rate" | "latency_ms" | "tool_calls";

/** One behaviour measure of one slice: means of per-case means, and an exact paired test. */
export interface DriftDiff {
  set: string;
  slice: string;
  measure: DriftMeasure;
  /** Cases measured on both sides (for latency: asked fresh on both). */
  n: number;
  base: number;
  head: number;
  /** Relative (head / base - 1) for every measure but refusals, in points for those; null from 0. */
  change: number | null;
  /**
   * Two-sided exact sign test on the per-case differences; adjusted: Holm over every slice and
   * measure of the run (latency a family apart), scaled to compare to alpha (drift.ts). Null when
   * no case moved: nothing to test, and outside the family.
   */
  p_value: number | null;
  p_adjusted: number | null;
  /** Significant after the correction, and at least the minimum size, in the same direction. */
  changed: boolean;
}

export interface DriftReport {
  /** `fail`: a changed behaviour fails the check (`gate.drift: fail`); `report`: informative. */
  mode: "report" | "fail";
  /** The smallest relative change that counts (length, latency, tool calls). */
  min_relative: number;
  /** The smallest change of the refusal rate that counts, in points (0..1). */
  min_points: number;
  /** Beside the relative change, the smallest absolute one: changes of a few characters or ms are noise. */
  min_absolute: { output_chars: number; latency_ms: number; tool_calls: number };
  rows: DriftDiff[];
}

// --- The eval set's life cycle (src/core/lifecycle): optional report fields ---

/** A set's slices pooled: case-weighted delta, and a one-sided p-value that the set improved. */
export interface PooledChange {
  delta: number;
  p: number;
}

/** The anchor improved significantly while the rotation stayed flat or fell (seed 000). */
export interface OverfittingSignal {
  anchor: PooledChange;
  rotation: PooledChange;
  note: string;
}

export interface ReportSignals {
  overfitting: OverfittingSignal | null;
}

/** A judge of the run and how it fared against the human labels. */
export interface JudgeReport {
  key: string;
  rubric: string;
  model: string | null;
  stats: CalibrationStats | null;
  min_kappa: number;
  /** Null without a calibration file. */
  trusted: boolean | null;
  disagreements: number;
}

/** Agreement of a judge with people (src/core/run/calibration.ts). */
export interface CalibrationStats {
  n: number;
  /** Share of items where judge and human agree; 0 when n = 0. */
  agreement: number;
  /**
   * Cohen's kappa, (po - pe) / (1 - pe). When pe = 1 (both raters gave every item the same single
   * label, which forces po = 1) it is 1: perfect agreement, though it says nothing about the other
   * label. 0 when n = 0: no evidence of agreement.
   */
  kappa: number;
  /** Of the outputs people passed, the share the judge passed; null when people passed none. */
  tpr: number | null;
  /** Of the outputs people failed, the share the judge failed; null when people failed none. */
  tnr: number | null;
  /** "Positive" is pass: tp = both pass, fp = judge passes what people failed, and so on. */
  confusion: { tp: number; fp: number; tn: number; fn: number };
}

// --- The gate definition a PR is judged by (src/core/config/definition.ts) ---

/** Per set and slice, the cases a PR adds, removes or rewrites (ids left out for aggregate-only sets). */
export interface CaseChange {
  set: string;
  slice: string;
  added: number;
  removed: number;
  changed: number;
  /** Null for an aggregate-only set (a holdout): its cases are never named. */
  ids: { added: string[]; removed: string[]; changed: string[] } | null;
}

export interface DefinitionChanges {
  /** Whose definition judged the PR: the base commit's, or the PR's own (`gate.definition: head`). */
  source: "base" | "head";
  /** Settings of the config outside `target` whose value differs, as `key: base → head`. */
  settings: { key: string; base: string | null; head: string | null }[];
  /** Files graders read (rubrics, scripts, calibration labels) that differ. */
  files: { path: string; change: "added" | "removed" | "changed" }[];
  cases: CaseChange[];
}
