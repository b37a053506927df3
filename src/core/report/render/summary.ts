import type { Report } from "../../report-types.js";
import { behaviourSection, SUMMARY_BEHAVIOUR } from "./behaviour.js";
import { utf8Length } from "./budget.js";
import { definitionSection, SUMMARY_DEFINITION } from "./definition.js";
import { collectDetails, type DetailLevel } from "./details.js";
import { dimensionsSection, SUMMARY_DIMENSIONS } from "./dimensions.js";
import { judgesSection } from "./judges.js";
import { layout } from "./layout.js";
import { mostRuns, passKOf } from "./repeats.js";
import {
  baselineNote,
  comparedLine,
  errorsBlock,
  headline,
  legend,
  overfittingBlock,
  reasons,
  robustnessLine,
  usageBySide,
  worstLine,
} from "./sections.js";
import { sliceTables } from "./tables.js";
import { SUMMARY_UNLABELLED, unlabelledSection } from "./unlabelled.js";

export interface SummaryOptions {
  /** Default 1,000,000, counted in UTF-8 bytes: GitHub refuses a step summary over 1 MiB. */
  maxChars?: number;
}

export const DEFAULT_SUMMARY_MAX_CHARS = 1_000_000;

/** The summary is where the full detail lives, so it starts far more generous than the comment. */
const SUMMARY_LEVELS: DetailLevel[] = [
  { output: 4000, input: 2000, expected: 2000, cases: Number.POSITIVE_INFINITY },
  { output: 1000, input: 500, expected: 500, cases: Number.POSITIVE_INFINITY },
  { output: 300, input: 200, expected: 200, cases: 100 },
];

const FULL_DETAIL = "The JSON report artifact has the full detail.";

/** The job summary: every slice of every set, and every case that flipped. */
export function renderSummary(report: Report, options: SummaryOptions = {}): string {
  const max = options.maxChars ?? DEFAULT_SUMMARY_MAX_CHARS;
  const title = headline(report);
  return layout({
    max,
    // Bytes are never fewer than characters, so this keeps both limits.
    measure: utf8Length,
    top: [
      title,
      `<sub>${comparedLine(report)}</sub>`,
      reasons(report, 50, "list"),
      worstLine(report),
      overfittingBlock(report),
      baselineNote(report),
      unlabelledSection(report, SUMMARY_UNLABELLED),
    ],
    tables: sliceTables(report, { sideBySide: false, repeats: passKOf(report) }),
    afterTables: [
      legend(report),
      behaviourSection(report, SUMMARY_BEHAVIOUR),
      dimensionsSection(report, SUMMARY_DIMENSIONS),
      definitionSection(report, SUMMARY_DEFINITION),
      judgesSection(report),
      robustnessLine(report),
      errorsBlock(report, 50),
    ],
    detailsHeading: report.base === null ? "### Failing cases" : "### Cases that flipped",
    details: collectDetails(report, () => true),
    levels: SUMMARY_LEVELS,
    repeats: mostRuns(report),
    moreCases: "see the JSON report",
    bottom: [usageBySide(report)],
    fullDetail: FULL_DETAIL,
    fallback: `${title}\n\nThis report is too large for the job summary. ${FULL_DETAIL}\n`,
  });
}
