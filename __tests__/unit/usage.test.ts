import { describe, expect, it } from "vitest";
import { toRunStat } from "../../src/core/gate/collect.js";
import { looksLikeRefusal, quantile, summarizeUsage } from "../../src/core/gate/usage.js";
import type { Run } from "../../src/core/types.js";

const run = (over: Partial<Run>): Run => ({
  caseId: "c",
  set: "s",
  side: "head",
  sample: 0,
  cached: false,
  ...over,
});

describe("summarizeUsage", () => {
  it("counts what was paid for apart from what describes the side", () => {
    const runs = [
      run({ output: "a".repeat(10), latencyMs: 100, usage: { prompt_tokens: 10, completion_tokens: 5 } }),
      run({ output: "a".repeat(30), cached: true, usage: { prompt_tokens: 10, completion_tokens: 7 } }),
      run({ output: "I'm sorry, but I can't help with that.", latencyMs: 300 }),
      run({ output: "Sure: the refund is on its way.", refusal: true, latencyMs: 200 }),
      run({ error: "HTTP 500: boom" }),
      run({ error: "not run: the provider looks down" }),
    ];
    const u = summarizeUsage(runs.map(toRunStat), { prompt: 0.15, completion: 0.6 });
    expect(u.requests).toBe(4); // three answered, one failed; the skipped one was never sent
    expect(u.cached).toBe(1);
    expect(u.prompt_tokens).toBe(20);
    expect(u.completion_tokens).toBe(12);
    expect(u.latency_ms_p50).toBe(200);
    expect(u.latency_ms_p99).toBe(300);
    expect(u.refusal_rate).toBe(0.5);
    expect(u.output_chars_mean).toBe(Math.round((10 + 30 + 38 + 31) / 4));
    expect(u.output_chars_p90).toBe(38);
    expect(u.cost_usd).toBeCloseTo((20 * 0.15 + 12 * 0.6) / 1e6, 12);
    expect(summarizeUsage(runs.map(toRunStat)).cost_usd).toBeNull();
  });

  it("tells refusals from answers that merely apologise later", () => {
    expect(looksLikeRefusal("I can’t help with that request.")).toBe(true);
    expect(looksLikeRefusal("Sorry, I am unable to do that.")).toBe(true);
    expect(looksLikeRefusal("Your refund is started. Sorry, I can't promise the date.")).toBe(false);
    expect(looksLikeRefusal("I can help with that!")).toBe(false);
  });

  it("takes nearest-rank quantiles", () => {
    expect(quantile([], 0.5)).toBe(0);
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2);
    expect(quantile([1, 2, 3, 4], 0.99)).toBe(4);
  });
});
