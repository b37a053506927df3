// What `check` prints: whether the config is valid, each slice's power and minimum detectable drop,
// and what it found (leaks, near-duplicates, cases waiting for a label), as plain-text tables.
// Names come from files anyone can edit, so each goes through plainText (no control sequences).

import { plainText } from "../report/render/escape.js";
import { integer, percent, plural } from "../report/render/format.js";
import type { CheckResult } from "./check.js";
import { dropPoints, textTable } from "./report-text.js";

function caseRef(id: string | null, line: number): string {
  return id === null ? `line ${line}` : `${plainText(id, 60)} (line ${line})`;
}

/** What check found of one kind: the line that says there is none, or a heading and a table of it. */
function findings(out: string[], none: string, heading: string, header: string[], rows: string[][]): void {
  if (rows.length === 0) out.push(none);
  else
    out.push(
      heading,
      textTable(
        header,
        rows,
        header.map(() => false),
      ),
    );
}

export function renderCheckReport(
  r: CheckResult,
  ctx: { config: string; cases: number; sets: number; minSliceN: number; fromReport: boolean },
): string {
  const out: string[] = [
    `eval-gate check: ${plainText(ctx.config, 200)} is valid: ${plural(ctx.sets, "set")}, ${plural(r.slices.length, "slice")}, ${plural(ctx.cases, "case")}.`,
    "",
    `Power: α = ${r.alpha} / ${plural(r.family, "test")} = ${r.alpha_per_slice.toPrecision(2)} per test (Holm's first step, the worst case), ${percent(r.power)} power.`,
    ctx.fromReport
      ? "Base pass rates and per-request noise from the report (where a slice is missing from it: 90%, and every case a coin with that rate)."
      : "Base pass rate 90% and every case a coin with that rate assumed, the most noise there can be (pass --report to use what a run measured).",
    "",
  ];
  // A column for the cases that wait for a label only when there are any.
  const waiting = r.slices.some((s) => s.unlabelled > 0);
  const rows = r.slices.map((s) => [
    plainText(s.set, 40),
    plainText(s.slice, 40) + (s.undersampled ? " †" : ""),
    integer(s.n),
    `${percent(s.base_rate)}${ctx.fromReport && s.base_rate_source === "assumed" ? "*" : ""}`,
    s.mde === null ? "none (too few cases)" : `>= ${dropPoints(s.mde)}`,
    ...(waiting ? [s.unlabelled > 0 ? integer(s.unlabelled) : ""] : []),
  ]);
  const header = ["set", "slice", "n", "base", "can see drops of", ...(waiting ? ["unlabelled"] : [])];
  out.push(
    textTable(
      header,
      rows,
      header.map((_, i) => i >= 2),
    ),
  );
  const notes: string[] = [];
  if (waiting) notes.push("n: the labelled cases a run grades; unlabelled: left out until they have a label");
  if (r.slices.some((s) => s.undersampled)) notes.push(`† under gate.min_slice_n (${ctx.minSliceN})`);
  if (ctx.fromReport && r.slices.some((s) => s.base_rate_source === "assumed")) notes.push("* assumed");
  if (notes.length > 0) out.push(notes.join("; "));
  out.push(
    "A drop is seen when the gate's exact test rejects with the stated power at the config's repeats and mode; the drop takes the same share of every case's pass rate, and cases that share a cluster count as one unit.",
    "",
  );

  findings(
    out,
    "Leaks: none (no case input or expected text found in the prompts).",
    `Leaks: ${plural(r.leaks.length, "case text")} found in the prompts (testing memorisation, not capability):`,
    ["set", "case", "field", "prompt", "match"],
    r.leaks.map((l) => [
      plainText(l.set, 40),
      caseRef(l.id, l.line),
      l.field,
      `${plainText(l.prompt, 80)}:${l.prompt_line}`,
      l.kind === "exact" ? "exact" : `${percent(l.share)} of 8-grams`,
    ]),
  );
  out.push("");
  findings(
    out,
    "Overlap between sets: none.",
    `Overlap between sets: ${plural(r.overlaps.length, "pair")} of cases with the same input:`,
    ["set", "case", "set", "case", "match"],
    r.overlaps.map((o) => [
      plainText(o.a, 40),
      caseRef(o.id_a, o.line_a),
      plainText(o.b, 40),
      caseRef(o.id_b, o.line_b),
      o.kind === "exact" ? "exact" : `near (${percent(o.similarity)})`,
    ]),
  );
  for (const n of r.needs_label) {
    out.push(
      `Labels: ${plural(n.count, "case")} of ${plainText(n.set, 40)} still need an expected value; a run sends ${n.count === 1 ? "it" : "them"} to no model and grades ${n.count === 1 ? "it" : "them"} with nothing until ${n.count === 1 ? "it has" : "they have"} one (write \`expected\`, or clear metadata.needs_label where the graders need none).`,
    );
  }
  const problems = r.leaks.length + r.overlaps.length;
  const waitingCases = r.needs_label.reduce((n, x) => n + x.count, 0);
  const unlabelled =
    waitingCases > 0
      ? `${plural(waitingCases, "unlabelled case")} ${waitingCases === 1 ? "is" : "are"} left out of every run until labelled`
      : "";
  out.push(
    "",
    problems > 0
      ? `Result: ${plural(r.leaks.length, "leak")}, ${plural(r.overlaps.length, "overlap")}: remove the cases from the prompt (or the set), and keep each case in one set.${unlabelled ? ` Also: ${unlabelled}.` : ""}`
      : unlabelled
        ? `Result: no leaks or overlaps; ${unlabelled}.`
        : "Result: clean.",
  );
  return `${out.join("\n")}\n`;
}
