import { describe, expect, it } from "vitest";
import type { TargetSpec } from "../../src/core/config/requests.js";
import { ProviderError } from "../../src/core/errors.js";
import { reduceCases } from "../../src/core/gate/reduce.js";
import { type ModelProvider, systemClock } from "../../src/core/ports.js";
import { type RunPlan, runAll } from "../../src/core/run/runner.js";
import type { Case, EvalSet, ModelResponse } from "../../src/core/types.js";

const target: TargetSpec = { endpoint: "http://model", model: "m", system: "Be {{tone}}.", params: {} };

function cases(n: number): Case[] {
  return Array.from({ length: n }, (_, i) => ({
    id: `c${i}`,
    slice: i % 2 ? "odd" : "even",
    input: `q${i}`,
    expected: "ok",
    vars: { tone: "kind" },
    line: i + 1,
  }));
}

function plan(provider: ModelProvider, n = 10, extra: Partial<RunPlan> = {}): RunPlan {
  const set: EvalSet = { name: "anchor", path: "a.jsonl", visibility: "full", cases: cases(n) };
  return {
    sets: [set],
    defaultGraders: [{ type: "contains", value: "{{expected}}" }],
    repeats: 1,
    concurrency: 4,
    sides: [
      { side: "base", target, provider },
      { side: "head", target: { ...target, system: "Be {{tone}}, briefly." }, provider },
    ],
    ...extra,
  };
}

const ok: ModelResponse = { content: "ok" };

describe("runAll", () => {
  it("fills the system prompt, grades every run, and never holds more than `concurrency` in flight", async () => {
    let inFlight = 0;
    let max = 0;
    const seen: string[] = [];
    const provider: ModelProvider = {
      async complete(req) {
        inFlight++;
        max = Math.max(max, inFlight);
        seen.push(req.messages[0]?.content ?? "");
        await new Promise((r) => setTimeout(r, 5));
        inFlight--;
        return ok;
      },
    };
    const { runs } = await runAll(plan(provider, 20, { repeats: 2 }), { clock: systemClock });
    expect(runs).toHaveLength(20 * 2 * 2);
    expect(runs.every((r) => r.pass === true)).toBe(true);
    expect(max).toBe(4);
    expect(new Set(seen)).toEqual(new Set(["Be kind.", "Be kind, briefly."]));
  });

  it("records a provider fault as an error, not a fail, and reduces runs per case", async () => {
    let calls = 0;
    const provider: ModelProvider = {
      async complete() {
        calls++;
        if (calls % 3 === 0) throw new Error("HTTP 500: boom");
        return calls % 2 ? ok : { content: "nope" };
      },
    };
    const p = plan(provider, 6, { concurrency: 1 });
    const { runs } = await runAll(p, { clock: systemClock });
    const errored = runs.filter((r) => r.error);
    expect(errored.length).toBe(4);
    expect(errored.every((r) => r.pass === undefined && r.error === "HTTP 500: boom")).toBe(true);
    const reduced = reduceCases(p.sets, runs, ["base", "head"]);
    const total = reduced.reduce((n, c) => n + (c.base?.errors ?? 0) + c.head.errors, 0);
    expect(total).toBe(4);
    for (const c of reduced) expect((c.base?.runs ?? 0) + (c.base?.errors ?? 0)).toBe(1);
  });

  it("stops at once when the provider refuses the key", async () => {
    let calls = 0;
    const provider: ModelProvider = {
      async complete() {
        calls++;
        throw new ProviderError("HTTP 401: invalid key", 401);
      },
    };
    const outcome = await runAll(plan(provider, 50, { concurrency: 2 }), { clock: systemClock });
    expect(outcome.aborted).toMatch(/401/);
    expect(calls).toBeLessThanOrEqual(2);
    expect(outcome.runs).toHaveLength(100);
    expect(outcome.runs.filter((r) => r.error?.startsWith("not run:")).length).toBeGreaterThan(90);
  });

  it("ends early when the provider is plainly down", async () => {
    let calls = 0;
    const provider: ModelProvider = {
      async complete() {
        calls++;
        throw new Error("connection failed");
      },
    };
    const outcome = await runAll(plan(provider, 200, { concurrency: 4 }), { clock: systemClock });
    expect(outcome.aborted).toMatch(/looks down: 8 attempts in a row failed \(last: connection failed\)/);
    expect(calls).toBeLessThan(20);
  });

  it("stops sending when the caller's signal aborts, cancels what is in flight, keeps what came", async () => {
    const stop = new AbortController();
    const store = new Map<string, ModelResponse>();
    const cache = {
      get: async (k: string) => store.get(k),
      set: async (k: string, v: ModelResponse) => void store.set(k, v),
    };
    let calls = 0;
    let cancelled = 0;
    const provider: ModelProvider = {
      complete(_req, options) {
        calls++;
        // The 7th request never answers on its own: only the abort, a moment later, ends it.
        if (calls === 7) {
          setTimeout(() => stop.abort("cancelled (SIGINT)"), 5);
          return new Promise((_, reject) =>
            options?.signal?.addEventListener("abort", () => {
              cancelled++;
              reject(new Error("aborted"));
            }),
          );
        }
        return Promise.resolve(ok);
      },
    };
    const outcome = await runAll(plan(provider, 50, { concurrency: 1 }), {
      clock: systemClock,
      cache,
      signal: stop.signal,
    });
    expect(outcome.aborted).toBe("cancelled (SIGINT)");
    expect(calls).toBe(7);
    expect(cancelled).toBe(1);
    expect(store.size).toBe(6);
    expect(outcome.runs).toHaveLength(100);
    expect(outcome.runs.filter((r) => r.error === "not run: cancelled (SIGINT)")).toHaveLength(94);
  });

  it("asks nothing when the signal has aborted before the run", async () => {
    let calls = 0;
    const provider: ModelProvider = {
      async complete() {
        calls++;
        return ok;
      },
    };
    const outcome = await runAll(plan(provider, 5), { clock: systemClock, signal: AbortSignal.abort() });
    expect(calls).toBe(0);
    expect(outcome.aborted).toBe("cancelled");
  });

  it("serves a repeated request from the cache and never caches a failure", async () => {
    const store = new Map<string, ModelResponse>();
    const cache = {
      get: async (k: string) => store.get(k),
      set: async (k: string, v: ModelResponse) => void store.set(k, v),
    };
    let calls = 0;
    const provider: ModelProvider = {
      async complete() {
        calls++;
        if (calls === 1) throw new Error("HTTP 503");
        return ok;
      },
    };
    const first = await runAll(plan(provider, 5, { concurrency: 1 }), { clock: systemClock, cache });
    expect(first.runs.filter((r) => r.error)).toHaveLength(1);
    expect(store.size).toBe(9);
    const second = await runAll(plan(provider, 5, { concurrency: 1 }), { clock: systemClock, cache });
    expect(second.runs.filter((r) => r.cached)).toHaveLength(9);
    expect(second.runs.filter((r) => r.error)).toHaveLength(0);
  });
});

describe("conversations", () => {
  it("sends a multi-turn case's messages after the system prompt", async () => {
    const seen: unknown[] = [];
    const provider: ModelProvider = {
      async complete(req) {
        seen.push(req.messages);
        return ok;
      },
    };
    const set: EvalSet = {
      name: "anchor",
      path: "a.jsonl",
      visibility: "full",
      cases: [
        {
          id: "m1",
          slice: "s",
          messages: [
            { role: "user", content: "hi" },
            { role: "assistant", content: "hello" },
            { role: "user", content: "refund please" },
          ],
          expected: "ok",
          vars: { tone: "kind" },
          line: 1,
        },
      ],
    };
    const p = plan(provider, 0);
    await runAll({ ...p, sets: [set], sides: [p.sides[1] as RunPlan["sides"][0]] }, { clock: systemClock });
    expect(seen[0]).toEqual([
      { role: "system", content: "Be kind, briefly." },
      { role: "user", content: "hi" },
      { role: "assistant", content: "hello" },
      { role: "user", content: "refund please" },
    ]);
  });

  it("answers tool calls with the case's canned results until a final answer, at most 8 answers", async () => {
    let calls = 0;
    const looping: ModelProvider = {
      async complete() {
        calls++;
        return {
          content: "",
          tool_calls: [{ id: `c${calls}`, type: "function", function: { name: "lookup", arguments: "{}" } }],
        };
      },
    };
    const p = plan(looping, 1);
    const toolsTarget = { ...target, tools: [{ type: "function", function: { name: "lookup" } }] };
    const set = {
      ...(p.sets[0] as EvalSet),
      cases: [{ ...((p.sets[0] as EvalSet).cases[0] as Case), tool_results: { lookup: { found: true } } }],
    };
    const { runs } = await runAll(
      { ...p, sets: [set], sides: [{ side: "head", target: toolsTarget, provider: looping }] },
      { clock: systemClock },
    );
    expect(calls).toBe(8);
    const run = runs[0];
    expect(run?.toolCalls).toHaveLength(7);
    expect(run?.trajectory?.filter((m) => m.role === "tool")[0]?.content).toBe('{"found":true}');
    expect(run?.pass).toBe(false);
  });
});
