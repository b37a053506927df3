// Issue 14, "no silent mis-grade": which cases wait for a person's label. One rule, for `run` (it
// neither grades them nor sends them to the model) and `check` (it counts them).
import { describe, expect, it } from "vitest";
import { graderNeedsExpected, isUnlabelled, splitUnlabelled } from "../../src/core/config/labels.js";
import { parseSet } from "../../src/core/config/sets.js";
import { traceToCase } from "../../src/core/lifecycle/traces.js";
import type { EvalSet, GraderSpec, Visibility } from "../../src/core/types.js";

const DEFAULT: GraderSpec[] = [{ type: "contains", value: "{{expected}}" }];

function set(name: string, cases: Record<string, unknown>[], visibility: Visibility = "full"): EvalSet {
  return parseSet(cases.map((c) => JSON.stringify(c)).join("\n"), `evals/${name}.jsonl`, name, visibility);
}

/** The one case of a one-line set, as `run` and `check` load it. */
function loaded(c: Record<string, unknown>) {
  return set("s", [{ id: "c", slice: "x", input: "hi", ...c }]).cases[0] as EvalSet["cases"][number];
}

describe("graderNeedsExpected", () => {
  it("is true for a grader whose value is, or mentions, the expected value", () => {
    for (const spec of [
      { type: "contains", value: "{{expected}}" },
      { type: "contains", value: ["refund", "{{ expected.days }}"] },
      { type: "exact" },
      { type: "exact", value: "Order {{expected}}" },
      { type: "regex", pattern: "^{{expected}}$" },
      { type: "similarity" },
      { type: "similarity", field: "answer" },
      { type: "similarity", value: "{{expected.answer}}" },
      { type: "tool_calls", calls: [{ name: "refund", args: { amount: "{{expected}}" } }] },
    ] as GraderSpec[]) {
      expect(graderNeedsExpected(spec), JSON.stringify(spec)).toBe(true);
    }
  });

  it("is false for a grader its spec labels: literals, a rubric, a schema, a script, a trajectory", () => {
    for (const spec of [
      { type: "contains", value: "refund" },
      { type: "contains", value: "{{vars.name}}" },
      { type: "exact", value: "yes" },
      { type: "regex", pattern: "order #\\d+" },
      { type: "similarity", value: "Your refund is on its way" },
      { type: "judge", rubric: "Pass when the reply is polite." },
      // A schema's strings are data, never filled.
      { type: "json_schema", schema: { const: "{{expected}}" } },
      { type: "script", path: "graders/state.mjs" },
      { type: "tool_calls", calls: [{ name: "lookup_order", args: { id: "{{vars.order}}" } }] },
      { type: "not-a-grader", value: "{{expected}}" },
    ] as GraderSpec[]) {
      expect(graderNeedsExpected(spec), JSON.stringify(spec)).toBe(false);
    }
  });
});

describe("isUnlabelled", () => {
  it("is the case `sample` and `rotate` write: expected null and metadata.needs_label", () => {
    const drawn = traceToCase({
      line: 1,
      id: "t-1",
      slice: "refund",
      input: "Can I get my money back?",
      hard: false,
      hardBecause: [],
      text: "Can I get my money back?",
    });
    expect(drawn).toMatchObject({ expected: null, metadata: { needs_label: true } });
    expect(isUnlabelled(loaded(drawn), DEFAULT)).toBe(true);
    // Graded by a rubric, it still waits: the flag says no person has looked at it yet.
    expect(isUnlabelled(loaded(drawn), [{ type: "judge", rubric: "Polite." }])).toBe(true);
  });

  it("counts a null or absent expected value when the graders need one, with or without the flag", () => {
    expect(isUnlabelled(loaded({ expected: null }), DEFAULT)).toBe(true);
    expect(isUnlabelled(loaded({}), DEFAULT)).toBe(true);
    // The case's own graders replace the defaults.
    expect(isUnlabelled(loaded({ expected: null, graders: [{ type: "exact" }] }), [])).toBe(true);
    expect(
      isUnlabelled(
        loaded({ expected: null, graders: [{ type: "judge", rubric: "Polite." }, { type: "exact" }] }),
        [],
      ),
    ).toBe(true);
  });

  it("leaves a case alone that its graders label, and one with a real expected value (a stale flag is ignored)", () => {
    expect(
      isUnlabelled(loaded({ expected: null, graders: [{ type: "regex", pattern: "ok" }] }), DEFAULT),
    ).toBe(false);
    expect(isUnlabelled(loaded({}), [{ type: "judge", rubric: "Polite." }])).toBe(false);
    expect(isUnlabelled(loaded({ expected: "refund" }), DEFAULT)).toBe(false);
    // Falsy values are labels too.
    for (const expected of ["", 0, false, [], {}]) {
      expect(isUnlabelled(loaded({ expected }), DEFAULT), JSON.stringify(expected)).toBe(false);
    }
    expect(isUnlabelled(loaded({ expected: "refund", metadata: { needs_label: true } }), DEFAULT)).toBe(
      false,
    );
    // The flag cleared (or never truthy) lets a rubric-graded case run without an expected value.
    expect(
      isUnlabelled(loaded({ expected: null, metadata: { needs_label: false } }), [
        { type: "judge", rubric: "Polite." },
      ]),
    ).toBe(false);
    expect(
      isUnlabelled(loaded({ expected: null, metadata: { needs_label: "yes" } }), [
        { type: "judge", rubric: "Polite." },
      ]),
    ).toBe(false);
  });
});

describe("splitUnlabelled", () => {
  it("keeps the labelled cases to run and counts the others per set, ids hidden for a holdout", () => {
    const anchor = set("anchor", [
      { id: "a1", slice: "refund", input: "q1", expected: "refund" },
      { id: "a2", slice: "refund", input: "q2", expected: null },
      { id: "a3", slice: "billing", input: "q3", expected: null, metadata: { needs_label: true } },
    ]);
    const holdout = set(
      "holdout",
      [
        { id: "secret-1", slice: "x", input: "q4" },
        { id: "h2", slice: "x", input: "q5", expected: "ok" },
      ],
      "aggregate",
    );
    const done = set("rotation", [{ id: "r1", slice: "refund", input: "q6", expected: "refund" }]);
    const { sets, unlabelled, labelled } = splitUnlabelled([anchor, holdout, done], DEFAULT);
    expect(sets.map((s) => [s.name, s.cases.map((c) => c.id)])).toEqual([
      ["anchor", ["a1"]],
      ["holdout", ["h2"]],
      ["rotation", ["r1"]],
    ]);
    expect(labelled).toBe(3);
    expect(unlabelled).toEqual([
      { set: "anchor", file: "evals/anchor.jsonl", count: 2, ids: ["a2", "a3"] },
      { set: "holdout", file: "evals/holdout.jsonl", count: 1, ids: null },
    ]);
  });

  it("lists at most 1,000 ids of a set and counts them all", () => {
    const many = set(
      "rotation",
      Array.from({ length: 1200 }, (_, i) => ({ id: `r${i}`, slice: "s", input: `q${i}`, expected: null })),
    );
    const { unlabelled, labelled } = splitUnlabelled([many], DEFAULT);
    expect(labelled).toBe(0);
    expect(unlabelled[0]?.count).toBe(1200);
    expect(unlabelled[0]?.ids).toHaveLength(1000);
    expect(unlabelled[0]?.ids?.[999]).toBe("r999");
  });
});
