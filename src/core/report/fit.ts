import { COUNT_LIMITS, clip, TEXT_LIMITS as T } from "../report-limits.js";
import type { DefinitionChanges, JudgeReport, Report, SliceDiff, UnlabelledCases } from "../report-types.js";
import type { CaseResult } from "../types.js";
import { fitBytes } from "./budget.js";
import { fitCase } from "./fit-case.js";
import { fitCaseDimensions, fitDimensions, fitDrift } from "./fit-signals.js";
import { needStore, type ParkedTexts } from "./park.js";
import { parkedId } from "./parked.js";
import { elementText, reportText } from "./texts.js";

declare const fitted: unique symbol;
/** A report cut to the reader's limits: the only kind `reportJson` writes. */
export type FittedReport = Report & { readonly [fitted]: true };

/**
 * The report as eval-gate writes it: every text that grows with the eval set, the config or the
 * model cut to its limit with a visible marker, every list capped, and the whole under the file
 * size post-report reads. A report within every limit comes back as it was. Cases whose texts
 * were put aside (report/park.ts) are measured with them, read back from `parked`.
 */
export function fitReport(report: Report, parked?: ParkedTexts): FittedReport {
  const notes: string[] = [];
  const slices = report.slices.map(fitSlice);
  const cases = report.cases.map((c) => fitCase(fitCaseDimensions(c), T));
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
    ...(report.definition ? { definition: fitDefinition(report.definition, notes) } : {}),
    ...(report.new_slices
      ? {
          new_slices: keepFirst(
            report.new_slices.map(fitSlice),
            COUNT_LIMITS.slices,
            "slices of new cases",
            notes,
          ),
        }
      : {}),
    ...(report.dimensions ? { dimensions: fitDimensions(report.dimensions, notes) } : {}),
    ...(report.drift ? { drift: fitDrift(report.drift, notes) } : {}),
    ...(report.unlabelled ? { unlabelled: fitUnlabelled(report.unlabelled, notes) } : {}),
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
  const sized = fitBytes(clipped, notes, parked);
  // The notes go last: the verdict's own reasons come first wherever reasons are shown.
  const own = clipped.reasons.slice(0, COUNT_LIMITS.reasons - notes.length);
  return { ...sized, reasons: [...own, ...notes] } as FittedReport;
}

/** The report file's text. */
export function reportJson(report: FittedReport): string {
  for (const c of report.cases) needStore(c, undefined);
  return `${JSON.stringify(report, null, 2)}\n`;
}

/**
 * The same text as reportJson, in pieces: what the writer writes, never whole in memory. Cases
 * whose texts were put aside are written with them, read back from `parked` one at a time.
 */
export function reportPieces(report: FittedReport, parked?: ParkedTexts): Generator<string> {
  return reportText(report, (key, item) => {
    if (key !== "cases") return undefined;
    const c = item as CaseResult;
    const store = needStore(c, parked);
    return store && parkedId(c) !== undefined ? elementText(store.unpark(c)) : undefined;
  });
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

/** What a PR changed in the definition: the PR's own names and values, so cut like any text. */
function fitDefinition(d: DefinitionChanges, notes: string[]): DefinitionChanges {
  const text = (v: string | null) => (v === null ? null : clip(v, T.setting));
  const ids = (list: string[]) => list.slice(0, COUNT_LIMITS.cases).map((id) => clip(id, T.id));
  return {
    source: d.source,
    settings: keepFirst(d.settings, COUNT_LIMITS.settings, "changed settings", notes).map((s) => ({
      key: clip(s.key, T.setting),
      base: text(s.base),
      head: text(s.head),
    })),
    files: keepFirst(d.files, COUNT_LIMITS.settings, "changed grader files", notes).map((f) => ({
      ...f,
      path: clip(f.path, T.path),
    })),
    cases: keepFirst(d.cases, COUNT_LIMITS.slices, "slices with changed cases", notes).map((c) => ({
      ...c,
      set: clip(c.set, T.name),
      slice: clip(c.slice, T.name),
      ids: c.ids && { added: ids(c.ids.added), removed: ids(c.ids.removed), changed: ids(c.ids.changed) },
    })),
  };
}

/** Names cut like any, at most so many ids a set (the count stays whole). */
function fitUnlabelled(list: UnlabelledCases[], notes: string[]): UnlabelledCases[] {
  return keepFirst(list, COUNT_LIMITS.slices, "sets with unlabelled cases", notes).map((u) => ({
    set: clip(u.set, T.name),
    file: clip(u.file, T.path),
    count: u.count,
    ids: u.ids === null ? null : u.ids.slice(0, COUNT_LIMITS.unlabelledIds).map((id) => clip(id, T.id)),
  }));
}

function keepFirst<X>(list: X[], max: number, what: string, notes: string[]): X[] {
  if (list.length <= max) return list;
  notes.push(`The report lists the first ${max} of ${list.length} ${what}.`);
  return list.slice(0, max);
}
