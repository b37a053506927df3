// Why a slice failed or asks for review, in the terminal: the cases that flipped, one line each.

import type { Report, SliceDiff, SliceStatus } from "../../report-types.js";
import type { CaseResult, CaseSideResult } from "../../types.js";
import { plainText } from "./escape.js";
import { plural } from "./format.js";
import { mostRuns } from "./repeats.js";
import { aggregateSets } from "./tables.js";
import type { TableLine } from "./terminal-table.js";
import { sliceName } from "./terminal-table.js";
import { clip, displayWidth, pad, wrap } from "./terminal-text.js";

const EXPLAINED: ReadonlySet<SliceStatus> = new Set([
  "regressed",
  "below_floor",
  "dropped",
  "below_floor_unproven",
]);
const FLOOR: ReadonlySet<SliceStatus> = new Set(["below_floor", "below_floor_unproven"]);
/** The status as the heading's verb: `anchor / refund regressed: …`. */
const HEADING: Record<SliceStatus, string> = {
  regressed: "regressed",
  below_floor: "is below the floor",
  dropped: "dropped",
  below_floor_unproven: "is under the floor, within noise",
  improved: "improved",
  unchanged: "is unchanged",
  no_baseline: "has no baseline",
};
/** Case ids are padded to line up up to this many columns; a longer id pushes its own line. */
const ID_COLUMN = 24;

export interface WhyOptions {
  width: number;
  /** Cases listed per slice; the rest are counted. */
  perSlice: number;
  /** Where the rest can be read, after "and N more: ". */
  more: string;
}

function score(side: CaseSideResult | null): number | null {
  return side && side.runs > 0 ? side.passes / side.runs : null;
}

/** `pass -> fail` for single runs, `3/3 -> 1/3` under repeats; a side with no graded run `error`. */
function change(c: CaseResult, repeats: boolean): string {
  const side = (s: CaseSideResult) =>
    s.runs === 0 ? "error" : repeats ? `${s.passes}/${s.runs}` : s.passes === s.runs ? "pass" : "fail";
  const errored = c.head.errors > 0 ? ` (+${c.head.errors} errored)` : "";
  return `${c.base ? `${side(c.base)} -> ` : ""}${side(c.head)}${errored}`;
}

/**
 * The cases that explain a slice's status, most telling first: those that got worse (the most
 * first), and for a floor also those that fail on head without having got worse.
 */
function explaining(report: Report, s: SliceDiff): CaseResult[] {
  const cases = report.cases.filter((c) => c.set === s.set && c.slice === s.slice);
  const drop = (c: CaseResult) => (score(c.head) ?? 0) - (score(c.base) ?? 0);
  const worse = cases
    .filter((c) => {
      const [base, head] = [score(c.base), score(c.head)];
      return base !== null && head !== null && head < base;
    })
    .sort((a, b) => drop(a) - drop(b) || a.line - b.line);
  if (!FLOOR.has(s.status)) return worse;
  const failing = cases
    .filter((c) => !worse.includes(c) && (score(c.head) ?? 1) < 1)
    .sort((a, b) => (score(a.head) ?? 0) - (score(b.head) ?? 0) || a.line - b.line);
  return [...worse, ...failing];
}

function what(s: SliceDiff, n: number, repeats: boolean): string {
  if (FLOOR.has(s.status)) return `${plural(n, "case")} ${n === 1 ? "fails" : "fail"} on head`;
  if (repeats) return `${plural(n, "case")} ${n === 1 ? "passes" : "pass"} less often on head than on base`;
  return `${plural(n, "case")} passed on base and ${n === 1 ? "fails" : "fail"} on head`;
}

/** Per regressed, dropped or below-floor slice (worst first): a heading, its cases, the count of the rest. */
export function whyLines(report: Report, slices: SliceDiff[], options: WhyOptions): TableLine[] {
  const hidden = aggregateSets(report);
  const repeats = mostRuns(report) > 1;
  const out: TableLine[] = [];
  for (const s of slices) {
    if (!EXPLAINED.has(s.status) || s.aggregate || hidden.has(s.set)) continue;
    const cases = explaining(report, s);
    if (cases.length === 0) continue;
    const name = sliceName(s);
    const heading = `${name.set} / ${name.slice} ${HEADING[s.status]}: ${what(s, cases.length, repeats)}`;
    if (out.length > 0) out.push({ text: "", slice: null });
    for (const text of wrap(heading, options.width, "  ")) out.push({ text, slice: s });
    const shown = cases.slice(0, Math.max(0, options.perSlice)).map((c) => ({
      id: plainText(c.id, 300),
      change: change(c, repeats),
      reason: c.head_reason ? plainText(c.head_reason, 400) : "",
    }));
    const ids = Math.min(ID_COLUMN, Math.max(...shown.map((c) => displayWidth(c.id))));
    const changes = Math.max(...shown.map((c) => displayWidth(c.change)));
    for (const c of shown) {
      const line = `  ${pad(c.id, ids)}  ${pad(c.change, changes)}  ${c.reason}`.trimEnd();
      out.push({ text: clip(line, options.width), slice: null });
    }
    const rest = cases.length - shown.length;
    if (rest > 0) {
      for (const text of wrap(`  and ${rest} more: ${options.more}`, options.width, "  "))
        out.push({ text, slice: null });
    }
  }
  return out;
}
