// The runner and the graders' requests share one stop: either endpoint going down ends the run.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { makeGraderContext } from "../../src/adapters/graders/grader-context.js";
import { type ModelProvider, systemClock } from "../../src/core/ports.js";
import { RunStop } from "../../src/core/run/request-pipeline.js";
import { RetryableError } from "../../src/core/run/retry.js";
import { type RunPlan, runAll } from "../../src/core/run/runner.js";
import type { EvalSet } from "../../src/core/types.js";
import { type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer({ respond: () => '{"pass": true, "reason": "fine"}' });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

function plan(provider: ModelProvider, n = 20): RunPlan {
  const set: EvalSet = {
    name: "anchor",
    path: "a.jsonl",
    visibility: "full",
    cases: Array.from({ length: n }, (_, i) => ({
      id: `c${i}`,
      slice: "s",
      input: `q${i}`,
      vars: {},
      line: i + 1,
    })),
  };
  return {
    sets: [set],
    defaultGraders: [{ type: "judge", rubric: "Pass when it answers." }],
    repeats: 1,
    concurrency: 4,
    sides: [{ side: "head", target: { endpoint: "x", model: "m", system: null, params: {} }, provider }],
    retry: { attempts: 10, rateLimitRetries: 20, baseDelayMs: 1, maxDelayMs: 5 },
  };
}

function graders(stop: RunStop, timeoutMs = 2000) {
  return makeGraderContext({
    endpoint: server.url,
    apiKey: "sk-test",
    timeoutMs,
    configDir: ".",
    repoRoot: "/nonexistent",
    readRepoFile: async () => null,
    embeddingModel: "e",
    judgeModel: "judge-model",
    concurrency: 4,
    stop,
  });
}

const answers = (counter: { calls: number }): ModelProvider => ({
  async complete() {
    counter.calls++;
    return { content: "an answer" };
  },
});

describe("one stop for the target and the graders", () => {
  it("runs nothing when the judge stopped the run before it began (during calibration)", async () => {
    const stop = new RunStop();
    stop.stop("the judge (judge-model) looks down: 8 attempts in a row failed (last: request timed out)");
    const counter = { calls: 0 };
    const outcome = await runAll(plan(answers(counter)), { clock: systemClock, stop });
    expect(counter.calls).toBe(0);
    expect(outcome.aborted).toMatch(/^the judge \(judge-model\) looks down/);
    expect(outcome.runs.every((r) => r.error?.startsWith("not run: the judge (judge-model)"))).toBe(true);
  });

  it("stops the target's requests when the judge hangs, and never counts a case as a pass", async () => {
    server.setFaults({ hang: true });
    const stop = new RunStop();
    const ctx = graders(stop, 300);
    const counter = { calls: 0 };
    const started = Date.now();
    const outcome = await runAll(plan(answers(counter)), { clock: systemClock, stop, graders: ctx });
    await ctx.close();
    expect(outcome.aborted).toBe(
      "the judge (judge-model) looks down: 8 attempts in a row failed (last: request timed out)",
    );
    expect(server.requests()).toHaveLength(8);
    expect(counter.calls).toBe(4);
    expect(outcome.runs.some((r) => r.pass)).toBe(false);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("cancels the judge's requests in flight when the target goes down", async () => {
    server.setFaults({ latencyMs: 10_000 });
    const stop = new RunStop();
    const ctx = graders(stop);
    let calls = 0;
    const goesDown: ModelProvider = {
      async complete() {
        if (++calls === 1) return { content: "the one answer" };
        // Down once the judge is asking about that answer, so that there is a request to cancel.
        while (server.requests().length === 0) await new Promise((r) => setTimeout(r, 2));
        throw new RetryableError("HTTP 503: unavailable");
      },
    };
    const started = Date.now();
    const outcome = await runAll(plan(goesDown), { clock: systemClock, stop, graders: ctx });
    await ctx.close();
    expect(outcome.aborted).toMatch(/^the provider looks down: 12 attempts in a row failed \(last: HTTP 503/);
    // The judge was asking about the one answer, and was cut off rather than waited for.
    expect(server.requests()).toHaveLength(1);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(outcome.runs.find((r) => r.output === "the one answer")?.error).toMatch(/the run was stopped/);
  });
});
