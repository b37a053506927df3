import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { openAIProvider } from "../../src/adapters/openai-provider.js";
import { ProviderError } from "../../src/core/errors.js";
import { type Clock, systemClock } from "../../src/core/ports.js";
import { RetryableError } from "../../src/core/retry.js";
import type { ChatRequest } from "../../src/core/types.js";
import { type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer({ apiKey: "sk-right" });
});
afterAll(() => server.close());
beforeEach(() => server.reset());

/** The real clock, with every wait recorded so backoff can be checked without slowing the suite. */
function recordingClock(): Clock & { waits: number[] } {
  const waits: number[] = [];
  return { now: systemClock.now, sleep: async (ms) => void waits.push(ms), waits };
}

function provider(options: { attempts?: number; timeoutMs?: number; apiKey?: string; clock?: Clock } = {}) {
  return openAIProvider({
    baseURL: server.url,
    apiKey: options.apiKey ?? "sk-right",
    timeoutMs: options.timeoutMs ?? 5000,
    retry: { attempts: options.attempts ?? 4, baseDelayMs: 100, maxDelayMs: 1000 },
    clock: options.clock ?? recordingClock(),
  });
}

const request: ChatRequest = {
  endpoint: "x",
  model: "gpt-4o-mini",
  messages: [{ role: "user", content: "hello there" }],
  params: { temperature: 0 },
  sample: 0,
};

describe("openAIProvider", () => {
  it("returns the content and token usage of a completion", async () => {
    const response = await provider().complete(request);
    expect(response.content).toBe("hello there");
    expect(response.usage?.prompt_tokens).toBeGreaterThan(0);
    const sent = server.requests()[0]?.body as Record<string, unknown>;
    expect(sent.temperature).toBe(0);
    expect(sent.model).toBe("gpt-4o-mini");
  });

  it("waits as long as a 429's retry-after-ms says, then succeeds", async () => {
    server.setFaults({ rate429: 1, retryAfter: { ms: 1234 } });
    const clock = recordingClock();
    const p = provider({ clock, attempts: 2 });
    await expect(p.complete(request)).rejects.toThrow(/HTTP 429/);
    expect(clock.waits).toEqual([1234]);
  });

  it("honours retry-after in seconds", async () => {
    server.setFaults({ rate429: 1, retryAfter: { seconds: 3 } });
    const clock = recordingClock();
    await expect(provider({ clock, attempts: 2 }).complete(request)).rejects.toBeInstanceOf(RetryableError);
    expect(clock.waits).toEqual([3000]);
  });

  it("retries 500s, dropped connections and malformed bodies until one answer comes through", async () => {
    server.setFaults({ rate500: 0.3, rateDrop: 0.2, seed: 5 });
    const p = provider({ attempts: 10 });
    for (let i = 0; i < 20; i++) {
      const r = await p.complete({ ...request, messages: [{ role: "user", content: `q${i}` }] });
      expect(r.content).toBe(`q${i}`);
    }
    const stats = server.stats();
    expect((stats.byStatus[500] ?? 0) + stats.dropped).toBeGreaterThan(0);
  });

  it("reports each kind of persistent fault with its cause", async () => {
    for (const [faults, cause] of [
      [{ down: "503" }, /HTTP 503/],
      [{ down: "destroy" }, /connection failed/],
      [{ malformed: "invalid-json" }, /malformed response/],
      [{ malformed: "empty-choices" }, /malformed response \(no choices\)/],
    ] as const) {
      server.setFaults(faults);
      const clock = recordingClock();
      await expect(provider({ clock, attempts: 3 }).complete(request)).rejects.toThrow(cause);
      expect(clock.waits).toHaveLength(2);
    }
  });

  it("gives up on a hung request after the per-request timeout", async () => {
    server.setFaults({ hang: true });
    const started = Date.now();
    await expect(provider({ attempts: 1, timeoutMs: 300 }).complete(request)).rejects.toThrow(/timed out/);
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("does not retry a refused key", async () => {
    const clock = recordingClock();
    const error = await provider({ apiKey: "sk-wrong", clock })
      .complete(request)
      .catch((e) => e);
    expect(error).toBeInstanceOf(ProviderError);
    expect(error.status).toBe(401);
    expect(clock.waits).toHaveLength(0);
  });
});
