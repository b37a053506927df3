import { robustness } from "../lifecycle/perturb.js";
import type { Report, SliceDiff, SliceStatus } from "../types.js";
import { behaviourLine } from "./behaviour.js";
import { dimensionsLine } from "./dimensions.js";
import { plainText } from "./escape.js";
import {
  informativeP,
  interval,
  percent,
  plural,
  points,
  pValue,
  STATUS_WORD,
  worstFirst,
} from "./format.js";
import { extraRunsNote } from "./repeats.js";
import { headOnly, NO_BASELINE } from "./sections.js";
import { ciLevel, hasMde, mdeCell } from "./tables.js";
import { unlabelledLines } from "./unlabelled.js";

export interface TerminalOptions {
  /** ANSI colours; the CLI turns them on for a TTY that has not asked for NO_COLOR. */
  color?: boolean;
  /** Columns available; the slice and set names give way first. Default 120. */
  width?: number;
}

const ANSI: Partial<Record<SliceStatus | "bold", string>> = {
  regressed: "\u001b[31m",
  below_floor: "\u001b[31m",
  dropped: "\u001b[33m",
  below_floor_unproven: "\u001b[33m",
  improved: "\u001b[32m",
  bold: "\u001b[1m",
};
const RESET = "\u001b[0m";

function isZeroWidth(cp: number): boolean {
  return (cp >= 0x300 && cp <= 0x36f) || cp === 0x200b || cp === 0x200d || (cp >= 0xfe00 && cp <= 0xfe0f);
}

function isWide(cp: number): boolean {
  return (
    (cp >= 0x1100 && cp <= 0x115f) ||
    (cp >= 0x2e80 && cp <= 0xa4cf) ||
    (cp >= 0xac00 && cp <= 0xd7a3) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0xfe30 && cp <= 0xfe4f) ||
    (cp >= 0xff00 && cp <= 0xff60) ||
    (cp >= 0xffe0 && cp <= 0xffe6) ||
    (cp >= 0x1f300 && cp <= 0x1faff) ||
    (cp >= 0x20000 && cp <= 0x3fffd)
  );
}

function charWidth(ch: string): number {
  const cp = ch.codePointAt(0) ?? 0;
  return isZeroWidth(cp) ? 0 : isWide(cp) ? 2 : 1;
}

/** Columns a string takes in a monospace terminal, near enough for CJK and emoji names. */
export function displayWidth(s: string): number {
  let w = 0;
  for (const ch of s) w += charWidth(ch);
  return w;
}

function clip(s: string, width: number): string {
  if (displayWidth(s) <= width) return s;
  let out = "";
  let w = 0;
  for (const ch of s) {
    if (w + charWidth(ch) > width - 1) break;
    out += ch;
    w += charWidth(ch);
  }
  return `${out}…`;
}

function pad(s: string, width: number, right: boolean): string {
  const gap = " ".repeat(Math.max(0, width - displayWidth(s)));
  return right ? gap + s : s + gap;
}

const HEADER = ["set", "slice", "n", "base", "head", "Δ", "CI", "p_adj", "status"];
const RIGHT = [false, false, true, true, true, true, true, true, false];
// With minimum detectable drops in the report, their column comes last: the columns people and
// scripts already read keep their places.
const HEADER_MDE = [...HEADER, "mde"];
const RIGHT_MDE = [...RIGHT, true];
const GAP = "  ";

function cells(s: SliceDiff, mde: boolean): string[] {
  return [
    plainText(s.set, 40),
    plainText(s.slice, 60),
    `${s.n}${s.undersampled ? "*" : ""}`,
    percent(s.base_score),
    percent(s.head_score),
    points(s.delta),
    interval(s.ci_low, s.ci_high),
    pValue(informativeP(s)),
    STATUS_WORD[s.status],
    ...(mde ? [mdeCell(s.mde)] : []),
  ];
}

/** Column widths, shrinking the slice (index 1) then the set (index 0) column to fit `width`. */
function widths(rows: string[][], width: number): number[] {
  const w = (rows[0] as string[]).map((_, i) => Math.max(...rows.map((r) => displayWidth(r[i] as string))));
  const total = () => w.reduce((a, b) => a + b, 0) + GAP.length * (w.length - 1);
  for (const [col, min] of [
    [1, 8],
    [0, 6],
  ] as const) {
    const over = total() - width;
    if (over > 0) w[col] = Math.max(min, (w[col] as number) - over);
  }
  return w;
}

export function renderTerminal(report: Report, options: TerminalOptions = {}): string {
  const color = options.color ?? false;
  const paint = (code: string | undefined, s: string) => (color && code ? `${code}${s}${RESET}` : s);
  const slices = worstFirst(report.slices);
  const mde = hasMde(report);
  // The interval's coverage belongs in its header: 90% at alpha 0.05, not the 95% people assume.
  const header = (mde ? HEADER_MDE : HEADER).map((h) => (h === "CI" ? `${ciLevel(report)} CI` : h));
  const right = mde ? RIGHT_MDE : RIGHT;
  const rows = [header, ...slices.map((s) => cells(s, mde))];
  const w = widths(rows, options.width ?? 120);
  const line = (r: string[]) =>
    r
      .map((c, i) => pad(clip(c, w[i] as number), w[i] as number, right[i] as boolean))
      .join(GAP)
      .trimEnd();

  const out = [paint(ANSI.bold, line(header))];
  slices.forEach((s, i) => {
    out.push(paint(ANSI[s.status], line(rows[i + 1] as string[])));
  });
  if (slices.length === 0) out.push("(no slices)");
  if (slices.some((s) => s.undersampled)) out.push("* fewer cases than gate.min_slice_n");
  if (mde) {
    out.push(
      "mde: the smallest drop each slice's test detects with 80% power at this run's design and noise (none: no drop is)",
    );
  }
  if (
    report.base !== null &&
    report.config.mode === "statistical" &&
    slices.some((s) => s.ci_level !== undefined)
  ) {
    out.push(
      `CI: the slice's exact test inverted (each end one-sided at 1 - α = ${percent(1 - report.config.alpha)}); p_adj: Holm over the tests that can fail the run; dropped: p < α before the adjustment`,
    );
  }
  if (report.base !== null && slices.some((s) => s.status === "no_baseline")) {
    out.push("no baseline: no case of the slice was graded on both sides, so nothing was compared");
  }
  const extra = extraRunsNote(report, 5, "plain");
  if (extra) out.push(extra);
  const overfitting = report.signals?.overfitting;
  if (overfitting) out.push(paint(ANSI.dropped, `overfitting? ${plainText(overfitting.note, 400)}`));
  const robust = robustness(report.cases);
  if (robust) {
    out.push(
      `robustness: ${percent(robust.flipped / robust.variants)} of ${plural(robust.variants, "perturbed variant")} flip (${robust.by
        .slice(0, 6)
        .map((k) => `${plainText(k.perturbation, 30)} ${percent(k.flipped / k.variants)}`)
        .join(", ")})`,
    );
  }
  const dims = dimensionsLine(report);
  if (dims) out.push(paint(ANSI.dropped, dims));
  const behaviour = behaviourLine(report);
  if (behaviour) out.push(paint(report.drift?.mode === "fail" ? ANSI.regressed : ANSI.dropped, behaviour));
  if (headOnly(report)) out.push(NO_BASELINE);
  for (const line of unlabelledLines(report)) out.push(paint(ANSI.dropped, line));
  if (report.errors.runs > 0) {
    const causes = report.errors.causes.slice(0, 3).map((c) => plainText(c, 100));
    out.push(
      `errors: ${plural(report.errors.runs, "run")} (${percent(report.errors.rate)})${causes.length > 0 ? `: ${causes.join("; ")}` : ""}`,
    );
  }
  const why = report.reasons.slice(0, 3).map((r) => plainText(r, 160));
  const more = report.reasons.length - why.length;
  if (more > 0) why.push(`and ${more} more`);
  const verdictCode = {
    pass: ANSI.improved,
    review: ANSI.dropped,
    fail: ANSI.regressed,
    error: ANSI.regressed,
    skipped: ANSI.dropped,
  }[report.verdict];
  const verdict = paint(verdictCode, `verdict: ${report.verdict.toUpperCase()}`);
  out.push(`${verdict}${why.length > 0 ? ` (${why.join("; ")})` : ""}`);
  return `${out.join("\n")}\n`;
}
