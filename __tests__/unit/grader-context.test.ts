import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type GraderContextOptions, makeGraderContext } from "../../src/adapters/graders/grader-context.js";
import { inRepository } from "../../src/adapters/graders/grader-files.js";
import { UserError } from "../../src/core/errors.js";
import type { ResponseCache } from "../../src/core/ports.js";
import { RunStop } from "../../src/core/run/request-pipeline.js";
import type { ModelResponse } from "../../src/core/types.js";
import { hashedBagOfWords, type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer({ apiKey: "sk-grader-key" });
});
afterAll(() => server.close());
beforeEach(() => {
  server.reset();
  server.setRespond(undefined);
});

class MapCache implements ResponseCache {
  readonly map = new Map<string, ModelResponse>();
  async get(key: string) {
    return this.map.get(key);
  }
  async set(key: string, value: ModelResponse) {
    this.map.set(key, value);
  }
}

const files: Record<string, string> = { "ci/rubric.md": "Be kind.", "rubric.md": "At the root." };
const sleeps: number[] = [];

function context(overrides: Partial<GraderContextOptions> = {}) {
  return makeGraderContext({
    endpoint: server.url,
    apiKey: "sk-grader-key",
    timeoutMs: 2000,
    configDir: "ci",
    repoRoot: "/nonexistent",
    readRepoFile: async (path) => files[path] ?? null,
    embeddingModel: "text-embedding-3-small",
    judgeModel: "gpt-4o",
    random: () => 0.5,
    clock: { now: () => performance.now(), sleep: async (ms) => void sleeps.push(ms) },
    ...overrides,
  });
}

const judgeRequest = {
  model: "gpt-4o",
  messages: [
    { role: "system" as const, content: "Grade it." },
    { role: "user" as const, content: "<output>\nhello\n</output>" },
  ],
  params: { temperature: 0, response_format: { type: "json_object" } },
};

describe("embed", () => {
  it("returns the endpoint's vectors in order, asking for floats", async () => {
    const ctx = context();
    const [a, b] = await ctx.embed(["refund in 30 days", "no refunds"], "text-embedding-3-small");
    expect(a).toHaveLength(64);
    expect(a?.[0]).toBeCloseTo(hashedBagOfWords("refund in 30 days")[0] ?? 0, 6);
    expect(b).toEqual(hashedBagOfWords("no refunds").map((x) => expect.closeTo(x, 6)));
    expect(server.requests()[0]).toMatchObject({
      path: "/v1/embeddings",
      authorization: "Bearer sk-grader-key",
      body: {
        model: "text-embedding-3-small",
        input: ["refund in 30 days", "no refunds"],
        encoding_format: "float",
      },
    });
    await ctx.close();
  });

  it("caches each text's vector under its own prefixed key; a second context asks nothing", async () => {
    const cache = new MapCache();
    const first = await context({ cache }).embed(["one", "two"], "m");
    expect(server.requests()).toHaveLength(1);
    expect([...cache.map.keys()].every((k) => /^embedding:[0-9a-f]{64}$/.test(k))).toBe(true);
    expect(cache.map.size).toBe(2);
    server.clearRequests();
    expect(await context({ cache }).embed(["two", "one"], "m")).toEqual([first[1], first[0]]);
    expect(server.requests()).toHaveLength(0);
    // Only the new text is asked for; another model is another key.
    await context({ cache }).embed(["one", "three"], "m");
    expect(server.requests()[0]?.body).toMatchObject({ input: ["three"] });
    await context({ cache }).embed(["one"], "other-model");
    expect(server.requests()).toHaveLength(2);
  });

  it("asks once for a text that concurrent graders embed at the same time", async () => {
    const ctx = context();
    const results = await Promise.all([ctx.embed(["same", "a"], "m"), ctx.embed(["same", "b"], "m")]);
    expect(results[0]?.[0]).toEqual(results[1]?.[0]);
    const inputs = server.requests().flatMap((r) => (r.body as { input: string[] }).input);
    expect(inputs.filter((t) => t === "same")).toHaveLength(1);
  });

  it("retries faults with backoff, then throws naming the model and the cause", async () => {
    sleeps.length = 0;
    server.setFaults({ rate500: 1 });
    const ctx = context({ retry: { attempts: 3 } });
    await expect(ctx.embed(["x"], "m")).rejects.toThrow(
      /^the embedding model \(m\) failed after 3 attempts: HTTP 500/,
    );
    expect(server.requests()).toHaveLength(3);
    expect(sleeps).toEqual([375, 750]); // jittered exponential backoff at random() = 0.5
    server.setFaults({ malformed: "empty-choices" });
    await expect(ctx.embed(["y"], "m")).rejects.toThrow(
      /malformed embeddings response \(0 vectors for 1 texts\)/,
    );
  });

  it("does not retry what will not work (a 401), and recovers from one fault", async () => {
    const wrongKey = context({ apiKey: "sk-wrong" });
    await expect(wrongKey.embed(["x"], "m")).rejects.toThrow(/^the embedding model \(m\) failed: HTTP 401/);
    expect(server.requests()).toHaveLength(1);
    server.reset();
    server.setFaults({ rate500: 0.5, seed: 3 });
    const ctx = context({ retry: { attempts: 10 } });
    await expect(ctx.embed(["a", "b", "c"], "m")).resolves.toHaveLength(3);
  });
});

describe("complete", () => {
  it("posts a chat completion with the params and caches it by request under its own prefix", async () => {
    server.setRespond(() => '{"pass": true, "reason": "kind"}');
    const cache = new MapCache();
    const response = await context({ cache }).complete(judgeRequest);
    expect(response.content).toBe('{"pass": true, "reason": "kind"}');
    expect(server.requests()[0]?.body).toMatchObject({
      model: "gpt-4o",
      temperature: 0,
      response_format: { type: "json_object" },
      stream: false,
    });
    expect([...cache.map.keys()]).toEqual([expect.stringMatching(/^judge:[0-9a-f]{64}$/)]);
    server.clearRequests();
    expect((await context({ cache }).complete(judgeRequest)).content).toBe(response.content);
    expect(server.requests()).toHaveLength(0);
    await context({ cache }).complete({ ...judgeRequest, model: "gpt-4o-mini" });
    expect(server.requests()).toHaveLength(1);
  });

  it("retries malformed answers and 5xx, then throws naming the judge", async () => {
    server.setFaults({ malformed: true });
    const ctx = context({ retry: { attempts: 2 } });
    await expect(ctx.complete(judgeRequest)).rejects.toThrow(
      /^the judge \(gpt-4o\) failed after 2 attempts: malformed response/,
    );
    server.setFaults({ down: "503" });
    await expect(ctx.complete(judgeRequest)).rejects.toThrow(/HTTP 503/);
  });

  it("scrubs the API key from answers and errors", async () => {
    server.setRespond(() => '{"pass": true, "reason": "the key is sk-grader-key"}');
    const response = await context().complete(judgeRequest);
    expect(response.content).toBe('{"pass": true, "reason": "the key is ***"}');
    server.setRespond(() => ({ error: { status: 400, message: "bad key sk-grader-key" } }));
    const error = await context()
      .complete({ ...judgeRequest, model: "x" })
      .catch((e: Error) => e);
    expect(String(error)).not.toContain("sk-grader-key");
  });
});

/** `n` different judge requests (so none is a cache hit of another). */
const judgeRequests = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    ...judgeRequest,
    messages: [
      { role: "system" as const, content: "Grade it." },
      { role: "user" as const, content: `<output>\n${i}\n</output>` },
    ],
  }));

describe("the run's request discipline", () => {
  it("keeps at most `concurrency` judge requests in flight", async () => {
    server.setRespond(() => '{"pass": true}');
    server.setFaults({ latencyMs: 30 });
    const ctx = context({ concurrency: 3 });
    await Promise.all(judgeRequests(12).map((r) => ctx.complete(r)));
    expect(server.stats()).toMatchObject({ total: 12, maxInFlight: 3 });
  });

  it("stops the run after a few timeouts when the judge never answers, not 4 per case", async () => {
    server.setFaults({ hang: true });
    const stop = new RunStop();
    const ctx = context({ timeoutMs: 300, concurrency: 4, stop });
    const started = Date.now();
    const results = await Promise.allSettled(judgeRequests(20).map((r) => ctx.complete(r)));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    // max(8, concurrency) timeouts with no answer trip it: two rounds of four when the timers fire
    // together; under load a freed slot can carry one more request out before the eighth timeout
    // is read, so the bound is the trip count plus the requests in flight (at most concurrency).
    expect(server.requests().length).toBeGreaterThanOrEqual(8);
    expect(server.requests().length).toBeLessThanOrEqual(8 + 4);
    expect(stop.reason).toBe(
      "the judge (gpt-4o) looks down: 8 attempts in a row failed (last: request timed out)",
    );
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("honours a 429's retry-after, and stops the run after max(12, 3 × concurrency) 429s in a row", async () => {
    sleeps.length = 0;
    server.setFaults({ rate429: 1, retryAfter: { ms: 40 } });
    const stop = new RunStop();
    const ctx = context({ concurrency: 4, stop });
    const results = await Promise.allSettled(judgeRequests(20).map((r) => ctx.complete(r)));
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    // 12 in a row trip it; what was in flight at that moment (at most the 4 slots) had been sent
    // already. Under load one more than 12 + 3 was seen once: a slot freed by a 429 can be refilled
    // before the answer that trips the breaker is read, so the bound is 12 + concurrency.
    expect(server.requests().length).toBeGreaterThanOrEqual(12);
    expect(server.requests().length).toBeLessThanOrEqual(12 + 4);
    expect(stop.reason).toMatch(
      /^the judge \(gpt-4o\) is rate-limited without end: 12 attempts in a row answered 429 \(last: HTTP 429: Rate limit reached/,
    );
    expect(sleeps.length).toBeGreaterThan(0);
    expect(sleeps.every((ms) => ms >= 40)).toBe(true);
  });

  it("cancels a judge request in flight when the run stops elsewhere, and sends no more", async () => {
    server.setFaults({ latencyMs: 5000 });
    const stop = new RunStop();
    const ctx = context({ stop });
    const pending = ctx.complete(judgeRequest).catch((e: Error) => e);
    // Until the server has read the whole request: a request cut mid-body (on a loaded machine)
    // would be logged without it, here or after the next test's reset.
    const sent = () => server.requests().some((r) => JSON.stringify(r.body).includes("hello"));
    while (!sent()) await new Promise((r) => setTimeout(r, 5));
    const started = Date.now();
    stop.stop("the provider looks down: 8 attempts in a row failed (last: HTTP 503)");
    expect(String(await pending)).toMatch(/the judge \(gpt-4o\) failed: the run was stopped/);
    expect(Date.now() - started).toBeLessThan(500);
    await expect(ctx.embed(["x"], "m")).rejects.toThrow(/the run was stopped \(the provider looks down/);
    // This test's requests only: the one before may leave attempts it had in flight (up to its
    // concurrency) still arriving at the server.
    const own = server
      .requests()
      .filter((r) => r.path === "/v1/embeddings" || JSON.stringify(r.body).includes("hello"));
    expect(own).toHaveLength(1);
  });

  it("stops the run at a refused key or unknown judge model, naming it, with the key scrubbed", async () => {
    server.setRespond(() => ({ error: { status: 401, message: "Incorrect API key sk-grader-key" } }));
    const stop = new RunStop();
    await expect(context({ stop }).complete(judgeRequest)).rejects.toThrow(/HTTP 401/);
    expect(stop.reason).toBe("the judge (gpt-4o): HTTP 401: Incorrect API key ***");
    expect(server.requests()).toHaveLength(1);
  });
});

describe("files", () => {
  it("reads files relative to the config's folder", async () => {
    expect(await context().readFile("rubric.md")).toBe("Be kind.");
    expect(await context().readFile("../rubric.md")).toBe("At the root.");
    expect(await context({ configDir: "." }).readFile("rubric.md")).toBe("At the root.");
    expect(await context().readFile("nope.md")).toBeNull();
    await expect(context().readFile("../../etc/passwd")).rejects.toBeInstanceOf(UserError);
  });

  it("exposes the config's defaults", () => {
    expect(context({ judgeModel: null }).defaults).toEqual({
      embeddingModel: "text-embedding-3-small",
      judgeModel: null,
    });
  });

  it.each([
    [".", "a/b.mjs", "a/b.mjs"],
    ["ci", "../a.mjs", "a.mjs"],
    ["ci/x", "./../y/./z.md", "ci/y/z.md"],
    ["", "a.md", "a.md"],
  ])("inRepository(%j, %j) is %j", (dir, path, expected) => {
    expect(inRepository(dir, path, "f")).toBe(expected);
  });

  it.each([
    [".", ".."],
    [".", "../a.mjs"],
    ["ci", "../../a.mjs"],
    ["ci", "/abs.mjs"],
    ["ci", "C:\\x.mjs"],
    ["ci", "..\\..\\x.mjs"],
  ])("inRepository(%j, %j) refuses", (dir, path) => {
    expect(() => inRepository(dir, path, "script.path")).toThrow(/outside the repository/);
  });
});
