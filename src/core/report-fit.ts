import { fitBytes } from "./report-budget.js";
import { fitCase } from "./report-fit-case.js";
import { COUNT_LIMITS, clip, TEXT_LIMITS as T } from "./report-limits.js";
import type { JudgeReport, Report, SliceDiff } from "./types.js";

declare const fitted: unique symbol;
/** A report cut to the reader's limits: the only kind `reportJson` writes. */
export type FittedReport = Report & { readonly [fitted]: true };

/**
 * The report as eval-gate writes it: every text that grows with the eval set, the config or the
 * model cut to its limit with a visible marker, every list capped, and the whole under the file
 * size post-report reads. A report within every limit comes back as it was.
 */
export function fitReport(report: Report): FittedReport {
  const notes: string[] = [];
  const slices = report.slices.map(fitSlice);
  const cases = report.cases.map((c) => fitCase(c, T));
  const judges = report.judges?.map(fitJudge);
  const clipped: Report = {
    ...report,
    reasons: report.reasons.slice(0, COUNT_LIMITS.reasons).map((r) => clip(r, T.reason)),
    base: report.base && { ref: clip(report.base.ref, T.ref), sha: clip(report.base.sha, T.sha) },
    head: { ...report.head, sha: clip(report.head.sha, T.sha) },
    ...(typeof report.pr_head_sha === "string" ? { pr_head_sha: clip(report.pr_head_sha, T.sha) } : {}),
    config: { ...report.config, path: clip(report.config.path, T.path) },
    slices,
    cases,
    errors: {
      ...report.errors,
      causes: report.errors.causes.slice(0, COUNT_LIMITS.causes).map((c) => clip(c, T.cause)),
    },
    ...(judges ? { judges: keepFirst(judges, COUNT_LIMITS.judges, "judges", notes) } : {}),
    ...(report.signals?.overfitting
      ? {
          signals: {
            ...report.signals,
            overfitting: {
              ...report.signals.overfitting,
              note: clip(report.signals.overfitting.note, T.reason),
            },
          },
        }
      : {}),
  };
  const sized = fitBytes(clipped, notes);
  // The notes go last: the verdict's own reasons come first wherever reasons are shown.
  const own = clipped.reasons.slice(0, COUNT_LIMITS.reasons - notes.length);
  return { ...sized, reasons: [...own, ...notes] } as FittedReport;
}

/** The report file's text. */
export function reportJson(report: FittedReport): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}

function fitSlice(s: SliceDiff): SliceDiff {
  return { ...s, set: clip(s.set, T.name), slice: clip(s.slice, T.name) };
}

function fitJudge(j: JudgeReport): JudgeReport {
  return {
    ...j,
    key: clip(j.key, T.judgeKey),
    rubric: clip(j.rubric, T.rubric),
    model: j.model === null ? null : clip(j.model, T.model),
  };
}

function keepFirst<X>(list: X[], max: number, what: string, notes: string[]): X[] {
  if (list.length <= max) return list;
  notes.push(`The report lists the first ${max} of ${list.length} ${what}.`);
  return list.slice(0, max);
}
