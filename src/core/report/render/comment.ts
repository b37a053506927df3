import type { Report } from "../../report-types.js";
import { behaviourSection, COMMENT_BEHAVIOUR } from "./behaviour.js";
import { charLength } from "./budget.js";
import { COMMENT_DEFINITION, definitionSection } from "./definition.js";
import { collectDetails, type DetailLevel } from "./details.js";
import { COMMENT_DIMENSIONS, dimensionsSection } from "./dimensions.js";
import { judgesSection } from "./judges.js";
import { layout } from "./layout.js";
import { mostRuns, passKOf } from "./repeats.js";
import {
  baselineNote,
  errorsBlock,
  footer,
  headline,
  legend,
  overfittingBlock,
  overrideNote,
  reasons,
  robustnessLine,
  usageTable,
  worstLine,
} from "./sections.js";
import { sliceTables } from "./tables.js";
import { COMMENT_UNLABELLED, unlabelledSection } from "./unlabelled.js";

export interface CommentOptions {
  /** Tells several gates on one PR apart; part of the hidden marker. */
  commentId: string;
  /** The workflow run, linked from the footer. */
  runUrl?: string;
  /** The PR label that let a failing verdict pass the check, when one did. */
  overrideLabelUsed?: string | null;
  /** Default 60,000: under GitHub's 65,536-character limit with room to spare. */
  maxChars?: number;
}

export const DEFAULT_COMMENT_MAX_CHARS = 60_000;

/**
 * The hidden marker that finds the sticky comment again. Whoever looks for the comment must build
 * the marker with this function too: the id is reduced to characters that cannot end the HTML
 * comment early.
 */
export function commentMarker(commentId: string): string {
  const id = commentId.replace(/[^A-Za-z0-9._:/-]/g, "_").replace(/-{2,}/g, "-") || "default";
  return `<!-- eval-gate:${id} -->`;
}

/** Generous first; a PR comment is read at a glance, so even the first level keeps it short. */
const COMMENT_LEVELS: DetailLevel[] = [
  { output: 1500, input: 500, expected: 500, cases: 10 },
  { output: 500, input: 200, expected: 200, cases: 10 },
  { output: 150, input: 100, expected: 100, cases: 5 },
];

const FULL_DETAIL = "The job summary and the JSON report artifact have the full detail.";

export function renderComment(report: Report, options: CommentOptions): string {
  const max = options.maxChars ?? DEFAULT_COMMENT_MAX_CHARS;
  const marker = commentMarker(options.commentId);
  const label = options.commentId === "default" ? undefined : options.commentId;
  const title = `${marker}\n${headline(report, label)}`;
  const hasBaseline = report.base !== null;
  return layout({
    max,
    measure: charLength,
    top: [
      title,
      reasons(report, 5, "line"),
      worstLine(report),
      overfittingBlock(report),
      baselineNote(report),
      unlabelledSection(report, COMMENT_UNLABELLED),
      overrideNote(report, options.overrideLabelUsed),
    ],
    tables: sliceTables(report, { sideBySide: true, repeats: passKOf(report) }),
    afterTables: [
      legend(report),
      behaviourSection(report, COMMENT_BEHAVIOUR),
      dimensionsSection(report, COMMENT_DIMENSIONS),
      definitionSection(report, COMMENT_DEFINITION),
      judgesSection(report),
      robustnessLine(report),
      errorsBlock(report, 5),
    ],
    detailsHeading: hasBaseline ? "### Flipped cases" : "### Failing cases",
    // Without a baseline there is nothing to flip from: show what breaks a floor.
    details: collectDetails(report, (s) => s.status === "below_floor" || s.status === "below_floor_unproven"),
    levels: COMMENT_LEVELS,
    repeats: mostRuns(report),
    moreCases: "see the job summary",
    bottom: [usageTable(report), footer(report, options.runUrl)],
    fullDetail: FULL_DETAIL,
    fallback: `${title}\n\nThis report is too large for a PR comment. ${FULL_DETAIL}\n`,
  });
}
