import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openAIProvider } from "../../src/adapters/providers/openai-provider.js";
import { ProviderError } from "../../src/core/errors.js";
import { systemClock } from "../../src/core/ports.js";
import { RetryableError } from "../../src/core/run/retry.js";
import { type RunPlan, runAll } from "../../src/core/run/runner.js";
import type { ChatRequest } from "../../src/core/types.js";
import { echoSet } from "../support/echo-set.js";
import { type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer({ apiKey: "sk-right" });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

const provider = (options: { timeoutMs?: number; apiKey?: string } = {}) =>
  openAIProvider({
    baseURL: server.url,
    apiKey: options.apiKey ?? "sk-right",
    timeoutMs: options.timeoutMs ?? 5000,
  });

const request: ChatRequest = {
  endpoint: "x",
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "hello there" }],
  params: { temperature: 0 },
  sample: 0,
};

async function failure(p: Promise<unknown>): Promise<Error> {
  return p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e: Error) => e,
  );
}

describe("openAIProvider, one attempt", () => {
  it("returns the content and token usage of a completion, with the params passed through", async () => {
    const response = await provider().complete(request);
    expect(response.content).toBe("hello there");
    expect(response.usage?.prompt_tokens).toBeGreaterThan(0);
    const sent = server.requests()[0]?.body as Record<string, unknown>;
    expect(sent).toMatchObject({ temperature: 0, model: "gpt-4o-mini" });
  });

  it("reads a 429's retry-after-ms, and retry-after in seconds", async () => {
    server.setFaults({ rate429: 1, retryAfter: { ms: 1234 } });
    const a = await failure(provider().complete(request));
    expect(a).toBeInstanceOf(RetryableError);
    expect(a).toMatchObject({ retryAfterMs: 1234, rateLimited: true });
    server.setFaults({ rate429: 1, retryAfter: { seconds: 3 } });
    expect(await failure(provider().complete(request))).toMatchObject({ retryAfterMs: 3000 });
    // Without either, OpenAI's reset of the spent request limit.
    server.setFaults({ rate429: 1, retryAfter: { resetRequests: "1.5s" } });
    expect(await failure(provider().complete(request))).toMatchObject({ retryAfterMs: 1500 });
  });

  it("classifies each kind of fault as worth another attempt, with its cause", async () => {
    for (const [faults, cause] of [
      [{ rate500: 1 }, /HTTP 500/],
      [{ down: "503" }, /HTTP 503/],
      [{ down: "destroy" }, /connection failed/],
      [{ malformed: "invalid-json" }, /malformed response/],
      [{ malformed: "empty-choices" }, /malformed response \(no choices\)/],
    ] as const) {
      server.setFaults(faults);
      const e = await failure(provider().complete(request));
      expect(e).toBeInstanceOf(RetryableError);
      expect(e.message).toMatch(cause);
      expect((e as RetryableError).rateLimited).toBe(false);
    }
  });

  it("gives up on a hung request after the per-request timeout", async () => {
    server.setFaults({ hang: true });
    const started = Date.now();
    expect((await failure(provider({ timeoutMs: 300 }).complete(request))).message).toMatch(/timed out/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("does not mark a refused key as retryable", async () => {
    const e = await failure(provider({ apiKey: "sk-wrong" }).complete(request));
    expect(e).toBeInstanceOf(ProviderError);
    expect((e as ProviderError).status).toBe(401);
  });
});

describe("the runner against a flaky real server", () => {
  function plan(n: number, extra: Partial<RunPlan> = {}): RunPlan {
    const set = echoSet(n);
    const target = { endpoint: server.url, model: "gpt-4o-mini", system: null, params: {} };
    return {
      sets: [set],
      defaultGraders: [{ type: "exact", value: "{{expected}}" }],
      repeats: 1,
      concurrency: 8,
      sides: [{ side: "head", target, provider: provider() }],
      retry: { attempts: 10, rateLimitRetries: 20, baseDelayMs: 5, maxDelayMs: 50 },
      ...extra,
    };
  }

  it("loses no case to 15% 500s, 15% 429s and 5% dropped connections", async () => {
    server.setFaults({ rate500: 0.15, rate429: 0.15, rateDrop: 0.05, retryAfter: { ms: 5 }, seed: 3 });
    const outcome = await runAll(plan(1000), { clock: systemClock });
    expect(outcome.aborted).toBeUndefined();
    expect(outcome.runs.filter((r) => r.error)).toEqual([]);
    expect(outcome.runs.every((r) => r.pass)).toBe(true);
    const stats = server.stats();
    expect(stats.byStatus[500]).toBeGreaterThan(20);
    expect(stats.byStatus[429]).toBeGreaterThan(20);
    expect(stats.dropped).toBeGreaterThan(5);
    expect(stats.maxInFlight).toBeLessThanOrEqual(8);
  });

  it("stops within seconds when the server is down, every case an error", async () => {
    server.setFaults({ down: "503" });
    const started = Date.now();
    const outcome = await runAll(
      plan(500, { retry: { attempts: 4, rateLimitRetries: 20, baseDelayMs: 500, maxDelayMs: 30_000 } }),
      {
        clock: systemClock,
      },
    );
    expect(Date.now() - started).toBeLessThan(5000);
    expect(outcome.aborted).toMatch(/looks down.*HTTP 503/);
    expect(outcome.runs).toHaveLength(500);
    expect(outcome.runs.every((r) => r.error !== undefined && r.pass === undefined)).toBe(true);
    expect(server.stats().total).toBeLessThan(40);
  });

  it("cancels attempts in flight when it stops", async () => {
    server.setFaults({ hang: true });
    const started = Date.now();
    const p = plan(50, { retry: { attempts: 2, rateLimitRetries: 2, baseDelayMs: 10, maxDelayMs: 10 } });
    const outcome = await runAll(
      { ...p, sides: [{ ...p.sides[0], provider: provider({ timeoutMs: 400 }) } as RunPlan["sides"][0]] },
      { clock: systemClock },
    );
    expect(outcome.aborted).toMatch(/looks down.*timed out/);
    expect(Date.now() - started).toBeLessThan(3000);
  });
});
