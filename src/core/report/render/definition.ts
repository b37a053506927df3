// "This PR changes the eval set": what a PR changed in the gate definition, and how its new cases
// fared, for the comment and the job summary. Every name in it is the PR's text, so it is escaped.
import { markdownTable } from "markdown-table";
import type { CaseChange, Report } from "../../report-types.js";
import { inlineText } from "./escape.js";
import { integer, plural, scoreChange } from "./format.js";

export interface DefinitionLimits {
  /** Rows of the per-slice change table. */
  rows: number;
  /** Characters of the list of case ids (collapsed). */
  ids: number;
  /** Settings listed. */
  settings: number;
}

export const COMMENT_DEFINITION: DefinitionLimits = { rows: 20, ids: 3000, settings: 12 };
export const SUMMARY_DEFINITION: DefinitionLimits = { rows: 200, ids: 30_000, settings: 100 };

function code(s: string, max = 80): string {
  return inlineText(s, max);
}

const IDS_PER_KIND = 30;

function idList(kind: string, ids: readonly string[]): string {
  if (ids.length === 0) return "";
  const shown = ids.slice(0, IDS_PER_KIND).map((id) => code(id, 60));
  if (ids.length > IDS_PER_KIND) shown.push(`…and ${integer(ids.length - IDS_PER_KIND)} more`);
  return `${kind}: ${shown.join(", ")}`;
}

/** The collapsed list of case ids, whole lines only (a cut escape would break the Markdown). */
function idsBlock(cases: readonly CaseChange[], max: number): string {
  const lines: string[] = [];
  let used = 0;
  let left = 0;
  for (const c of cases) {
    if (!c.ids) continue;
    const parts = [
      idList("added", c.ids.added),
      idList("removed", c.ids.removed),
      idList("changed", c.ids.changed),
    ];
    const line = `- ${code(`${c.set} / ${c.slice}`, 80)}: ${parts.filter(Boolean).join("; ")}`;
    if (used + line.length > max) {
      left++;
      continue;
    }
    used += line.length + 1;
    lines.push(line);
  }
  if (lines.length === 0 && left === 0) return "";
  if (left > 0) lines.push(`- …and ${plural(left, "more slice")} (see the JSON report)`);
  return `<details><summary>Case ids</summary>\n\n${lines.join("\n")}\n\n</details>`;
}

function changeTable(cases: readonly CaseChange[], rows: number): string {
  if (cases.length === 0) return "";
  const sorted = [...cases].sort(
    (a, b) => b.removed + b.changed - (a.removed + a.changed) || b.added - a.added,
  );
  const shown = sorted.slice(0, rows);
  const table = markdownTable(
    [
      ["set / slice", "added", "removed", "changed"],
      ...shown.map((c) => [
        code(`${c.set} / ${c.slice}`, 80),
        String(c.added),
        String(c.removed),
        String(c.changed),
      ]),
    ],
    { align: ["l", "r", "r", "r"], alignDelimiters: false },
  );
  const left = sorted.length - shown.length;
  return left > 0 ? `${table}\n\n…and ${plural(left, "more slice")} (see the JSON report).` : table;
}

function newCasesTable(report: Report, rows: number): string {
  const slices = report.new_slices ?? [];
  if (slices.length === 0) return "";
  const shown = slices.slice(0, rows);
  const table = markdownTable(
    [
      ["new cases: set / slice", "n", "base → head"],
      ...shown.map((s) => [
        code(`${s.set} / ${s.slice}`, 80),
        String(s.n),
        scoreChange(s.base_score, s.head_score),
      ]),
    ],
    { align: ["l", "r", "r"], alignDelimiters: false },
  );
  const left = slices.length - shown.length;
  const note =
    "The cases this PR adds ran on both sides; they are shown here and never decide the verdict until the PR is merged.";
  return `${note}\n\n${table}${left > 0 ? `\n\n…and ${plural(left, "more slice")}.` : ""}`;
}

/** The section, or "" when the PR changes nothing of the definition and adds no case. */
export function definitionSection(report: Report, limits: DefinitionLimits): string {
  const d = report.definition;
  if (!d) return "";
  const changed = d.settings.length > 0 || d.files.length > 0 || d.cases.length > 0;
  if (!changed) return "";
  const who =
    d.source === "base"
      ? "The gate judged this PR by the base branch's definition (sets and cases, graders and the files they read, repeats and gate settings), so nothing below changed this verdict; it takes effect once merged. Review it as you would review code."
      : "This repository sets `gate.definition: head`: the PR's own definition judged it, changes included.";
  const settings = d.settings.slice(0, limits.settings).map((s) => {
    const base = s.base === null ? "(unset)" : code(s.base, 80);
    const head = s.head === null ? "(unset)" : code(s.head, 80);
    return `- ${code(s.key, 60)}: ${base} → ${head}`;
  });
  if (d.settings.length > limits.settings)
    settings.push(`- …and ${plural(d.settings.length - limits.settings, "more setting")}`);
  const files = d.files.map((f) => `- ${code(f.path, 100)}: ${f.change}`).slice(0, limits.settings);
  return [
    "### This PR changes the eval set",
    who,
    changeTable(d.cases, limits.rows),
    idsBlock(d.cases, limits.ids),
    settings.length > 0 ? `Settings:\n\n${settings.join("\n")}` : "",
    files.length > 0 ? `Files graders read:\n\n${files.join("\n")}` : "",
    newCasesTable(report, limits.rows),
  ]
    .filter(Boolean)
    .join("\n\n");
}
