// Case texts that only the report file shows, kept on disk while the run goes on. A case that
// passed every graded run on every side, without an error, is never shown with its texts by a
// renderer (the comment, summary, log, JUnit and annotations show what failed, errored, got worse
// or better), so its outputs and grader reasons are put in a TextStore as soon as it is reduced,
// already cut to the report's limits, and read back one case at a time when the report is cut and
// written. The report comes out byte for byte the same.

import { grown } from "../columns.js";
import type { TextStore } from "../ports.js";
import { clip, TEXT_LIMITS as T } from "../report-limits.js";
import type { CaseResult, CaseSideResult, EvalSet } from "../types.js";
import { cutText, fitCase } from "./fit-case.js";
import { fitCaseDimensions } from "./fit-signals.js";
import { PARKED, PARKED_CUT, PARKED_KEYS, type ParkedCase, type ParkedKey, parkedId } from "./parked.js";
import { elementBytes } from "./size.js";

const limitOf = (key: ParkedKey) => (key.endsWith("_output") ? T.output : T.reason);

export class ParkedTexts {
  /** Per parked case: its texts' lengths (cut to T), in PARKED_KEYS order. */
  private lengths = new Uint32Array(4 * 1024);
  /** Per parked case: what it adds to the report file once cut to T (elementBytes). */
  private bytes = new Float64Array(1024);
  /** Set when the store could not take a text: cases keep their texts from then on. */
  problem?: string;

  constructor(private readonly store: TextStore) {}

  /** Puts the case's outputs and reasons aside when no renderer shows them; returns the case. */
  park(c: CaseResult): CaseResult {
    if (this.problem !== undefined || parkedId(c) !== undefined || !passedAll(c)) return c;
    const texts = PARKED_KEYS.map((k) => {
      const text = c[k];
      return text === undefined ? null : clip(text, limitOf(k));
    });
    if (texts.every((t) => t === null)) return c;
    const bytes = elementBytes(fitCase(fitCaseDimensions(c), T));
    let id: number;
    try {
      id = this.store.put(JSON.stringify(texts));
    } catch (e) {
      // No room on disk is no reason to stop the run: the texts stay in memory, as they used to.
      this.problem = e instanceof Error ? e.message : String(e);
      return c;
    }
    if (id >= this.bytes.length) this.grow(id);
    this.bytes[id] = bytes;
    texts.forEach((t, i) => {
      this.lengths[4 * id + i] = t?.length ?? 0;
    });
    // The keys stay, without their text: the case keeps its shape and its keys their order.
    for (const k of PARKED_KEYS) if (c[k] !== undefined) c[k] = undefined;
    (c as ParkedCase)[PARKED] = id;
    return c;
  }

  /** What the case adds to the report file, as elementBytes counts it (for a case cut to T or tighter). */
  caseBytes(c: CaseResult): number {
    const id = parkedId(c);
    if (id === undefined) return elementBytes(c);
    return (c as ParkedCase)[PARKED_CUT] ? elementBytes(this.unpark(c)) : (this.bytes[id] as number);
  }

  /** The lengths of its put-aside texts as they stand, or undefined when it was cut since (read them back). */
  parkedLengths(c: CaseResult): number[] | undefined {
    const id = parkedId(c);
    if (id === undefined || (c as ParkedCase)[PARKED_CUT]) return undefined;
    return Array.from(this.lengths.subarray(4 * id, 4 * id + 4));
  }

  /** The case whole: its texts read back and cut as the case was cut since. */
  unpark(c: CaseResult): CaseResult {
    const id = parkedId(c);
    if (id === undefined) return c;
    const texts = JSON.parse(this.store.get(id)) as (string | null)[];
    const out: ParkedCase = { ...c };
    PARKED_KEYS.forEach((k, i) => {
      const text = texts[i];
      if (typeof text === "string") out[k] = text;
    });
    for (const limits of out[PARKED_CUT] ?? []) {
      for (const k of PARKED_KEYS) cutText(out, k, k.endsWith("_output") ? limits.output : limits.reason);
    }
    delete out[PARKED];
    delete out[PARKED_CUT];
    return out;
  }

  private grow(id: number): void {
    let size = this.bytes.length;
    while (size <= id) size *= 2;
    this.bytes = grown(this.bytes, size);
    this.lengths = grown(this.lengths, 4 * size);
  }
}

/** Every graded run of the case passed, on each side, and none errored: no renderer shows its texts. */
export function passedAll(c: CaseResult): boolean {
  const clean = (s: CaseSideResult | null) => !s || (s.errors === 0 && s.passes === s.runs);
  return clean(c.head) && clean(c.base);
}

/** A case's texts left out altogether: one of an aggregate-only set, which no report shows. */
export function dropTexts(c: CaseResult): CaseResult {
  for (const k of PARKED_KEYS) if (c[k] !== undefined) c[k] = undefined;
  return c;
}

/** Stops a case whose texts were put aside from being written without them. */
export function needStore(c: CaseResult, parked: ParkedTexts | undefined): ParkedTexts | undefined {
  if (parked === undefined && parkedId(c) !== undefined)
    throw new Error("a case's texts were put aside, but the report is written without their store");
  return parked;
}

/**
 * What a run keeps of a case's texts: those only the report file shows are put aside in `parked`;
 * a case of an aggregate-only set, never shown with its texts (not even in the report), keeps none.
 */
export function keepTexts(sets: EvalSet[], parked: ParkedTexts): (result: CaseResult) => CaseResult {
  const hidden = new Set(sets.filter((s) => s.visibility === "aggregate").map((s) => s.name));
  return (result) => (hidden.has(result.set) ? dropTexts(result) : parked.park(result));
}
