// Cases that were not graded for want of a label (src/core/config/labels.ts), as every view says it: one
// sentence per set with how to label them, the ids collapsed. Bounded by construction (capped sets,
// ids and names), so the layout can keep it whole beside the headline.
import type { Report, UnlabelledCases } from "../../report-types.js";
import { htmlText, inlineText, plainText } from "./escape.js";
import { integer, plural } from "./format.js";

export interface UnlabelledLimits {
  /** Sets named, one sentence each. */
  sets: number;
  /** Characters of the collapsed id list, whole ids only. */
  idChars: number;
}

export const COMMENT_UNLABELLED: UnlabelledLimits = { sets: 5, idChars: 3_000 };
export const SUMMARY_UNLABELLED: UnlabelledLimits = { sets: 50, idChars: 30_000 };
const TERMINAL_SETS = 10;

type Escape = (s: string, max: number) => string;

/**
 * Of a set's unlabelled cases, those the PR rewrites while the base branch's definition judges it:
 * labelled on the PR, they are graded once it is merged.
 */
function changedByPr(report: Report, u: UnlabelledCases): number {
  const d = report.definition;
  if (d?.source !== "base" || !u.ids) return 0;
  const changed = new Set(d.cases.filter((c) => c.set === u.set).flatMap((c) => c.ids?.changed ?? []));
  return u.ids.filter((id) => changed.has(id)).length;
}

/** `12 cases in set rotation have no expected value and were not graded; label them: ...`. */
function sentence(report: Report, u: UnlabelledCases, name: Escape): string {
  const one = u.count === 1;
  const changed = changedByPr(report, u);
  const pr =
    changed > 0
      ? ` (this PR changes ${integer(changed)} of them; the base branch's cases judge it, so they count once it is merged)`
      : "";
  return `${plural(u.count, "case")} in set ${name(u.set, 60)} ${one ? "has" : "have"} no expected value and ${one ? "was" : "were"} not graded; label ${one ? "it" : "them"}: write ${one ? "its" : "each one's"} \`expected\` in ${name(u.file, 120)}${pr}`;
}

function listed(report: Report): UnlabelledCases[] {
  return (report.unlabelled ?? []).filter((u) => u.count > 0);
}

/** Cases not graded for want of a label, over every set. */
export function unlabelledTotal(report: Report): number {
  return listed(report).reduce((n, u) => n + u.count, 0);
}

/** The collapsed ids, whole ones only, within `max` characters; a holdout's are never listed. */
function idsBlock(sets: readonly UnlabelledCases[], max: number): string {
  const lines: string[] = [];
  let used = 0;
  for (const u of sets) {
    if (!u.ids || u.ids.length === 0) continue;
    const shown: string[] = [];
    for (const id of u.ids) {
      const text = inlineText(id, 60);
      if (used + text.length + 2 > max) break;
      used += text.length + 2;
      shown.push(text);
    }
    if (shown.length === 0) break;
    const more = u.count - shown.length;
    lines.push(
      `- ${inlineText(u.set, 60)}: ${shown.join(", ")}${more > 0 ? `, …and ${integer(more)} more` : ""}`,
    );
  }
  if (lines.length === 0) return "";
  return `<details><summary>${htmlText("Ids of the cases not graded", 60)}</summary>\n\n${lines.join("\n")}\n\n</details>`;
}

/** The block of the comment and the job summary, or "" when every case had a label. */
export function unlabelledSection(report: Report, limits: UnlabelledLimits): string {
  const sets = listed(report);
  if (sets.length === 0) return "";
  const named = sets.slice(0, limits.sets);
  const lines = named.map((u) => `- ${sentence(report, u, inlineText)}.`);
  const more = sets.length - named.length;
  if (more > 0) lines.push(`- …and ${plural(more, "more set")} (see the JSON report's \`unlabelled\`).`);
  return [
    `📝 **Not graded:** ${plural(unlabelledTotal(report), "case")} without a label ${unlabelledTotal(report) === 1 ? "is" : "are"} in no slice and ${unlabelledTotal(report) === 1 ? "was" : "were"} sent to no model.`,
    lines.join("\n"),
    idsBlock(named, limits.idChars),
  ]
    .filter(Boolean)
    .join("\n\n");
}

/** One sentence per set, plain text: the CLI's warnings and the action's. */
export function unlabelledWarnings(report: Report, max = TERMINAL_SETS): string[] {
  const sets = listed(report);
  const out = sets.slice(0, max).map((u) => `${sentence(report, u, plainText)}.`);
  if (sets.length > max)
    out.push(`…and ${plural(sets.length - max, "more set")} with cases not graded (see the report).`);
  return out;
}

/** The terminal's lines, each starting `not graded:`. */
export function unlabelledLines(report: Report): string[] {
  return unlabelledWarnings(report).map((w) => `not graded: ${w}`);
}
