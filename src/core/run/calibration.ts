// Validate the validator: before a judge's verdicts gate anything, measure how well it agrees with
// people on a batch of human-labelled outputs (seed 000, "the judge is a component that needs
// evaluating"). Agreement alone flatters a judge when one label dominates, so the headline number
// is Cohen's kappa (agreement beyond what the two label rates would produce by chance).

import * as z from "zod";
import { describeIssues, describeValue, type Hint } from "../config/zod-issues.js";
import { isUserError, UserError, UserErrors } from "../errors.js";
import { type JudgeSpec, judgeVerdict } from "../graders/judge.js";
import type { GraderContext } from "../graders/types.js";
import type { CalibrationStats } from "../report-types.js";
import { jsonLines, notJsonLine } from "../text/json-error.js";

/** One human-labelled output. */
export interface Label {
  /** 1-based line of the labels file. */
  line: number;
  id?: string;
  input?: string;
  expected?: unknown;
  output: string;
  /** The person's verdict: true for pass. */
  label: boolean;
}

const MAX_ERRORS = 50;
const EXAMPLE = '{"input": "Can I get my money back?", "output": "Yes, within 30 days.", "label": "pass"}';

const labelValue = z.union([
  z.boolean(),
  z
    .string()
    .refine((s) => /^(pass|fail)$/i.test(s.trim()), {
      message: 'must be true, false, "pass" or "fail"',
      params: { fix: 'Write "label": "pass" or "label": "fail" (or true / false).' },
    })
    .transform((s) => s.trim().toLowerCase() === "pass"),
]);

const labelSchema = z.strictObject({
  id: z.string().optional(),
  input: z.string().optional(),
  expected: z.unknown().optional(),
  output: z.string(),
  label: labelValue,
  notes: z.string().optional(),
});

const FIXES: Record<string, string> = {
  output: 'Add the output the person judged, e.g. "output": "Yes, within 30 days.".',
  label: 'Use "pass" or "fail" (or true / false).',
  input: 'Use a string: what the system was asked, e.g. "input": "Can I get my money back?".',
  id: 'Use a string, e.g. "id": "tone-017".',
  notes: "Use a string.",
};

const labelHint: Hint = ({ pattern, missing, issue }) => {
  if (pattern === "label" && !missing && issue.code === "invalid_union") {
    return { message: 'must be true, false, "pass" or "fail"', fix: FIXES.label };
  }
  const fix = FIXES[pattern];
  return fix ? { fix } : undefined;
};

/**
 * Reads a JSONL file of human labels: one object per line with `output` and `label` (true/false or
 * "pass"/"fail"), optionally `input`, `expected`, `id` and `notes`; blank lines and `//` comments are
 * skipped. Throws UserErrors naming every bad line.
 */
export function parseLabels(text: string, file: string): Label[] {
  const errors: UserError[] = [];
  const labels: Label[] = [];
  for (const entry of jsonLines(text)) {
    if (errors.length >= MAX_ERRORS) break;
    const line = entry.line;
    if ("error" in entry) {
      errors.push(
        entry.error === "json"
          ? notJsonLine(entry, file, "Write one JSON object per line, with double-quoted keys and strings.")
          : new UserError(
              `each line must be a JSON object (one label), got ${describeValue(entry.value, "json")}`,
              {
                file,
                line,
                fix: `Write e.g. ${EXAMPLE}`,
              },
            ),
      );
      continue;
    }
    const raw = entry.object;
    const result = labelSchema.safeParse(raw, { reportInput: true });
    if (!result.success) {
      const problems = describeIssues(result.error.issues, {
        schema: labelSchema,
        data: raw,
        dialect: "json",
        hint: labelHint,
      });
      for (const p of problems)
        errors.push(new UserError(p.message, { file, line, field: p.field, fix: p.fix }));
      continue;
    }
    const d = result.data;
    labels.push({
      line,
      ...(d.id !== undefined ? { id: d.id } : {}),
      ...(d.input !== undefined ? { input: d.input } : {}),
      ...(d.expected !== undefined ? { expected: d.expected } : {}),
      output: d.output,
      label: d.label,
    });
  }
  if (errors.length > 0) throw new UserErrors(errors);
  if (labels.length === 0) {
    throw new UserErrors([
      new UserError("the labels file has no labels", {
        file,
        line: 1,
        fix: `Write one labelled output per line, e.g. ${EXAMPLE}`,
      }),
    ]);
  }
  return labels;
}

/** Agreement of a judge with people, from (human, judge) verdict pairs. */
export function calibrationStats(pairs: readonly { human: boolean; judge: boolean }[]): CalibrationStats {
  const confusion = { tp: 0, fp: 0, tn: 0, fn: 0 };
  for (const { human, judge } of pairs) {
    if (human && judge) confusion.tp++;
    else if (human) confusion.fn++;
    else if (judge) confusion.fp++;
    else confusion.tn++;
  }
  const { tp, fp, tn, fn } = confusion;
  const n = tp + fp + tn + fn;
  if (n === 0) return { n, agreement: 0, kappa: 0, tpr: null, tnr: null, confusion };
  // In counts rather than shares, so "pe = 1" is an exact integer test: kappa = (n·agree - E) / (n² - E).
  const agree = tp + tn;
  const expected = (tp + fn) * (tp + fp) + (tn + fp) * (tn + fn);
  const kappa = n * n === expected ? 1 : (n * agree - expected) / (n * n - expected);
  return {
    n,
    agreement: agree / n,
    kappa,
    tpr: tp + fn === 0 ? null : tp / (tp + fn),
    tnr: tn + fp === 0 ? null : tn / (tn + fp),
    confusion,
  };
}

export interface CalibrationRow {
  line: number;
  id?: string;
  input?: string;
  output: string;
  human: boolean;
  /** The judge's verdict; null when it could not judge (counted as a disagreement). */
  judge: boolean | null;
  agree: boolean;
  /** The judge's reason, or why it could not judge. */
  reason: string;
  error?: string;
}

export interface CalibrationResult {
  rows: CalibrationRow[];
  stats: CalibrationStats;
}

/**
 * Grades every label with the judge and compares. A row the judge could not grade (an answer that
 * is not JSON, a request that kept failing) counts as a disagreement and is listed, never dropped:
 * a judge that errors on hard items must not look better for it. A user error (no judge model, a
 * rubric file that is not there) stops the calibration instead.
 */
export async function runCalibration(
  labels: readonly Label[],
  spec: JudgeSpec,
  ctx: GraderContext,
  options: { concurrency?: number } = {},
): Promise<CalibrationResult> {
  const rows: CalibrationRow[] = new Array(labels.length);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < labels.length; i = next++) {
      const l = labels[i] as Label;
      const base = {
        line: l.line,
        ...(l.id !== undefined ? { id: l.id } : {}),
        ...(l.input !== undefined ? { input: l.input } : {}),
        output: l.output,
        human: l.label,
      };
      try {
        const verdict = await judgeVerdict(
          spec,
          {
            ...(l.input !== undefined ? { input: l.input } : {}),
            ...(l.expected !== undefined ? { expected: l.expected } : {}),
            output: l.output,
          },
          ctx,
        );
        rows[i] = { ...base, judge: verdict.pass, agree: verdict.pass === l.label, reason: verdict.reason };
      } catch (e) {
        if (isUserError(e)) {
          next = labels.length; // the other workers stop too
          throw e;
        }
        const message = e instanceof Error ? e.message : String(e);
        rows[i] = { ...base, judge: null, agree: false, reason: message, error: message };
      }
    }
  };
  const width = Math.max(1, Math.min(options.concurrency ?? 4, labels.length));
  await Promise.all(Array.from({ length: width }, worker));
  const stats = calibrationStats(rows.map((r) => ({ human: r.human, judge: r.judge ?? !r.human })));
  return { rows, stats };
}
