import type { Report, SliceDiff } from "../../report-types.js";
import type { CaseResult, CaseSideResult } from "../../types.js";
import { fencedBlock, htmlText, inlineText } from "./escape.js";
import { bySeverity, byText, caseScore, integer, plural, STATUS_ICON, STATUS_WORD } from "./format.js";
import { aggregateSets } from "./tables.js";

/**
 * `worse`: passed (more often) on base than on head; `better`: the reverse; `failing`: fails on
 * head where there is no baseline to flip from.
 */
export type DetailKind = "worse" | "better" | "failing";

export interface SliceDetail {
  kind: DetailKind;
  set: string;
  slice: string;
  /** The slice's diff, when the report has it; decides the block's place. */
  key: SliceDiff | null;
  cases: CaseResult[];
}

/** How much of each case a detail block shows; renderers step down these as space runs out. */
export interface DetailLevel {
  output: number;
  input: number;
  expected: number;
  /** Cases shown per block; the rest are counted. */
  cases: number;
}

/** Longest input or expected value shown inline rather than in a code block. */
const SHORT_FIELD = 160;

const KIND_RANK: Record<DetailKind, number> = { worse: 0, failing: 0, better: 1 };

function change(c: CaseResult): number {
  return (caseScore(c.head) ?? 0) - (caseScore(c.base) ?? 0);
}

/**
 * Detail blocks, most important first: cases that got worse (or fail, without a baseline) in the
 * worst slices first, then cases that got better. Aggregate sets never appear.
 * `failing` picks the slices whose failures are shown when there is no baseline.
 */
export function collectDetails(report: Report, failing: (s: SliceDiff) => boolean): SliceDetail[] {
  const hidden = aggregateSets(report);
  const slices = new Map(report.slices.map((s) => [`${s.set}\u0000${s.slice}`, s]));
  const blocks = new Map<string, SliceDetail>();
  for (const c of report.cases) {
    if (hidden.has(c.set)) continue;
    const key = slices.get(`${c.set}\u0000${c.slice}`) ?? null;
    if (key?.aggregate) continue;
    const head = caseScore(c.head);
    const base = caseScore(c.base);
    if (head === null) continue;
    let kind: DetailKind | null = null;
    if (report.base === null || c.base === null) {
      if (head < 1 && (key === null || failing(key))) kind = "failing";
    } else if (base !== null && head < base) kind = "worse";
    else if (base !== null && head > base) kind = "better";
    if (!kind) continue;
    const id = `${kind}\u0000${c.set}\u0000${c.slice}`;
    const block = blocks.get(id) ?? { kind, set: c.set, slice: c.slice, key, cases: [] };
    block.cases.push(c);
    blocks.set(id, block);
  }
  const list = [...blocks.values()];
  for (const b of list) {
    b.cases.sort(
      (x, y) => (b.kind === "better" ? change(y) - change(x) : change(x) - change(y)) || x.line - y.line,
    );
  }
  return list.sort(
    (a, b) =>
      KIND_RANK[a.kind] - KIND_RANK[b.kind] ||
      (a.key && b.key ? bySeverity(a.key, b.key) : a.key ? -1 : b.key ? 1 : 0) ||
      byText(a.set, b.set) ||
      byText(a.slice, b.slice),
  );
}

function sideLabel(side: CaseSideResult | null): string {
  if (!side) return "not run";
  // `runs` counts graded runs; errored ones are counted apart (reduce.ts).
  if (side.runs <= 0) return "errored";
  const errored = side.errors > 0 ? `, ${side.errors} errored` : "";
  if (side.runs === 1 && side.errors === 0) return side.passes === 1 ? "passed" : "failed";
  return `passed ${side.passes}/${side.runs}${errored}`;
}

function asText(x: unknown): string {
  if (typeof x === "string") return x;
  try {
    return JSON.stringify(x, null, 2) ?? String(x);
  } catch {
    return String(x);
  }
}

function summaryLine(d: SliceDetail, repeats: number): string {
  const where = htmlText(`${d.set} / ${d.slice}`, 80);
  const status = d.key ? ` (${STATUS_WORD[d.key.status]})` : "";
  const icon = d.key ? STATUS_ICON[d.key.status] : "•";
  const n = plural(d.cases.length, "case");
  const what =
    d.kind === "failing"
      ? `${n} fail on head`
      : d.kind === "worse"
        ? repeats > 1
          ? `${n} pass less often on head than on base`
          : `${n} passed on base, fail on head`
        : repeats > 1
          ? `${n} pass more often on head than on base`
          : `${n} failed on base, pass on head`;
  return `<details><summary>${icon} ${where}${status}: ${what}</summary>`;
}

export interface RenderedDetail {
  text: string;
  /** Whether any input, expected or output text was shortened. */
  textCut: boolean;
  /** Cases counted but not shown. */
  casesLeft: number;
}

function fullCase(c: CaseResult, level: DetailLevel): { text: string; cut: boolean } {
  let cut = false;
  const block = (s: string, max: number) => {
    const r = fencedBlock(s, max);
    if (r.cut > 0) cut = true;
    return r.text;
  };
  const title = [
    `**${inlineText(c.id, 80)}**`,
    `line ${integer(c.line)}`,
    c.head_reason ? `head failed: ${inlineText(c.head_reason, 240)}` : "",
  ]
    .filter(Boolean)
    .join(" · ");
  // Short one-line fields read better as a list; anything longer keeps its lines in a fence.
  const bullets: string[] = [];
  const blocks: string[] = [];
  const field = (label: string, value: string, max: number) => {
    if (!/[\r\n]/.test(value) && value.length <= Math.min(SHORT_FIELD, max)) {
      bullets.push(`- **${label}:** ${inlineText(value, SHORT_FIELD)}`);
    } else blocks.push(`**${label}**\n${block(value, max)}`);
  };
  if (c.input !== undefined) field("Input", c.input, level.input);
  if (c.expected !== undefined) field("Expected", asText(c.expected), level.expected);
  const output = (label: string, side: CaseSideResult, text: string | undefined) =>
    `**${label}** · ${sideLabel(side)}\n${text === undefined ? "_no output recorded_" : block(text, level.output)}`;
  if (c.base) blocks.push(output("Base output", c.base, c.base_output));
  blocks.push(output("Head output", c.head, c.head_output));
  const parts = [title, bullets.join("\n"), ...blocks].filter((p) => p.length > 0);
  return { text: parts.join("\n\n"), cut };
}

function shortCase(c: CaseResult): string {
  const reason = c.base_reason ? ` · base: ${inlineText(c.base_reason, 120)}` : "";
  const input = c.input !== undefined ? ` · input: ${inlineText(c.input, 80)}` : "";
  return `- **${inlineText(c.id, 80)}** (line ${integer(c.line)})${reason}${input}`;
}

/** One collapsed block. `more` says where the cases left out can be read. */
export function renderDetail(
  d: SliceDetail,
  level: DetailLevel,
  repeats: number,
  more: string,
): RenderedDetail {
  const shown = d.cases.slice(0, Math.max(0, level.cases));
  const casesLeft = d.cases.length - shown.length;
  let textCut = false;
  let body: string;
  if (d.kind === "better") {
    body = shown.map(shortCase).join("\n");
  } else {
    body = shown
      .map((c) => {
        const r = fullCase(c, level);
        textCut ||= r.cut;
        return r.text;
      })
      .join("\n\n");
  }
  const tail = casesLeft > 0 ? `\n\n_… and ${plural(casesLeft, "more case")}: ${more}._` : "";
  return { text: `${summaryLine(d, repeats)}\n\n${body}${tail}\n\n</details>`, textCut, casesLeft };
}
