import type { Report, SliceStatus } from "../report-types.js";
import type { CaseResult, CaseSideResult } from "../types.js";
import { plainText } from "./render/escape.js";
import { STATUS_WORD } from "./render/format.js";

/** One workflow annotation: the action hands it to `core.error` / `core.warning` / `core.notice`. */
export interface Annotation {
  level: "error" | "warning" | "notice";
  message: string;
  title: string;
  /** Relative to the repository root; absent for the one annotation that counts the rest. */
  file?: string;
  startLine?: number;
}

export interface AnnotationOptions {
  /**
   * At most this many annotations of each level. GitHub shows 10 error and 10 warning annotations
   * per step and drops the rest silently; the check's own failure line is one more error.
   */
  maxPerLevel?: number;
}

export const DEFAULT_MAX_PER_LEVEL = 9;

/** A failing slice's cases are errors; a slice that asks for review only warns. */
const LEVEL: Partial<Record<SliceStatus, "error" | "warning">> = {
  regressed: "error",
  below_floor: "error",
  dropped: "warning",
  below_floor_unproven: "warning",
};

/**
 * One annotation per case that got worse (a lower score on head than on base) in a slice whose
 * status is regressed, below_floor, dropped or below_floor_unproven, on the case's line of its set file. Cases of an
 * aggregate-only set are absent from `report.cases`, so they are never annotated. Past the cap, one
 * notice says how many more there are.
 */
export function regressionAnnotations(report: Report, options: AnnotationOptions = {}): Annotation[] {
  if (report.base === null) return [];
  const max = options.maxPerLevel ?? DEFAULT_MAX_PER_LEVEL;
  const status = new Map(report.slices.map((s) => [`${s.set}\u0000${s.slice}`, s.status]));
  const out: Annotation[] = [];
  const shown = { error: 0, warning: 0 };
  let more = 0;
  for (const c of report.cases) {
    const sliceStatus = status.get(`${c.set}\u0000${c.slice}`);
    const level = sliceStatus ? LEVEL[sliceStatus] : undefined;
    if (!level || !sliceStatus || !gotWorse(c)) continue;
    if (shown[level] >= max) {
      more++;
      continue;
    }
    shown[level]++;
    out.push({
      level,
      title: `eval-gate: ${c.set}/${c.slice} ${STATUS_WORD[sliceStatus]}`,
      message: caseMessage(c),
      ...(c.file ? { file: c.file, startLine: c.line } : {}),
    });
  }
  if (more > 0) {
    out.push({
      level: "notice",
      title: "eval-gate: more cases got worse",
      message: `${more} more case${more === 1 ? "" : "s"} that got worse ${more === 1 ? "is" : "are"} not annotated (GitHub shows at most 10 annotations of a kind per step); the job summary and the JSON report list them all.`,
    });
  }
  return out;
}

function score(r: CaseSideResult | null): number | null {
  return r && r.runs > 0 ? r.passes / r.runs : null;
}

function gotWorse(c: CaseResult): boolean {
  const base = score(c.base);
  const head = score(c.head);
  return base !== null && head !== null && head < base;
}

function caseMessage(c: CaseResult): string {
  const base = c.base as CaseSideResult;
  const single = base.runs === 1 && c.head.runs === 1;
  const what = single
    ? `Case ${c.id} passed on base and fails on head`
    : `Case ${c.id} passed ${base.passes}/${base.runs} runs on base, ${c.head.passes}/${c.head.runs} on head`;
  const reason = c.head_reason ? `: ${plainText(c.head_reason, 300)}` : "";
  return `${plainText(what, 400)}${reason}`;
}
