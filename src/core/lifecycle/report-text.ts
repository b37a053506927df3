// What `sample` and `rotate` print, and the plain-text table every life-cycle command prints with
// (`check`'s own text is in check-text.ts). Names come from files anyone can edit, so each goes
// through plainText (no control sequences).

import { plainText } from "../report/render/escape.js";
import { integer, percent, plural } from "../report/render/format.js";
import type { RotateResult } from "./rotation.js";
import type { SampleResult } from "./sample.js";

/** Columns padded to their widest cell; `right` marks the numeric ones. */
export function textTable(header: string[], rows: string[][], right: boolean[]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (r: string[]) =>
    r
      .map((c, i) => (right[i] ? c.padStart(widths[i] as number) : c.padEnd(widths[i] as number)))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}

/** Drop sizes in points: `0.384` -> `38.4 pts`. */
export function dropPoints(d: number): string {
  return `${percent(d).replace("%", "")} pts`;
}

export interface SampleReportContext {
  traces: number;
  unusable: number;
  unsliced: number;
  sliceField: string;
  defaultSlice: string;
  seed: number;
  hardShare: number;
  minSliceN: number;
  out: string;
}

export function renderSampleReport(r: SampleResult, ctx: SampleReportContext): string {
  const drawn = r.cases.length;
  const hardDrawn = r.slices.reduce((n, s) => n + s.hard_drawn, 0);
  const out: string[] = [
    `eval-gate sample: ${plural(drawn, "case")} from ${plural(ctx.traces, "trace")} (seed ${ctx.seed}) -> ${plainText(ctx.out, 200)}`,
    "",
  ];
  const proportional = r.allocation === "proportional";
  const header = [
    "slice",
    "available",
    "hard available",
    ...(proportional ? ["quota"] : []),
    "drawn",
    "hard drawn",
  ];
  const rows = r.slices.map((s) => [
    plainText(s.slice, 40),
    integer(s.available),
    integer(s.hard_available),
    ...(proportional ? [s.quota === null ? "-" : s.quota.toFixed(2)] : []),
    integer(s.drawn),
    integer(s.hard_drawn),
  ]);
  const total = (f: (s: SampleResult["slices"][number]) => number) =>
    integer(r.slices.reduce((n, s) => n + f(s), 0));
  rows.push([
    "total",
    total((s) => s.available),
    total((s) => s.hard_available),
    ...(proportional ? [""] : []),
    integer(drawn),
    integer(hardDrawn),
  ]);
  out.push(
    textTable(
      header,
      rows,
      header.map((_, i) => i > 0),
    ),
  );
  out.push("");
  if (proportional) {
    out.push(
      `Slice sizes are proportional to each slice's usable traces: quota = ${integer(r.requested)} × available / all available.`,
      "Each slice gets the whole part of its quota; the cases left over go one each to the largest fractional parts (largest remainder).",
    );
  } else {
    out.push(`Every slice gets ${integer(r.requested / Math.max(1, r.slices.length))} cases, or all it has.`);
  }
  out.push(
    `Hard traces: ${integer(hardDrawn)} of ${integer(drawn)} drawn (${percent(drawn > 0 ? hardDrawn / drawn : 0)}; target ${percent(ctx.hardShare)} = ${integer(r.hard_target)}), spread over the slices in proportion to their size.`,
  );
  if (hardDrawn < r.hard_target) {
    out.push(`  The slices had too few hard traces to reach the target; the rest are ordinary traces.`);
  }
  const left = [
    r.duplicates > 0 ? `${plural(r.duplicates, "duplicate")} (same id, or near-duplicate text)` : "",
    r.near_existing > 0 ? `${plural(r.near_existing, "near-duplicate")} of cases already in a set` : "",
    r.excluded > 0 ? `${plural(r.excluded, "trace")} whose id a set already holds` : "",
    ctx.unusable > 0 ? `${plural(ctx.unusable, "line")} without a usable input` : "",
  ].filter(Boolean);
  if (left.length > 0) out.push(`Left out: ${left.join("; ")}.`);
  if (ctx.unsliced > 0) {
    out.push(
      `${plural(ctx.unsliced, "trace")} had no \`${plainText(ctx.sliceField, 60)}\`; they are in slice \`${plainText(ctx.defaultSlice, 40)}\`.`,
    );
  }
  if (drawn < r.requested)
    out.push(`Only ${integer(drawn)} of the ${integer(r.requested)} requested cases could be drawn.`);
  const small = r.slices.filter((s) => s.drawn > 0 && s.drawn < ctx.minSliceN);
  if (small.length > 0) {
    out.push(
      `Under ${ctx.minSliceN} cases (gate.min_slice_n), a slice's score is mostly noise: ${small.map((s) => `${plainText(s.slice, 40)} (${s.drawn})`).join(", ")}. Use --min-per-slice ${ctx.minSliceN}, --per-slice, or merge slices.`,
    );
  }
  out.push(
    "",
    "Next: write each case's `expected` (they carry metadata.needs_label), then list the file under `sets:`.",
  );
  return `${out.join("\n")}\n`;
}

export function renderRotateReport(
  r: RotateResult,
  ctx: { file: string; share: number; seed: number; hidden: boolean; dryRun: boolean },
): string {
  const replaced = r.left.length;
  const out: string[] = [
    `eval-gate rotate: ${plural(replaced, "case")} of ${plainText(ctx.file, 200)} replaced with fresh traces (share ${percent(ctx.share)}, seed ${ctx.seed})${ctx.dryRun ? " [dry run: nothing written]" : ""}`,
    "",
  ];
  const header = ["slice", "n", "planned", "replaced", "fresh available"];
  const sum = (f: (s: RotateResult["slices"][number]) => number) =>
    integer(r.slices.reduce((n, s) => n + f(s), 0));
  if (ctx.hidden) {
    // An aggregate-only set shows no case and no slice of its own: totals only.
    out.push(
      textTable(
        header.slice(1),
        [[sum((s) => s.n), sum((s) => s.planned), sum((s) => s.replaced), sum((s) => s.fresh_available)]],
        [true, true, true, true],
      ),
    );
  } else
    out.push(
      textTable(
        header,
        r.slices.map((s) => [
          plainText(s.slice, 40),
          integer(s.n),
          integer(s.planned),
          integer(s.replaced),
          integer(s.fresh_available),
        ]),
        [false, true, true, true, true],
      ),
    );
  out.push(
    "",
    "Per slice, round(share × n) cases leave, chosen by the seed, and as many fresh traces of that slice come in, so the slice proportions stay as they were.",
  );
  const short = r.slices.filter((s) => s.replaced < s.planned);
  if (short.length > 0 && ctx.hidden) {
    out.push("Some slices had too few fresh traces; their other cases stay.");
  } else if (short.length > 0) {
    out.push(
      `Too few fresh traces for: ${short.map((s) => `${plainText(s.slice, 40)} (${s.replaced} of ${s.planned})`).join(", ")}; their other cases stay.`,
    );
  }
  if (ctx.hidden) {
    out.push(`The set is aggregate-only: ${plural(replaced, "case")} left and came in (ids not shown).`);
  } else {
    const bySlice = <T extends { slice: string }>(items: T[], show: (x: T) => string) =>
      [...new Set(items.map((x) => x.slice))].map(
        (slice) =>
          `  ${plainText(slice, 40)}: ${items
            .filter((x) => x.slice === slice)
            .map(show)
            .join(", ")}`,
      );
    if (r.left.length > 0)
      out.push(`Left (${r.left.length}):`, ...bySlice(r.left, (x) => plainText(x.id, 80)));
    if (r.came.length > 0)
      out.push(
        `Came in (${r.came.length}):`,
        ...bySlice(r.came, (x) => `${plainText(x.id, 80)}${x.hard ? " (hard)" : ""}`),
      );
  }
  const left = [
    r.duplicates > 0 ? `${plural(r.duplicates, "duplicate")} among the fresh traces` : "",
    r.near_existing > 0 ? `${plural(r.near_existing, "near-duplicate")} of cases already in a set` : "",
    r.excluded > 0 ? `${plural(r.excluded, "trace")} whose id a set already holds` : "",
    r.other_slices > 0 ? `${plural(r.other_slices, "trace")} of slices the set does not have` : "",
  ].filter(Boolean);
  if (left.length > 0) out.push(`Not drawn: ${left.join("; ")}.`);
  if (r.came.length > 0)
    out.push("", "Next: write the new cases' `expected` (metadata.needs_label) before merging.");
  return `${out.join("\n")}\n`;
}
