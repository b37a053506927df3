import { describe, expect, it } from "vitest";
import type { TargetSpec } from "../../src/core/config/requests.js";
import { buildReport } from "../../src/core/gate/assemble.js";
import { reduceCases } from "../../src/core/gate/reduce.js";
import type { ModelProvider, ResponseCache } from "../../src/core/ports.js";
import { systemClock } from "../../src/core/ports.js";
import { type RunPlan, runAll } from "../../src/core/run/runner.js";
import type { Case, ChatRequest, EvalSet, ModelResponse, Run } from "../../src/core/types.js";

const baseTarget: TargetSpec = { endpoint: "http://model", model: "m", system: "base", params: {} };
const headTarget: TargetSpec = { ...baseTarget, system: "head" };

/**
 * Per case, the outcome of each sample on each side: "1" passes, "0" fails. A case's runs beyond
 * its script pass, so a script says exactly when the sides differ.
 */
const SCRIPT: Record<string, { base: string; head: string }> = {
  same: { base: "1", head: "1" }, // agree at once: one run a side
  bothFail: { base: "0", head: "0" },
  flipBack: { base: "10", head: "01" }, // differ, then even out at 1/2 each: two runs
  stuck: { base: "1", head: "0" }, // head's one failure never evens out: max runs
  errored: { base: "E", head: "0" }, // base errors: nothing to compare, so no rerun
};

function outcome(req: ChatRequest): boolean {
  const id = /case (\w+)/.exec(String(req.messages.at(-1)?.content))?.[1] as string;
  const side = req.messages[0]?.content === "base" ? "base" : "head";
  const answer = SCRIPT[id]?.[side][req.sample] ?? "1";
  if (answer === "E") throw new Error("HTTP 400: bad request");
  return answer === "1";
}

function cases(ids: string[]): Case[] {
  return ids.map((id, i) => ({ id, slice: "s", input: `case ${id}`, expected: "ok", vars: {}, line: i + 1 }));
}

function plan(provider: ModelProvider, ids = Object.keys(SCRIPT), extra: Partial<RunPlan> = {}): RunPlan {
  const set: EvalSet = { name: "anchor", path: "a.jsonl", visibility: "full", cases: cases(ids) };
  return {
    sets: [set],
    defaultGraders: [{ type: "contains", value: "{{expected}}" }],
    repeats: 5,
    adaptive: true,
    concurrency: 3,
    sides: [
      { side: "base", target: baseTarget, provider },
      { side: "head", target: headTarget, provider },
    ],
    ...extra,
  };
}

/** A provider that answers from SCRIPT after `delayMs` and logs every request it gets. */
function scripted(delayMs = 1) {
  const log: { id: string; side: string; sample: number; at: number }[] = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const provider: ModelProvider = {
    async complete(req): Promise<ModelResponse> {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      const id = /case (\w+)/.exec(String(req.messages.at(-1)?.content))?.[1] as string;
      log.push({ id, side: String(req.messages[0]?.content), sample: req.sample, at: log.length });
      await new Promise((r) => setTimeout(r, delayMs));
      inFlight--;
      return { content: outcome(req) ? "ok" : "no" };
    },
  };
  return { provider, log, maxInFlight: () => maxInFlight };
}

function samplesOf(runs: Run[], id: string, side: "base" | "head"): number[] {
  return runs
    .filter((r) => r.caseId === id && r.side === side)
    .map((r) => r.sample)
    .sort();
}

describe("runAll with repeats: auto", () => {
  it("runs every case once a side and reruns, on both sides, only while the sides differ", async () => {
    const { provider, log, maxInFlight } = scripted();
    const { runs } = await runAll(plan(provider), { clock: systemClock });
    const expected = { same: 1, bothFail: 1, flipBack: 2, stuck: 5, errored: 1 };
    for (const [id, n] of Object.entries(expected)) {
      // Samples 0, 1, ... on both sides: the same requests, and cache entries, as `repeats: n`.
      const samples = Array.from({ length: n }, (_, i) => i);
      expect(samplesOf(runs, id, "base"), id).toEqual(samples);
      expect(samplesOf(runs, id, "head"), id).toEqual(samples);
    }
    expect(log).toHaveLength(2 * (1 + 1 + 2 + 5 + 1));
    expect(maxInFlight()).toBeLessThanOrEqual(3);
    const reduced = reduceCases(plan(provider).sets, runs, ["base", "head"]);
    expect(reduced.find((c) => c.id === "stuck")?.head).toMatchObject({ runs: 5, passes: 4, errors: 0 });
    expect(reduced.find((c) => c.id === "errored")?.base).toMatchObject({ runs: 0, passes: 0, errors: 1 });
  });

  it("starts a case's next round as soon as its own round is in, before the first round ends", async () => {
    const { provider, log } = scripted();
    const ids = ["stuck", ...Array.from({ length: 30 }, (_, i) => `same${i}`)];
    await runAll(plan(provider, ids, { concurrency: 2 }), { clock: systemClock });
    const firstRerun = log.findIndex((r) => r.sample === 1);
    const lastFirstRound = log.findLastIndex((r) => r.sample === 0);
    expect(firstRerun).toBeGreaterThan(0);
    expect(firstRerun).toBeLessThan(lastFirstRound);
  });

  it("reports the total as it grows, and ends with every run counted", async () => {
    const { provider } = scripted();
    const totals: number[] = [];
    const { runs } = await runAll(plan(provider), {
      clock: systemClock,
      onProgress: (e) => {
        if (e.kind !== "run") totals.push(e.kind === "start" ? e.total : -1);
        else totals.push(e.total);
      },
    });
    expect(totals[0]).toBe(10);
    expect(totals.at(-1)).toBe(runs.length);
  });

  it("runs each case once without a base side, and a fixed plan as before", async () => {
    const { provider } = scripted();
    const headOnly = await runAll(
      { ...plan(provider), sides: [{ side: "head", target: headTarget, provider }] },
      {
        clock: systemClock,
      },
    );
    expect(headOnly.runs).toHaveLength(5);
    const fixed = await runAll(plan(provider, undefined, { adaptive: false, repeats: 2 }), {
      clock: systemClock,
    });
    expect(fixed.runs).toHaveLength(5 * 2 * 2);
  });

  it("makes no request at all when the same plan runs again on a warm cache", async () => {
    const store = new Map<string, ModelResponse>();
    const cache: ResponseCache = {
      get: async (k) => store.get(k),
      set: async (k, v) => void store.set(k, v),
    };
    // An error is not an answer, so it is not cached: the case that errors is left out here.
    const ids = Object.keys(SCRIPT).filter((id) => id !== "errored");
    const first = scripted();
    const cold = await runAll(plan(first.provider, ids), { clock: systemClock, cache });
    const second = scripted();
    const warm = await runAll(plan(second.provider, ids), { clock: systemClock, cache });
    expect(first.log).toHaveLength(2 * (1 + 1 + 2 + 5));
    expect(second.log).toHaveLength(0);
    expect(warm.runs.every((r) => r.cached)).toBe(true);
    const key = (r: Run) => `${r.caseId}/${r.side}/${r.sample}/${r.pass}`;
    expect(warm.runs.map(key).sort()).toEqual(cold.runs.map(key).sort());
  });

  it("reports the extra runs per slice and `repeats: auto` in the report", async () => {
    const { provider } = scripted();
    const p = plan(provider);
    const { runs } = await runAll(p, { clock: systemClock });
    const report = buildReport({
      configPath: "eval-gate.yml",
      sets: [{ name: "anchor", visibility: "full" }],
      gate: { mode: "statistical", alpha: 0.05, floor: null, min_slice_n: 1, repeats: 1, max_error_rate: 0 },
      maxRepeats: 5,
      prices: { base: null, head: null },
      notes: [],
      base: { ref: "main", sha: "a".repeat(40) },
      headSha: "b".repeat(40),
      cases: reduceCases(p.sets, runs, ["base", "head"]),
      stats: [],
    });
    expect(report.config).toMatchObject({ repeats: "auto", max_repeats: 5 });
    // flipBack 1 more a side, stuck 4 more a side.
    expect(report.slices[0]).toMatchObject({ extra_runs: 2 + 8, rerun_cases: 2, pass_k_head: null });
  });
});
