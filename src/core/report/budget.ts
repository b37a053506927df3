import {
  type CaseTextLimits,
  COUNT_LIMITS,
  expectedSize,
  REPORT_BYTES,
  TEXT_LIMITS,
} from "../report-limits.js";
import type { Report } from "../report-types.js";
import type { CaseResult } from "../types.js";
import { caseRank, fitCase } from "./fit-case.js";
import { needStore, type ParkedTexts } from "./park.js";
import { parkedId } from "./parked.js";
import { bySeverity } from "./render/format.js";
import { ARRAY_FRAME_BYTES, elementBytes, skeletonBytes } from "./size.js";

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
 * Cases whose texts were put aside (report/park.ts) are measured with them, from `parked`.
 */
export function fitBytes(report: Report, notes: string[], parked?: ParkedTexts): Report {
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
  const possible = firstPossibleStep(cases, room, (c, visit) => eachLength(c, parked, visit));
  let step = possible.step;
  // Measured, not kept: only the cases the report keeps are cut copies in the end.
  let measured = measureAt(cases, step, parked);
  const last = TEXT_STEPS.length - 1;
  while (sum(measured.sizes) > room && step < last) {
    step++;
    // A step that cuts no text leaves every case as it was, and so every size.
    if ((TEXT_STEPS[step] as number) > 0 && possible.longest <= (TEXT_STEPS[step] as number)) continue;
    measured = measureAt(cases, step, parked);
  }
  // Said only when a text did get shorter: cases with little text may need the last step anyway.
  if (step > 0 && measured.units < possible.units) {
    const limit = TEXT_STEPS[step] as number;
    notes.push(
      limit > 0
        ? `Case texts (outputs, inputs, expected values, grader reasons) are cut to ${limit} characters each, to keep the report under ${MB}.`
        : `Case texts (outputs, inputs, expected values, grader reasons) are left out, to keep the report under ${MB}.`,
    );
  }
  const best = keepBest(cases, byRank, { max: cases.length, sizes: measured.sizes, room }).items;
  const limits = step > 0 ? limitsAt(step) : undefined;
  const kept = limits ? best.map((c) => fitCase(c, limits)) : best;
  if (kept.length < report.cases.length)
    notes.push(
      `The report lists ${kept.length} of ${report.cases.length} cases (those that got worse, errored or changed first), to stay under ${MB}.`,
    );
  return { ...report, slices: slices.items, cases: kept };
}

/** Every case's size in the file and the length of all case texts, once cut at `step`. */
function measureAt(
  cases: CaseResult[],
  step: number,
  parked: ParkedTexts | undefined,
): { sizes: number[]; units: number } {
  const limits = step > 0 ? limitsAt(step) : undefined;
  const sizes: number[] = [];
  let units = 0;
  for (const c of cases) {
    const m = measureCase(limits ? fitCase(c, limits) : c, parked);
    sizes.push(m.bytes);
    units += m.units;
  }
  return { sizes, units };
}

/**
 * Visits the length of each of a case's texts, those put aside included (report/park.ts). A
 * visitor, not a list: this runs for every case of the report, once or twice.
 */
function eachLength(c: CaseResult, parked: ParkedTexts | undefined, visit: (n: number) => void): void {
  const store = needStore(c, parked);
  const aside = store && parkedId(c) !== undefined ? store.parkedLengths(c) : null;
  if (aside === undefined) {
    // Cut since it was put aside: read back.
    eachTextLength((store as ParkedTexts).unpark(c), visit);
    return;
  }
  eachTextLength(c, visit);
  if (aside) for (const n of aside) visit(n);
}

/** A case's size in the file and the length of all its texts, those put aside included (report/park.ts). */
function measureCase(c: CaseResult, parked: ParkedTexts | undefined): { bytes: number; units: number } {
  const store = needStore(c, parked);
  if (store && parkedId(c) !== undefined) {
    const aside = store.parkedLengths(c);
    if (aside) return { bytes: store.caseBytes(c), units: textUnits(c) + sum(aside) };
    // Cut since it was put aside: measured as it will be written (read back once for both).
    const whole = store.unpark(c);
    return { bytes: elementBytes(whole), units: textUnits(whole) };
  }
  return { bytes: elementBytes(c), units: textUnits(c) };
}

function limitsAt(step: number): CaseTextLimits {
  const limit = TEXT_STEPS[step] as number;
  return { output: limit, input: limit, expected: limit, reason: Math.min(TEXT_LIMITS.reason, limit) };
}

/**
 * The first step that might fit, judged by length alone (a code unit takes at least a byte), so a
 * huge run is not serialized case by case at sizes it cannot have; with the longest text and the
 * length of all of them.
 */
function firstPossibleStep(
  cases: CaseResult[],
  room: number,
  eachLengthOf: (c: CaseResult, visit: (n: number) => void) => void,
): { step: number; longest: number; units: number } {
  let longest = 0;
  let units = 0;
  const measure = (n: number) => {
    if (n > longest) longest = n;
    units += n;
  };
  for (const c of cases) eachLengthOf(c, measure);
  // Texts whole take no more than their length: when that fits, so does the first step (most runs).
  if (units <= room) return { step: 0, longest, units };
  const totals = new Array<number>(TEXT_STEPS.length).fill(0);
  const add = (n: number) => {
    for (let step = 0; step < TEXT_STEPS.length; step++) {
      totals[step] = (totals[step] as number) + Math.min(n, TEXT_STEPS[step] as number);
    }
  };
  for (const c of cases) eachLengthOf(c, add);
  for (let step = 0; step < TEXT_STEPS.length - 1; step++) {
    if ((totals[step] as number) <= room) return { step, longest, units };
  }
  return { step: TEXT_STEPS.length - 1, longest, units };
}

/** Visits the lengths of a case's texts (an expected value's as compact JSON: never more than its bytes). */
function eachTextLength(c: CaseResult, visit: (n: number) => void): void {
  visit(c.base_output?.length ?? 0);
  visit(c.head_output?.length ?? 0);
  visit(c.input?.length ?? 0);
  visit(c.base_reason?.length ?? 0);
  visit(c.head_reason?.length ?? 0);
  const expected = c.expected === undefined ? 0 : expectedSize(c.expected);
  visit(Number.isFinite(expected) ? expected : 0);
}

/** The length of all of a case's texts, as eachTextLength counts them. */
function textUnits(c: CaseResult): number {
  let units = 0;
  eachTextLength(c, (n) => {
    units += n;
  });
  return units;
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
