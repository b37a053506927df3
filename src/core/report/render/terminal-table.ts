// The per-slice table of the terminal. Names are never cut: a set or slice name too long for its
// column goes on a line of its own above its numbers; with no room for names beside the numbers,
// every slice's names do; and a terminal too narrow for the numbers' columns gets one block per
// slice (the names, then the numbers as labelled fields).
import { TEXT_LIMITS } from "../../report-limits.js";
import type { Report, SliceDiff } from "../../report-types.js";
import { plainText } from "./escape.js";
import { informativeP, interval, percent, points, pValue, STATUS_WORD } from "./format.js";
import { ciLevel, hasMde, mdeCell } from "./tables.js";
import { displayWidth, packFields, pad, wrap } from "./terminal-text.js";

const HEADER = ["set", "slice", "n", "base", "head", "Δ", "CI", "p_adj", "status"];
const RIGHT = [false, false, true, true, true, true, true, true, false];
const GAP = "  ";
/** The narrowest name columns worth a table; below this the blocks read better. */
const MIN_NAMES = 16;

/** A table line, and the slice it belongs to (for its colour); null for the header and notes. */
export interface TableLine {
  text: string;
  slice: SliceDiff | null;
}

export function sliceName(s: SliceDiff): { set: string; slice: string } {
  return { set: plainText(s.set, TEXT_LIMITS.name), slice: plainText(s.slice, TEXT_LIMITS.name) };
}

function numbers(s: SliceDiff, mde: boolean): string[] {
  return [
    `${s.n}${s.undersampled ? "*" : ""}`,
    percent(s.base_score),
    percent(s.head_score),
    points(s.delta),
    interval(s.ci_low, s.ci_high),
    pValue(informativeP(s)),
    STATUS_WORD[s.status],
    // With minimum detectable drops in the report, their column comes last: the columns people and
    // scripts already read keep their places.
    ...(mde ? [mdeCell(s.mde)] : []),
  ];
}

export function renderSliceTable(report: Report, slices: SliceDiff[], width: number): TableLine[] {
  const mde = hasMde(report);
  // The interval's coverage belongs in its header: 90% at alpha 0.05, not the 95% people assume.
  const header = [...HEADER, ...(mde ? ["mde"] : [])].map((h) => (h === "CI" ? `${ciLevel(report)} CI` : h));
  const right = [...RIGHT, ...(mde ? [true] : [])];
  const rows = slices.map((s) => {
    const name = sliceName(s);
    return { slice: s, cells: [name.set, name.slice, ...numbers(s, mde)] };
  });
  const all = [header, ...rows.map((r) => r.cells)];
  const w = header.map((_, i) => Math.max(...all.map((r) => displayWidth(r[i] as string))));
  const numbersWidth = w.slice(2).reduce((a, b) => a + b, 0) + GAP.length * (w.length - 2);
  const room = width - numbersWidth;
  const line = (cells: string[]) =>
    cells
      .map((c, i) => pad(c, w[i] as number, right[i] as boolean))
      .join(GAP)
      .trimEnd();
  if (room < MIN_NAMES) {
    if (numbersWidth > width) return blocks(header, rows, width);
    // The numbers fit but not beside the names: each slice's names on a line above its numbers.
    const numbersOnly = (cells: string[]) =>
      cells
        .map((c, i) => (i < 2 ? "" : pad(c, w[i] as number, right[i] as boolean)))
        .slice(1)
        .join(GAP)
        .trimEnd();
    const out: TableLine[] = [
      { text: "set / slice", slice: null },
      { text: numbersOnly(header), slice: null },
    ];
    for (const { slice, cells } of rows) {
      for (const text of wrap(`${cells[0]} / ${cells[1]}`, width, "  ")) out.push({ text, slice });
      out.push({ text: numbersOnly(cells), slice });
    }
    return out;
  }

  // Too wide: the set column takes the width that keeps the most rows on one line; longer names stack.
  if ((w[0] as number) + GAP.length + (w[1] as number) > room) {
    const fits = (setWidth: number) =>
      rows.filter(
        (r) =>
          displayWidth(r.cells[0] as string) <= setWidth &&
          displayWidth(r.cells[1] as string) <= room - GAP.length - setWidth,
      ).length;
    let best = displayWidth(header[0] as string);
    for (let x = best + 1; x <= Math.min(w[0] as number, room - GAP.length - 5); x++) {
      if (fits(x) > fits(best)) best = x;
    }
    w[0] = best;
    w[1] = room - GAP.length - best;
  }
  const out: TableLine[] = [{ text: line(header), slice: null }];
  for (const { slice, cells } of rows) {
    const [set, name] = cells as [string, string];
    if (displayWidth(set) <= (w[0] as number) && displayWidth(name) <= (w[1] as number)) {
      out.push({ text: line(cells), slice });
      continue;
    }
    for (const text of nameLines(set, name, w[0] as number, width)) out.push({ text, slice });
    out.push({ text: line(["", "", ...cells.slice(2)]), slice });
  }
  return out;
}

/**
 * A row's names on lines of their own, above its numbers: the slice where its column starts (when
 * the set fits its column) and wrapped there; a set name too long for that, then ` / ` and the slice.
 */
function nameLines(set: string, slice: string, setWidth: number, width: number): string[] {
  const lead = displayWidth(set) <= setWidth ? pad(set, setWidth) + GAP : set + GAP;
  const room = width - displayWidth(lead);
  if (room < Math.min(20, width / 2)) return wrap(`${set} / ${slice}`, width, "  ");
  const indent = " ".repeat(displayWidth(lead));
  return wrap(slice, room).map((text, i) => (i === 0 ? lead : indent) + text);
}

/** Too narrow for the numbers' columns: per slice, its name and status, then labelled numbers. */
function blocks(header: string[], rows: { slice: SliceDiff; cells: string[] }[], width: number): TableLine[] {
  const out: TableLine[] = [];
  for (const { slice, cells } of rows) {
    const [set, name, n, ...rest] = cells as string[];
    const status = rest[5] as string;
    for (const text of wrap(`${set} / ${name}: ${status}`, width, "  ")) out.push({ text, slice });
    const fields = [`n ${n}`, ...rest.flatMap((c, i) => (i === 5 ? [] : [`${header[i + 3]} ${c}`]))];
    for (const text of packFields(fields, width, "  ")) out.push({ text, slice });
  }
  return out;
}
