import { bySeverity } from "./render/format.js";
import { type CaseTextLimits, caseRank, fitCase } from "./report-fit-case.js";
import { COUNT_LIMITS, expectedSize, REPORT_BYTES, TEXT_LIMITS } from "./report-limits.js";
import { ARRAY_FRAME_BYTES, elementBytes, skeletonBytes } from "./report-size.js";
import type { CaseResult, Report } from "./types.js";

// Room for the notes this file adds to `reasons` after measuring: a few short lines.
const NOTES_RESERVE = 16 * 1024;

/** Case texts are cut further, step by step, until the cases fit; 0 leaves them out. */
const TEXT_STEPS = [TEXT_LIMITS.output, 20_000, 5_000, 1_000, 200, 0];

const MB = `${REPORT_BYTES / (1024 * 1024)} MB`;

/**
 * Keeps the report file under REPORT_BYTES, in stages that give up the least first: cases' texts
 * shorter, then fewer cases (those that got worse, errored or changed kept first), and only then
 * fewer slices (the worst kept first). Slices come before cases because they carry the verdict;
 * the verdict and the error counts always describe the whole run. Each stage says so in `notes`.
 */
export function fitBytes(report: Report, notes: string[]): Report {
  let room =
    REPORT_BYTES - NOTES_RESERVE - skeletonBytes(report, ["slices", "cases"]) - 2 * ARRAY_FRAME_BYTES;
  const slices = keepBest(report.slices, bySeverity, {
    max: COUNT_LIMITS.slices,
    sizes: report.slices.map(elementBytes),
    room,
  });
  room -= slices.bytes;
  if (slices.items.length < report.slices.length)
    notes.push(
      `The report lists the ${slices.items.length} worst of ${report.slices.length} slices, to stay under ${MB}; the verdict counts them all.`,
    );

  const cases = keepBest(report.cases, byRank, { max: COUNT_LIMITS.cases }).items;
  let step = firstPossibleStep(cases, room);
  let sized = step > 0 ? cases.map((c) => fitCase(c, limitsAt(step))) : cases;
  let sizes = sized.map(elementBytes);
  while (sum(sizes) > room && step < TEXT_STEPS.length - 1) {
    step++;
    sized = cases.map((c) => fitCase(c, limitsAt(step)));
    sizes = sized.map(elementBytes);
  }
  // Said only when a text did get shorter: cases with little text may need the last step anyway.
  if (sum(sized.map(textUnits)) < sum(cases.map(textUnits))) {
    const limit = TEXT_STEPS[step] as number;
    notes.push(
      limit > 0
        ? `Case texts (outputs, inputs, expected values, grader reasons) are cut to ${limit} characters each, to keep the report under ${MB}.`
        : `Case texts (outputs, inputs, expected values, grader reasons) are left out, to keep the report under ${MB}.`,
    );
  }
  const kept = keepBest(sized, byRank, { max: sized.length, sizes, room }).items;
  if (kept.length < report.cases.length)
    notes.push(
      `The report lists ${kept.length} of ${report.cases.length} cases (those that got worse, errored or changed first), to stay under ${MB}.`,
    );
  return { ...report, slices: slices.items, cases: kept };
}

function limitsAt(step: number): CaseTextLimits {
  const limit = TEXT_STEPS[step] as number;
  return { output: limit, input: limit, expected: limit, reason: Math.min(TEXT_LIMITS.reason, limit) };
}

/**
 * The first step that might fit, judged by length alone (a code unit takes at least a byte), so a
 * huge run is not serialized case by case at sizes it cannot have.
 */
function firstPossibleStep(cases: CaseResult[], room: number): number {
  const lengths = cases.flatMap(textLengths);
  for (let step = 0; step < TEXT_STEPS.length - 1; step++) {
    const limit = TEXT_STEPS[step] as number;
    let total = 0;
    for (const n of lengths) total += Math.min(n, limit);
    if (total <= room) return step;
  }
  return TEXT_STEPS.length - 1;
}

/** The lengths of a case's texts (an expected value's as compact JSON: never more than its bytes). */
function textLengths(c: CaseResult): number[] {
  const expected = c.expected === undefined ? 0 : expectedSize(c.expected);
  return [c.base_output, c.head_output, c.input, c.base_reason, c.head_reason]
    .map((t) => t?.length ?? 0)
    .concat(Number.isFinite(expected) ? expected : 0);
}

function textUnits(c: CaseResult): number {
  return sum(textLengths(c));
}

/**
 * The best of `items` by `order`: at most `max` of them and, given their sizes, as many as fit in
 * `room`; in their original order, with the bytes they take.
 */
function keepBest<X>(
  items: X[],
  order: (a: X, b: X) => number,
  limit: { max: number; sizes?: number[]; room?: number },
): { items: X[]; bytes: number } {
  const sizes = limit.sizes ?? [];
  const room = limit.room ?? Number.POSITIVE_INFINITY;
  const total = sum(sizes);
  if (items.length <= limit.max && total <= room) return { items, bytes: total };
  const ranked = items.map((_, i) => i).sort((a, b) => order(items[a] as X, items[b] as X) || a - b);
  const kept: number[] = [];
  let bytes = 0;
  for (const i of ranked) {
    const size = sizes[i] ?? 0;
    if (kept.length >= limit.max || bytes + size > room) break;
    bytes += size;
    kept.push(i);
  }
  return { items: kept.sort((a, b) => a - b).map((i) => items[i] as X), bytes };
}

function byRank(a: CaseResult, b: CaseResult): number {
  return caseRank(a) - caseRank(b);
}

function sum(values: number[]): number {
  let total = 0;
  for (const v of values) total += v;
  return total;
}
