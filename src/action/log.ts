import * as core from "@actions/core";
import type { ProgressEvent } from "../core/ports.js";
import { regressionAnnotations } from "../core/report/annotations.js";
import { unlabelledWarnings } from "../core/report/render/unlabelled.js";
import type { Report } from "../core/report-types.js";

/** The sets a run covers, one log line each: name, file, cases, and whether it is aggregate-only. */
export function logSets(sets: Extract<ProgressEvent, { kind: "start" }>["sets"]): void {
  for (const s of sets ?? []) {
    const hidden = s.visibility === "aggregate" ? ", aggregate only" : "";
    core.info(`set ${s.name}: ${s.path} (${s.cases} case${s.cases === 1 ? "" : "s"}${hidden})`);
  }
}

/** Each case that got worse, as an annotation on its line of its set file. */
export function annotateRegressions(report: Report): void {
  for (const a of regressionAnnotations(report)) {
    const props = { title: a.title, ...(a.file ? { file: a.file, startLine: a.startLine } : {}) };
    const annotate = a.level === "error" ? core.error : a.level === "warning" ? core.warning : core.notice;
    annotate(a.message, props);
  }
}

/**
 * Cases not graded for want of a label, in one warning naming each set and how many (one, so the
 * regressions' nine warnings still fit GitHub's ten a step); on the set's file when there is one set.
 */
export function warnUnlabelled(report: Report): void {
  const lines = unlabelledWarnings(report);
  if (lines.length === 0) return;
  const only = report.unlabelled?.length === 1 ? report.unlabelled[0] : undefined;
  core.warning(lines.join("\n"), {
    title: "eval-gate: cases not graded (no expected value)",
    ...(only ? { file: only.file } : {}),
  });
}
