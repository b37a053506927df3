import { markdownTable } from "markdown-table";
import type { Report, SliceDiff } from "../../report-types.js";
import { BLOCK_SEPARATOR, type Measure } from "./budget.js";
import { inlineText } from "./escape.js";
import {
  bySeverity,
  deltaWithInterval,
  informativeP,
  percent,
  points,
  pValue,
  scoreChange,
  statusLabel,
} from "./format.js";

const SIDE_BY_SIDE = ["anchor", "rotation"] as const;

export interface SliceTable {
  title: string;
  header: string[];
  align: string[];
  /** Worst first; `key` is the slice that decides a row's place in that order. */
  rows: { key: SliceDiff; cells: string[] }[];
}

export interface TableStyle {
  /** `anchor` and `rotation` in one table (the comment) or each in its own (the summary). */
  sideBySide: boolean;
  repeats: number;
}

const DASH = "—";

function groupHeader(set: string | null, repeats: number, mde: boolean, ci: string): string[] {
  const n = set === null ? "n" : `${inlineText(set, 40)} n`;
  const passK = repeats > 1 ? [`pass^${repeats}`] : [];
  return [n, ...(mde ? ["MDE"] : []), "base → head", ...passK, `Δ [${ci} CI]`, "p (adj.)", "status"];
}

/**
 * The coverage of the report's intervals, `90%` at alpha 0.05: two one-sided 95% bounds. Reports
 * from before the exact intervals carry no `ci_level`; theirs were 95% bootstrap intervals.
 */
export function ciLevel(report: Report): string {
  const level = report.slices.find((s) => s.ci_level !== undefined)?.ci_level;
  return percent(level ?? 0.95);
}

function groupAlign(repeats: number, mde = false): string[] {
  return ["r", ...(mde ? ["r"] : []), "r", ...(repeats > 1 ? ["r"] : []), "r", "r", "l"];
}

/** Whether the report carries minimum detectable drops (`SliceDiff.mde`): then they get a column. */
export function hasMde(report: Report): boolean {
  return report.slices.some((s) => s.mde !== undefined);
}

/** A minimum detectable drop for a cell: `38 pts`, or `none` when no drop is detectable. */
export function mdeCell(mde: number | null | undefined): string {
  if (mde === undefined) return DASH;
  if (mde === null || !Number.isFinite(mde)) return "none";
  return points(mde).replace(/^\+/, "");
}

function groupCells(s: SliceDiff | undefined, repeats: number, mde = false): string[] {
  const width = groupAlign(repeats, mde).length;
  if (!s) return Array.from({ length: width }, () => DASH);
  // A dagger rather than a word keeps the column narrow; the legend under the tables explains it.
  const n = `${s.n}${s.undersampled ? " †" : ""}`;
  const passK = repeats > 1 ? [s.pass_k_head == null ? DASH : scoreChange(s.pass_k_base, s.pass_k_head)] : [];
  return [
    n,
    ...(mde ? [mdeCell(s.mde)] : []),
    scoreChange(s.base_score, s.head_score),
    ...passK,
    deltaWithInterval(s),
    // `<0.001` is not HTML to GitHub, but no untrusted-looking `<` should reach the body at all.
    pValue(informativeP(s)).replace("<", "&lt;"),
    statusLabel(s.status),
  ];
}

function worse(a: SliceDiff | undefined, b: SliceDiff | undefined): SliceDiff {
  if (!a) return b as SliceDiff;
  if (!b) return a;
  return bySeverity(a, b) <= 0 ? a : b;
}

function byRow(a: { key: SliceDiff }, b: { key: SliceDiff }): number {
  return bySeverity(a.key, b.key);
}

/** Sets in the order the report first mentions them. */
function setOrder(slices: readonly SliceDiff[]): string[] {
  return [...new Set(slices.map((s) => s.set))];
}

/** A set whose slices are all aggregate: reported as one score, never with case detail. */
export function aggregateSets(report: Report): Set<string> {
  const sets = new Set<string>();
  for (const set of setOrder(report.slices)) {
    const slices = report.slices.filter((s) => s.set === set);
    if (slices.every((s) => s.aggregate)) sets.add(set);
  }
  return sets;
}

export function sliceTables(report: Report, style: TableStyle): SliceTable[] {
  const { repeats } = style;
  const mde = hasMde(report);
  const ci = ciLevel(report);
  const tables: SliceTable[] = [];
  const aggregate = aggregateSets(report);
  const paired = style.sideBySide
    ? SIDE_BY_SIDE.filter((set) => report.slices.some((s) => s.set === set))
    : [];

  if (paired.length > 0) {
    const names = [
      ...new Set(report.slices.filter((s) => paired.some((p) => p === s.set)).map((s) => s.slice)),
    ];
    const find = (set: string, slice: string) =>
      report.slices.find((s) => s.set === set && s.slice === slice);
    tables.push({
      title: paired.map((set) => inlineText(set, 40)).join(" · "),
      header: ["slice", ...paired.flatMap((set) => groupHeader(set, repeats, mde, ci))],
      align: ["l", ...paired.flatMap(() => groupAlign(repeats, mde))],
      rows: names
        .map((name) => {
          const group = paired.map((set) => find(set, name));
          return {
            key: group.reduce<SliceDiff | undefined>((w, s) => (s ? worse(w, s) : w), undefined) as SliceDiff,
            cells: [inlineText(name, 60), ...group.flatMap((s) => groupCells(s, repeats, mde))],
          };
        })
        .sort(byRow),
    });
  }

  const rest = setOrder(report.slices).filter((set) => !paired.some((p) => p === set));
  for (const set of rest.filter((s) => !aggregate.has(s))) {
    tables.push({
      title: inlineText(set, 40),
      header: ["slice", ...groupHeader(null, repeats, mde, ci)],
      align: ["l", ...groupAlign(repeats, mde)],
      rows: report.slices
        .filter((s) => s.set === set)
        .map((s) => ({ key: s, cells: [inlineText(s.slice, 60), ...groupCells(s, repeats, mde)] }))
        .sort(byRow),
    });
  }

  const aggregated = report.slices.filter((s) => aggregate.has(s.set) && rest.includes(s.set));
  if (aggregated.length > 0) {
    const perSet = (set: string) => aggregated.filter((s) => s.set === set).length;
    tables.push({
      title: "Aggregate sets (scores only, no case detail)",
      header: ["set", ...groupHeader(null, repeats, mde, ci)],
      align: ["l", ...groupAlign(repeats, mde)],
      rows: aggregated
        .map((s) => ({
          key: s,
          cells: [
            perSet(s.set) > 1 ? inlineText(`${s.set} / ${s.slice}`, 60) : inlineText(s.set, 40),
            ...groupCells(s, repeats, mde),
          ],
        }))
        .sort(byRow),
    });
  }
  return tables;
}

interface Laid {
  head: string;
  rows: string[];
}

function layOut(table: SliceTable): Laid {
  const lines = markdownTable([table.header, ...table.rows.map((r) => r.cells)], {
    align: table.align,
    alignDelimiters: false,
  }).split("\n");
  return { head: `### ${table.title}\n\n${lines[0]}\n${lines[1]}`, rows: lines.slice(2) };
}

/**
 * The tables, within `budget`. Rows are dropped worst-last across all tables, so a regressed
 * slice in a small set outlives an unchanged one in a big set; the line that says how many were
 * dropped is `omittedLine(n)`, reserved for up front.
 */
export function renderTables(
  tables: readonly SliceTable[],
  budget: number,
  measure: Measure,
  omittedLine: (n: number) => string,
): { text: string; omitted: number } {
  const laid = tables.map(layOut);
  const full = laid.map((t) => [t.head, ...t.rows].join("\n")).join(BLOCK_SEPARATOR);
  if (measure(full) <= budget) return { text: full, omitted: 0 };

  const total = laid.reduce((n, t) => n + t.rows.length, 0);
  const order = tables
    .flatMap((t, ti) => t.rows.map((r, ri) => ({ ti, ri, key: r.key })))
    .sort((a, b) => byRow(a, b) || a.ti - b.ti || a.ri - b.ri);
  const sep = measure(BLOCK_SEPARATOR);
  const newline = measure("\n");
  const reserve = measure(omittedLine(total)) + sep;
  const shown = laid.map(() => 0);
  let used = 0;
  for (const { ti, ri } of order) {
    const t = laid[ti] as Laid;
    // Rows of one table are sorted by the same order, so each table keeps a prefix of its rows.
    if (ri !== shown[ti]) break;
    const cost = measure(t.rows[ri] as string) + newline + (ri === 0 ? measure(t.head) + sep : 0);
    if (used + cost + reserve > budget) break;
    used += cost;
    shown[ti] = ri + 1;
  }
  const omitted = total - shown.reduce((a, b) => a + b, 0);
  const parts = laid
    .map((t, ti) => ((shown[ti] as number) > 0 ? [t.head, ...t.rows.slice(0, shown[ti])].join("\n") : ""))
    .filter((p) => p.length > 0);
  parts.push(omittedLine(omitted));
  return { text: parts.join(BLOCK_SEPARATOR), omitted };
}
