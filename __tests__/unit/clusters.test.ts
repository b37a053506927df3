import { describe, expect, it } from "vitest";
import { parseSet } from "../../src/core/config/sets.js";
import { buildReport, type Collected } from "../../src/core/gate/assemble.js";
import { reduceCases } from "../../src/core/gate/reduce.js";
import { mergePartials, toPartial } from "../../src/core/gate/shard.js";
import type { CaseResult, Run } from "../../src/core/types.js";

/** 12 originals with 4 variants each in a holdout; the first 4 originals broke in every variant. */
function holdoutCases(): CaseResult[] {
  const cases: CaseResult[] = [];
  for (let g = 0; g < 12; g++) {
    for (let v = 0; v < 4; v++) {
      const i = g * 4 + v;
      cases.push({
        id: `h${g}~typos-${v}`,
        set: "holdout",
        slice: v % 2 === 0 ? "a" : "b",
        line: i + 1,
        base: { runs: 1, passes: 1, errors: 0 },
        head: { runs: 1, passes: g < 4 ? 0 : 1, errors: 0 },
        ...(g % 3 === 0 ? { cluster: `ticket-${g}` } : { original: `h${g}`, perturbation: "typos" }),
      });
    }
  }
  return cases;
}

function collected(cases: CaseResult[]): Collected {
  return {
    configPath: "eval-gate.yml",
    sets: [{ name: "holdout", visibility: "aggregate" }],
    gate: { mode: "statistical", alpha: 0.05, floor: null, min_slice_n: 12, repeats: 1, max_error_rate: 0 },
    prices: { base: null, head: null },
    notes: [],
    base: { ref: "main", sha: "b".repeat(40) },
    headSha: "h".repeat(40),
    cases,
    stats: [],
  };
}

describe("a holdout's clusters across shards", () => {
  it("are tested as one unit after the merge, as in an unsharded run, without the cases' ids", () => {
    const cases = holdoutCases();
    const whole = buildReport(collected(cases));
    // Variants of one original land in different shards.
    const shard = (k: number) => cases.filter((_, i) => i % 2 === k);
    const partials = [0, 1].map((k) => toPartial(collected(shard(k)), { index: k + 1, count: 2 }));
    const text = JSON.stringify(partials);
    expect(text).not.toContain("h1~typos");
    expect(text).not.toContain("ticket-");
    const merged = buildReport(
      mergePartials(partials.map((p, k) => ({ file: `p${k}.json`, value: JSON.parse(JSON.stringify(p)) }))),
    );
    const [all] = whole.slices;
    expect(all?.clusters).toBe(12);
    expect(all?.p_value).toBe(1 / 16);
    expect(merged.slices).toEqual(whole.slices);
  });
});

describe("a case's cluster", () => {
  it("goes from the set file to the reduced case the statistics group by", () => {
    const set = parseSet(
      [
        '{"id": "t1", "slice": "s", "input": "first turn", "cluster": "conv-1"}',
        '{"id": "t2", "slice": "s", "input": "second turn", "cluster": "conv-1"}',
        '{"id": "v", "slice": "s", "input": "variant", "metadata": {"original": "t3", "perturbation": "typos"}}',
      ].join("\n"),
      "a.jsonl",
      "anchor",
      "full",
    );
    const runs: Run[] = set.cases.flatMap((c) =>
      (["base", "head"] as const).map((side) => ({
        caseId: c.id,
        set: "anchor",
        side,
        sample: 0,
        output: "x",
        pass: true,
        cached: false,
      })),
    );
    const reduced = reduceCases([set], runs, ["base", "head"]);
    expect(reduced.map((c) => [c.cluster, c.original])).toEqual([
      ["conv-1", undefined],
      ["conv-1", undefined],
      [undefined, "t3"],
    ]);
  });
});
