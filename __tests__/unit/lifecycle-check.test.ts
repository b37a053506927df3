import { describe, expect, it } from "vitest";
import { parseSet } from "../../src/core/config/sets.js";
import { checkEvalSets, setOverlap } from "../../src/core/lifecycle/check.js";
import { renderCheckReport } from "../../src/core/lifecycle/check-text.js";
import { findLeaks } from "../../src/core/text/leaks.js";
import type { EvalSet, Visibility } from "../../src/core/types.js";

function set(name: string, cases: Record<string, unknown>[], visibility: Visibility = "full"): EvalSet {
  return parseSet(cases.map((c) => JSON.stringify(c)).join("\n"), `evals/${name}.jsonl`, name, visibility);
}

const LONG_INPUT =
  "I moved last month and my new address is 12 Elm Street, so please send the replacement order there instead of the old flat";

const anchor = () =>
  set("anchor", [
    { id: "addr-1", slice: "address_change", input: LONG_INPUT, expected: "Elm Street" },
    {
      id: "refund-1",
      slice: "refund",
      input: "Can I get my money back?",
      expected: "I have started a refund for you; the money is back on your card within five working days.",
    },
    { id: "smalltalk-1", slice: "smalltalk", input: "hello there", expected: "hi" },
  ]);

const PROMPT = [
  "You are the support assistant of Acme.",
  "Always confirm the new address before changing an order.",
  "Mention a refund when the customer asks for their money back.",
].join("\n");

describe("findLeaks", () => {
  it("passes a clean prompt, even though it shares single words with the cases", () => {
    expect(findLeaks({ prompts: [{ file: "prompts/support.md", text: PROMPT }], sets: [anchor()] })).toEqual(
      [],
    );
  });

  it("finds an input pasted into the prompt as a few-shot example, folded for case and punctuation", () => {
    const prompt = `${PROMPT}\n\nExample:\nUser: "i MOVED last month and my new address is 12 elm street -- so please send the replacement order there instead of the old flat!"\nAssistant: Sure.`;
    const leaks = findLeaks({ prompts: [{ file: "prompts/support.md", text: prompt }], sets: [anchor()] });
    expect(leaks).toEqual([
      {
        set: "anchor",
        id: "addr-1",
        line: 1,
        field: "input",
        prompt: "prompts/support.md",
        prompt_line: 6,
        kind: "exact",
        share: 1,
      },
    ]);
  });

  it("finds an expected answer copied in part (most of its 8-grams), without any paraphrase", () => {
    const prompt = `${PROMPT}\nWhen you refund, say: I have started a refund for you; the money is back on your card soon.`;
    const leaks = findLeaks({ prompts: [{ file: "p.md", text: prompt }], sets: [anchor()] });
    expect(leaks).toHaveLength(1);
    expect(leaks[0]).toMatchObject({ id: "refund-1", field: "expected", kind: "ngram", prompt_line: 4 });
    // The 14 words "i have started ... your card" hold 7 of the answer's 11 8-grams.
    expect(leaks[0]?.share).toBeCloseTo(7 / 11, 10);
  });

  it("ignores a few shared 8-grams (under half), and short texts that are not evidence", () => {
    const prompt = `${PROMPT}\nIf someone says they moved last month and my new address is, ask for the postcode.`;
    expect(findLeaks({ prompts: [{ file: "p.md", text: prompt }], sets: [anchor()] })).toEqual([]);
    // "hello there" and "hi" are in the prompt, but five words are the least an exact match counts for.
    expect(
      findLeaks({ prompts: [{ file: "p.md", text: "Say hi when they say hello there." }], sets: [anchor()] }),
    ).toEqual([]);
  });

  it("names a holdout case by its line only", () => {
    const holdout = set("holdout", [{ id: "secret-7", slice: "x", input: LONG_INPUT }], "aggregate");
    const leaks = findLeaks({ prompts: [{ file: "p.md", text: LONG_INPUT }], sets: [holdout] });
    expect(leaks).toEqual([expect.objectContaining({ set: "holdout", id: null, line: 1, kind: "exact" })]);
    const text = renderCheckReport(
      checkEvalSets([holdout], [{ file: "p.md", text: LONG_INPUT }], { alpha: 0.05, minSliceN: 12 }),
      { config: "eval-gate.yml", sets: 1, cases: 1, minSliceN: 12, fromReport: false },
    );
    expect(text).toContain("line 1");
    expect(text).not.toContain("secret-7");
    expect(text).not.toContain("Elm");
  });

  it("reads the user turns of a conversation case", () => {
    const conv = set("conv", [
      {
        id: "c1",
        slice: "s",
        messages: [
          { role: "user", content: "hi" },
          { role: "assistant", content: "hello" },
          { role: "user", content: LONG_INPUT },
        ],
      },
    ]);
    expect(findLeaks({ prompts: [{ file: "p.md", text: LONG_INPUT }], sets: [conv] })).toHaveLength(1);
  });
});

describe("setOverlap", () => {
  it("finds the same input in two sets, exactly or nearly, without quoting a holdout", () => {
    const holdout = set(
      "holdout",
      [
        { id: "h1", slice: "x", input: `${LONG_INPUT.toUpperCase()}!!` },
        { id: "h2", slice: "x", input: "a completely different question about invoices and VAT numbers" },
      ],
      "aggregate",
    );
    const rotation = set("rotation", [
      { id: "r1", slice: "refund", input: "Can I get my money back?" },
      { id: "r2", slice: "x", input: LONG_INPUT.replace("old flat", "old place") },
    ]);
    const overlaps = setOverlap([anchor(), rotation, holdout]);
    expect(overlaps).toEqual([
      expect.objectContaining({ a: "anchor", id_a: "refund-1", b: "rotation", id_b: "r1", kind: "exact" }),
      expect.objectContaining({ a: "anchor", id_a: "addr-1", b: "rotation", id_b: "r2", kind: "near" }),
      expect.objectContaining({
        a: "anchor",
        id_a: "addr-1",
        b: "holdout",
        id_b: null,
        line_b: 1,
        kind: "exact",
      }),
      expect.objectContaining({ a: "rotation", id_a: "r2", b: "holdout", id_b: null, kind: "near" }),
    ]);
    expect(overlaps[1]?.similarity).toBeGreaterThanOrEqual(0.9);
  });

  it("does not count a perturbed variant as overlapping its original", () => {
    const robust = set("robust", [
      {
        id: "refund-1~casing-1",
        slice: "refund",
        input: "CAN I GET MY MONEY BACK?",
        metadata: { perturbation: "casing", original: "refund-1" },
      },
    ]);
    expect(setOverlap([anchor(), robust])).toEqual([]);
  });
});

describe("checkEvalSets", () => {
  it("reports sizes, undersampled slices, the MDE per slice at alpha over every slice, and labels to write", () => {
    const cases = (slice: string, n: number, extra: Record<string, unknown> = {}) =>
      Array.from({ length: n }, (_, i) => ({
        id: `${slice}-${i}`,
        slice,
        input: `${slice} question ${i}`,
        expected: slice,
        ...extra,
      }));
    const a = set("anchor", [...cases("refund", 40), ...cases("billing", 5)]);
    const h = set("holdout", cases("x", 30), "aggregate");
    const r = set("rotation", cases("new", 12, { expected: null, metadata: { needs_label: true } }));
    const rates = new Map([[`anchor\u0000refund`, 0.95]]);
    const result = checkEvalSets([a, r, h], [], { alpha: 0.05, minSliceN: 12, baseRates: rates });
    // rotation/new has no labelled case: a run grades nothing of it, so it is in no family.
    expect(result.family).toBe(3);
    expect(result.alpha_per_slice).toBeCloseTo(0.05 / 3, 12);
    expect(
      result.slices.map((s) => [s.set, s.slice, s.n, s.unlabelled, s.undersampled, s.base_rate_source]),
    ).toEqual([
      ["anchor", "billing", 5, 0, true, "assumed"],
      ["anchor", "refund", 40, 0, false, "report"],
      ["rotation", "new", 0, 12, true, "assumed"],
      ["holdout", "all", 30, 0, false, "assumed"],
    ]);
    // 0.0167 needs 6 discordant pairs: 5 cases can never show a drop, nor can no case.
    expect(result.slices[0]?.mde).toBeNull();
    expect(result.slices[2]?.mde).toBeNull();
    expect(result.slices[1]?.mde).toBeGreaterThan(0.1);
    expect(result.slices[1]?.mde).toBeLessThan(0.35);
    expect(result.needs_label).toEqual([{ set: "rotation", count: 12 }]);
    const text = renderCheckReport(result, {
      config: "eval-gate.yml",
      sets: 3,
      cases: 87,
      minSliceN: 12,
      fromReport: true,
    });
    expect(text).toContain("none (too few cases)");
    expect(text).toContain("billing †");
    expect(text).toMatch(/rotation\s+new †\s+0\s+90%\*\s+none \(too few cases\)\s+12\n/);
    expect(text).toContain(
      "Result: no leaks or overlaps; 12 unlabelled cases are left out of every run until labelled.",
    );
    expect(text).toContain("12 cases of rotation still need an expected value");
  });

  it("counts null expected values as well as the flag, stops once a case has a label, and leaves them out of n", () => {
    const labelled = Array.from({ length: 14 }, (_, i) => ({
      id: `refund-${i}`,
      slice: "refund",
      input: `refund question ${i}`,
      expected: "refund",
    }));
    const a = set("anchor", [
      ...labelled,
      // Written by hand, no flag: the default grader needs the value all the same.
      { id: "null-1", slice: "refund", input: "x1", expected: null },
      { id: "absent-1", slice: "refund", input: "x2" },
      // Labelled, with the flag `sample` wrote left behind: a label all the same.
      { id: "stale-1", slice: "refund", input: "x3", expected: "refund", metadata: { needs_label: true } },
      // Its own grader needs no expected value.
      { id: "rubric-1", slice: "refund", input: "x4", graders: [{ type: "judge", rubric: "Polite." }] },
      // Only unlabelled cases: the slice is not in a run's family at all.
      { id: "new-1", slice: "fresh", input: "x5", expected: null, metadata: { needs_label: true } },
    ]);
    const result = checkEvalSets([a], [], { alpha: 0.05, minSliceN: 12 });
    expect(result.needs_label).toEqual([{ set: "anchor", count: 3 }]);
    expect(result.slices.map((s) => [s.slice, s.n, s.unlabelled])).toEqual([
      ["fresh", 0, 1],
      ["refund", 16, 2],
    ]);
    expect(result.family).toBe(1);
    expect(result.slices[0]?.mde).toBeNull();
    const text = renderCheckReport(result, {
      config: "eval-gate.yml",
      sets: 1,
      cases: 19,
      minSliceN: 12,
      fromReport: false,
    });
    expect(text).toMatch(/anchor\s+refund\s+16\s+90%\s+>= [\d.]+ pts\s+2\n/);
    expect(text).toContain("3 cases of anchor still need an expected value");
    expect(text).not.toContain("Result: clean.");
    expect(text).toMatch(/Result: no leaks or overlaps; 3 unlabelled cases are left out of every run/);
    // The same cases with their labels: nothing to count, and clean again.
    const done = set("anchor", [
      ...labelled,
      { id: "null-1", slice: "refund", input: "x1", expected: "refund" },
    ]);
    const clean = checkEvalSets([done], [], { alpha: 0.05, minSliceN: 12 });
    expect(clean.needs_label).toEqual([]);
    expect(
      renderCheckReport(clean, { config: "c", sets: 1, cases: 15, minSliceN: 12, fromReport: false }),
    ).toContain("Result: clean.");
  });

  it("uses the config's graders: a rubric-graded set needs no expected value", () => {
    const a = set("anchor", [{ id: "a", slice: "s", input: "hi", expected: null }]);
    const rubric = [{ type: "judge", rubric: "Polite." }];
    expect(checkEvalSets([a], [], { alpha: 0.05, minSliceN: 12, graders: rubric }).needs_label).toEqual([]);
    expect(checkEvalSets([a], [], { alpha: 0.05, minSliceN: 12 }).needs_label).toEqual([
      { set: "anchor", count: 1 },
    ]);
  });
});
