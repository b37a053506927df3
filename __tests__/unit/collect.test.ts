import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { describe, expect, it } from "vitest";
import type { TargetSpec } from "../../src/core/config/requests.js";
import { CaseCollector, toRunStat } from "../../src/core/gate/collect.js";
import { reduceCases } from "../../src/core/gate/reduce.js";
import { type ModelProvider, systemClock } from "../../src/core/ports.js";
import { type RunPlan, runAll } from "../../src/core/run/runner.js";
import type { Case, EvalSet, Run } from "../../src/core/types.js";

const base: TargetSpec = { endpoint: "http://model", model: "m", system: "base", params: {} };
const head: TargetSpec = { ...base, system: "head" };

function cases(n: number): Case[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `c${i}`,
    slice: `s${i % 3}`,
    input: `case ${i}`,
    expected: "ok",
    vars: {},
    line: i + 1,
  }));
}

/** Answers "ok" or "no" by case and side, differently per sample for some; some requests fail. */
const provider: ModelProvider = {
  async complete(req) {
    const i = Number(/case (\d+)/.exec(String(req.messages.at(-1)?.content))?.[1]);
    const side = req.messages[0]?.content;
    await new Promise((r) => setTimeout(r, i % 3));
    if (i % 17 === 5 && side === "head") throw new Error("HTTP 400: bad request");
    const pass = side === "base" ? i % 4 !== 1 : (i + req.sample) % 5 !== 2;
    return {
      content: `${pass ? "ok" : "no"} ${"x".repeat(i % 7)}`,
      usage: { prompt_tokens: i, completion_tokens: 1 },
    };
  },
};

function plan(n: number, extra: Partial<RunPlan> = {}): RunPlan {
  const sets: EvalSet[] = [
    { name: "anchor", path: "a.jsonl", visibility: "full", cases: cases(n) },
    { name: "new", path: "a.jsonl", visibility: "full", cases: cases(5), added: true },
  ];
  return {
    sets,
    defaultGraders: [{ type: "contains", value: "{{expected}}" }],
    repeats: 2,
    concurrency: 4,
    sides: [
      { side: "base", target: base, provider },
      { side: "head", target: head, provider },
    ],
    ...extra,
  };
}

/** A plan run through a collector, with every run also kept aside to compare with reduceCases. */
async function collected(p: RunPlan) {
  const collector = new CaseCollector(p.sets, ["base", "head"]);
  const runs: Run[] = [];
  let maxHeld = 0;
  const outcome = await runAll(p, {
    clock: systemClock,
    sink: (run, of, last) => {
      runs.push(run);
      collector.add(run, of, last);
      maxHeld = Math.max(maxHeld, collector.held);
    },
  });
  return { collector, runs, maxHeld, outcome };
}

describe("CaseCollector", () => {
  for (const [name, extra] of [
    ["fixed repeats", {}],
    ["repeats: auto", { adaptive: true, repeats: 4 }],
  ] as const) {
    it(`reduces each case as reduceCases does, with every run's stat (${name})`, async () => {
      const p = plan(60, extra);
      const { collector, runs, outcome } = await collected(p);
      expect(outcome.runs).toEqual([]);
      expect(collector.cases()).toEqual(reduceCases(p.sets, runs, ["base", "head"]));
      const stats = runs.map((r) => (r.set === "new" ? { ...toRunStat(r), added: true } : toRunStat(r)));
      const order = (s: object) => JSON.stringify(s);
      expect([...collector.stats].map(order).sort()).toEqual(stats.map(order).sort());
      expect(collector.held).toBe(0);
    });
  }

  it("holds the runs of the cases in flight only, whatever the set's size", async () => {
    const { maxHeld, runs } = await collected(plan(300, { adaptive: true, repeats: 4 }));
    expect(runs.length).toBeGreaterThan(600);
    // Four workers, each on a case whose other runs may be in: far fewer than the run's runs.
    expect(maxHeld).toBeLessThanOrEqual(4 * 8);
  });

  it("lets every run go once its case is reduced", async () => {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc") as () => void;
    const p = plan(200);
    const collector = new CaseCollector(p.sets, ["base", "head"]);
    const refs: WeakRef<Run>[] = [];
    await runAll(p, {
      clock: systemClock,
      sink: (run, of, last) => {
        refs.push(new WeakRef(run));
        collector.add(run, of, last);
      },
    });
    const results = collector.cases();
    await new Promise((r) => setTimeout(r, 0));
    gc();
    expect(refs).toHaveLength(205 * 2 * 2);
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
    expect(results).toHaveLength(205);
  });
});
