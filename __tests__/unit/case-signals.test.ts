// Dimensions and behaviour measures per case: named from the grader specs, tallied from real runs
// of the runner, and reduced to numbers (no output text) before any slice statistic.
import { describe, expect, it } from "vitest";
import type { TargetSpec } from "../../src/core/config/requests.js";
import { caseDimensions, dimensionKey } from "../../src/core/gate/dimension-key.js";
import { reduceCases } from "../../src/core/gate/reduce.js";
import { type ModelProvider, systemClock } from "../../src/core/ports.js";
import { runAll } from "../../src/core/run/runner.js";
import type { Case, EvalSet, GraderSpec, Run } from "../../src/core/types.js";

describe("dimensionKey", () => {
  it("names a spec by its type and a short label people can read", () => {
    expect(dimensionKey({ type: "contains", value: "{{expected}}" })).toBe('contains: "{{expected}}"');
    expect(dimensionKey({ type: "regex", pattern: "order #\\d+", flags: "i" })).toBe("regex: /order #\\d+/i");
    expect(dimensionKey({ type: "judge", rubric: "Polite." })).toBe("judge: Polite.");
    expect(dimensionKey({ type: "judge", rubric_file: "rubrics/tone.md", threshold: 0.7 })).toBe(
      "judge: rubrics/tone.md ≥ 0.7",
    );
    expect(dimensionKey({ type: "similarity", field: "answer" })).toBe("similarity: expected.answer");
    expect(dimensionKey({ type: "script", path: "graders/state.mjs" })).toBe("script: graders/state.mjs");
    // Weight changes the mean score only, never which dimension a grader is.
    expect(dimensionKey({ type: "exact", value: "yes", weight: 3 })).toBe(
      dimensionKey({ type: "exact", value: "yes" }),
    );
  });

  it("adds a hash of the whole spec when the label leaves part of it out, so different specs never share a key", () => {
    const long = "The answer is polite, offers a refund, and never promises a date";
    const other = "The answer is polite, offers a refund, and names the order number";
    const a = dimensionKey({ type: "judge", rubric: long });
    const b = dimensionKey({ type: "judge", rubric: other });
    expect(a).toMatch(/^judge: The answer is polite, offers a… #[0-9a-f]{6}$/);
    expect(b).not.toBe(a);
    const schema = (required: string[]) =>
      dimensionKey({ type: "json_schema", schema: { type: "object", required } });
    expect(schema(["answer"])).toMatch(/^json_schema: required answer #[0-9a-f]{6}$/);
    expect(schema(["answer"])).toBe(schema(["answer"]));
    expect(dimensionKey({ type: "contains", value: "x", ignore_case: false })).not.toBe(
      dimensionKey({ type: "contains", value: "x" }),
    );
    expect(dimensionKey({ type: "contains", value: "x".repeat(200) }).length).toBeLessThanOrEqual(68);
  });

  it("names a holdout case's own graders by type and place only", () => {
    const specs: GraderSpec[] = [
      { type: "contains", value: "refund of $20" },
      { type: "judge", rubric: "r" },
    ];
    expect(caseDimensions(specs, { redact: true })).toEqual([
      "contains (case grader 1)",
      "judge (case grader 2)",
    ]);
  });
});

const target: TargetSpec = { endpoint: "http://model", model: "m", system: "{{style}}", params: {} };

function set(cases: Case[], visibility: "full" | "aggregate" = "full"): EvalSet {
  return { name: "anchor", path: "a.jsonl", visibility, cases };
}

describe("reduceCases with dimensions and behaviour", () => {
  it("tallies each grader of real runs and sums lengths and latencies, keeping no more text than before", async () => {
    // Base answers "ok 7" (both graders pass); head "ok" twice as long and without the number.
    const provider: ModelProvider = {
      async complete(req) {
        const head = req.messages[0]?.content === "head";
        await new Promise((r) => setTimeout(r, 2));
        return { content: head ? "ok ok ok ok" : "ok 7" };
      },
    };
    const graders: GraderSpec[] = [
      { type: "contains", value: "ok" },
      { type: "regex", pattern: "\\d" },
    ];
    const cases: Case[] = Array.from({ length: 3 }, (_, i) => ({
      id: `c${i}`,
      slice: "s",
      input: "q",
      vars: { style: "" },
      line: i + 1,
    }));
    const plan = {
      sets: [set(cases)],
      defaultGraders: graders,
      repeats: 2,
      concurrency: 2,
      sides: [
        { side: "base" as const, target: { ...target, system: "base" }, provider },
        { side: "head" as const, target: { ...target, system: "head" }, provider },
      ],
    };
    const { runs } = await runAll(plan, { clock: systemClock });
    const [c] = reduceCases(plan.sets, runs, ["base", "head"], { defaultGraders: graders });
    expect(c?.dimensions).toEqual(['contains: "ok"', "regex: /\\d/"]);
    expect(c?.base).toMatchObject({ runs: 2, passes: 2, dim_passes: [2, 2], dim_scores: [1, 1] });
    expect(c?.head).toMatchObject({ runs: 2, passes: 0, dim_passes: [2, 0], dim_scores: [1, 0] });
    expect(c?.base?.behaviour).toMatchObject({ outputs: 2, chars: 8, refusals: 0, tool_calls: 0, timed: 2 });
    expect(c?.head.behaviour).toMatchObject({ outputs: 2, chars: 22 });
    expect(c?.head.behaviour?.latency_ms).toBeGreaterThanOrEqual(2);
    // Only the first graded output of a side is kept, as before: the signals add numbers, no text.
    expect(JSON.stringify(c).split("ok ok ok ok")).toHaveLength(2);
  });

  it("counts an errored run for no dimension, a cached run for no latency, and tool calls and refusals per run", () => {
    const c: Case = {
      id: "c",
      slice: "s",
      input: "q",
      vars: {},
      line: 1,
      graders: [
        { type: "exact", value: "a" },
        { type: "exact", value: "b" },
      ],
    };
    const grades = (a: boolean, b: boolean) => [
      { grader: "exact", pass: a, score: a ? 1 : 0, reason: "" },
      { grader: "exact", pass: b, score: b ? 1 : 0, reason: "" },
    ];
    const call = { id: "1", type: "function" as const, function: { name: "f", arguments: "{}" } };
    const run = (sample: number, extra: Partial<Run>): Run => ({
      caseId: "c",
      set: "anchor",
      side: "head",
      sample,
      cached: false,
      ...extra,
    });
    const runs: Run[] = [
      run(0, {
        output: "a",
        grades: grades(true, false),
        pass: false,
        latencyMs: 100.4,
        toolCalls: [call, call],
      }),
      run(1, {
        output: "I'm sorry, but I can't help with that.",
        grades: grades(false, false),
        pass: false,
        cached: true,
      }),
      run(2, { output: "b", error: "grader: judge answered garbage", latencyMs: 50 }),
      run(3, { error: "HTTP 500" }),
    ];
    const [r] = reduceCases([set([c])], runs, ["head"]);
    expect(r?.dimensions).toEqual(['exact: "a"', 'exact: "b"']);
    expect(r?.head).toEqual({
      runs: 2,
      passes: 0,
      errors: 2,
      dim_passes: [1, 0],
      dim_scores: [0.5, 0],
      // The grader error's output still counts as behaviour: the model did answer.
      behaviour: { outputs: 3, chars: 1 + 38 + 1, refusals: 1, tool_calls: 2, timed: 2, latency_ms: 150 },
    });
  });

  it("names a holdout's own graders by place, and the same spec twice as two dimensions", () => {
    const own: Case = {
      id: "h",
      slice: "s",
      input: "q",
      vars: {},
      line: 1,
      graders: [{ type: "contains", value: "secret answer" }],
    };
    const [h] = reduceCases([set([own], "aggregate")], [], ["head"]);
    expect(h?.dimensions).toEqual(["contains (case grader 1)"]);
    const twice: Case = {
      ...own,
      graders: [
        { type: "exact", value: "x" },
        { type: "exact", value: "x", weight: 2 },
      ],
    };
    const [t] = reduceCases([set([twice])], [], ["head"]);
    expect(t?.dimensions).toEqual(['exact: "x"', 'exact: "x" (2)']);
  });
});
