// A sharded run merged must report the same dimensions and drift as the unsharded run, holdout
// sets included (their partials lose ids and texts, never the dimension names they need).
import { describe, expect, it } from "vitest";
import { buildReport, type Collected } from "../../src/core/gate/assemble.js";
import { mergePartials, toPartial } from "../../src/core/gate/shard.js";
import { seedFromString } from "../../src/core/stats/index.js";
import { simulatePr } from "../support/null-prs.js";

function collected(): Collected {
  const anchor = simulatePr(7, {
    slices: 3,
    cases: 30,
    dimensions: 2,
    repeats: 1,
    drop: 0.4,
    lengthFactor: 2,
  });
  const holdout = simulatePr(8, { slices: 1, cases: 30, dimensions: 2, repeats: 1, drop: 0.4 }).map((c) => ({
    ...c,
    set: "holdout",
    id: `h-${c.id}`,
    dimensions: ["contains (case grader 1)", "judge (case grader 2)"],
  }));
  return {
    configPath: "eval-gate.yml",
    sets: [
      { name: "anchor", visibility: "full" },
      { name: "holdout", visibility: "aggregate" },
    ],
    gate: { mode: "statistical", alpha: 0.05, floor: null, min_slice_n: 10, repeats: 1, max_error_rate: 0 },
    prices: { base: null, head: null },
    notes: [],
    base: { ref: "main", sha: "a".repeat(40) },
    headSha: "b".repeat(40),
    cases: [
      ...anchor.map((c, i) => ({ ...c, line: i + 1 })),
      ...holdout.map((c, i) => ({ ...c, line: i + 1 })),
    ],
    stats: [],
  };
}

describe("sharded dimensions and drift", () => {
  it("merge to what the unsharded run reports", () => {
    const whole = collected();
    const count = 3;
    const partials = Array.from({ length: count }, (_, k) => {
      const part = whole.cases.filter((c) => seedFromString(`${c.set}\u0000${c.id}`) % count === k);
      return {
        file: `p${k}.json`,
        value: JSON.parse(JSON.stringify(toPartial({ ...whole, cases: part }, { index: k + 1, count }))),
      };
    });
    const merged = buildReport(mergePartials(partials));
    const expected = buildReport(whole);
    expect(expected.dimensions?.rows.some((r) => r.set === "holdout" && r.status === "dropped")).toBe(true);
    expect(expected.drift?.rows.some((r) => r.changed)).toBe(true);
    expect(merged.dimensions).toEqual(expected.dimensions);
    expect(merged.drift).toEqual(expected.drift);
    expect(merged.verdict).toBe(expected.verdict);
  });
});
