import { describe, expect, it } from "vitest";
import { filterSets } from "../../src/core/config/filter.js";
import { UserError, UserErrors } from "../../src/core/errors.js";
import type { EvalSet } from "../../src/core/types.js";

function set(name: string, slices: Record<string, number>): EvalSet {
  return {
    name,
    path: `evals/${name}.jsonl`,
    visibility: "full",
    cases: Object.entries(slices).flatMap(([slice, n]) =>
      Array.from({ length: n }, (_, i) => ({
        id: `${name}-${slice}-${i + 1}`,
        slice,
        line: i + 1,
        input: "hi",
      })),
    ) as EvalSet["cases"],
  };
}

const SETS = [set("anchor", { refund: 2, address_change: 2 }), set("rotation", { refund: 1, billing: 1 })];

function thrown(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof UserErrors) return e.errors.map((x) => x.format("cli"));
    if (e instanceof UserError) return [e.format("cli")];
    throw e;
  }
  throw new Error("nothing thrown");
}

describe("the CLI's --set, --slice and --case", () => {
  it("keep the sets, slices and cases asked for", () => {
    const kept = filterSets(SETS, { sets: ["anchor"], slices: ["refund"] });
    expect(kept.map((s) => [s.name, s.cases.map((c) => c.id)])).toEqual([
      ["anchor", ["anchor-refund-1", "anchor-refund-2"]],
    ]);
    expect(filterSets(SETS, {})).toEqual(SETS);
  });

  it("name each value that matches nothing, listing the slices (per set) that exist", () => {
    const errors = thrown(() => filterSets(SETS, { slices: ["refnud", "refund"] }));
    expect(errors).toEqual([
      "--slice: refnud names no slice. Did you mean refund? Slices: anchor: address_change, refund; rotation: billing, refund.",
    ]);
    expect(thrown(() => filterSets(SETS, { sets: ["holdout"] }))).toEqual([
      "--set: holdout names no set. Sets: anchor, rotation.",
    ]);
    expect(thrown(() => filterSets(SETS, { cases: ["nope"] }))[0]).toMatch(/^--case: nope names no case\./);
  });

  it("list the slices of the sets asked for when the values exist but keep nothing together", () => {
    expect(thrown(() => filterSets(SETS, { sets: ["rotation"], slices: ["address_change"] }))).toEqual([
      "--set/--slice/--case: the filters keep no case. Slices: rotation: billing, refund.",
    ]);
  });

  it("cut a long list of slices short", () => {
    const many = set("big", Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`s${i}`, 1])));
    const [error] = thrown(() => filterSets([many], { slices: ["zzz"] }));
    expect(error).toMatch(/and 20 more\.$/);
    expect(error?.length).toBeLessThan(600);
  });
});
