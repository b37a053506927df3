import { describe, expect, it } from "vitest";
import { AdaptiveLimiter } from "../../src/core/run/limiter.js";
import { backoffMs, retryAfterFromHeaders } from "../../src/core/run/retry.js";
import { runAll } from "../../src/core/run/runner.js";
import { echoSet } from "../support/echo-set.js";
import { seededRng } from "../support/prng.js";
import { bucketEndpoint, cappedEndpoint, noisyEndpoint, VirtualClock } from "../support/virtual-time.js";

describe("AdaptiveLimiter", () => {
  it("never lets more than the window in flight, and hands freed slots to waiters", async () => {
    const limiter = new AdaptiveLimiter(3, () => 0);
    let inFlight = 0;
    let max = 0;
    await Promise.all(
      Array.from({ length: 20 }, async () => {
        await limiter.acquire();
        inFlight++;
        max = Math.max(max, inFlight);
        await new Promise((r) => setTimeout(r, 2));
        inFlight--;
        limiter.release("ok");
      }),
    );
    expect(max).toBe(3);
  });

  it("narrows nothing on a 429 alone: one refusal says nothing about a cap", () => {
    let now = 0;
    const limiter = new AdaptiveLimiter(32, () => now);
    for (let i = 0; i < 100; i++) {
      limiter.acquire();
      now += 1;
      limiter.release("rate_limited", { sentAt: now - 1 });
    }
    expect(limiter.limit).toBe(32);
    expect(limiter.rateCapped).toBe(false);
  });

  it("probing, lets a 429 that took as long as answers give its slot back; one answered at once keeps it", () => {
    let now = 0;
    const limiter = new AdaptiveLimiter(32, () => now);
    // Open: every 429 gives its slot back at once, as quota noise needs.
    expect(limiter.holdsSlot(1)).toBe(false);
    // A round at the full window, 30% of the answers 429s, each after 50 ms: the probe starts.
    for (let i = 0; i < 1000 && !limiter.rateCapped; i++) {
      now += 1;
      limiter.record(i % 10 < 3 ? "rate_limited" : "ok", { sentAt: now - 50 });
    }
    expect(limiter.rateCapped).toBe(true);
    expect(limiter.limit).toBeLessThan(32);
    // A 429 after the latency an answer takes used its slot as an answer would: the slot goes on.
    expect(limiter.holdsSlot(50)).toBe(false);
    expect(limiter.holdsSlot(30)).toBe(false);
    // A 429 answered at once (a cap's gateway) would send again at once: it waits out its retry-after.
    expect(limiter.holdsSlot(1)).toBe(true);
    // The probe's answers come without 429s: a cap. From then on every 429 keeps its slot.
    const probeStart = now;
    for (let i = 0; i < 1000 && now - probeStart < 1000; i++) {
      now += 1;
      limiter.record("ok", { sentAt: now - 50 });
    }
    expect(limiter.rateCapped).toBe(true);
    expect(limiter.holdsSlot(50)).toBe(true);
  });
});

/**
 * The real runner, pipeline and limiter against endpoints on a virtual timeline: 1,000 cases,
 * as the benchmark (`npm run bench:429`) runs them, in milliseconds and the same every time.
 */
describe("AdaptiveLimiter against 429s, in virtual time", () => {
  async function run(
    make: (clock: VirtualClock) => ReturnType<typeof noisyEndpoint>,
    { cases = 1000, concurrency }: { cases?: number; concurrency: number },
  ) {
    const clock = new VirtualClock();
    const endpoint = make(clock);
    const set = echoSet(cases);
    const target = { endpoint: "virtual", model: "m", system: null, params: {} };
    const outcome = await clock.drive(
      runAll(
        {
          sets: [set],
          defaultGraders: [{ type: "exact", value: "{{expected}}" }],
          repeats: 1,
          concurrency,
          sides: [{ side: "head", target, provider: endpoint.provider }],
        },
        { clock, random: seededRng(5) },
      ),
    );
    const ms = clock.now();
    return {
      ms,
      errors: outcome.runs.filter((r) => r.error !== undefined).length,
      passes: outcome.runs.filter((r) => r.pass).length,
      aborted: outcome.aborted,
      rateLimited: endpoint.counts.rateLimited,
      /** Requests in flight at the endpoint, on average over the run. */
      inFlight: endpoint.counts.inFlightMs / ms,
    };
  }

  it("keeps every slot busy under 30% random 429s: within 1.3× the ideal, where halving took 5.5×", async () => {
    const r = await run(
      (clock) => noisyEndpoint(clock, { p: 0.3, latencyMs: 50, retryAfterMs: 50, seed: 7 }),
      {
        concurrency: 32,
      },
    );
    // Every slot busy, each case 1/0.7 attempts of 50 ms: 1,000 × 50 / (32 × 0.7) = 2,232 ms.
    const ideal = (1000 * 50) / (32 * 0.7);
    expect(r.errors).toBe(0);
    expect(r.passes).toBe(1000);
    expect(r.ms).toBeLessThan(1.3 * ideal);
    expect(r.inFlight).toBeGreaterThan(0.75 * 32);
  });

  it("keeps the window at any share of random 429s, latency and concurrency", async () => {
    for (const [p, latencyMs, concurrency] of [
      [0.1, 50, 8],
      [0.5, 50, 32],
      [0.3, 500, 16],
    ] as const) {
      const r = await run((clock) => noisyEndpoint(clock, { p, latencyMs, retryAfterMs: 50, seed: 3 }), {
        concurrency,
      });
      const ideal = (1000 * latencyMs) / (concurrency * (1 - p));
      expect(r.errors, `p ${p}`).toBe(0);
      // The last cases' retries are a tail no window shortens: most of what is over the ideal.
      expect(r.ms, `p ${p}, ${latencyMs} ms, ${concurrency} in flight`).toBeLessThan(1.4 * ideal);
    }
  });

  it("holds a true cap (200 requests/s in any second) at the cap, with no errors and few 429s", async () => {
    const r = await run((clock) => cappedEndpoint(clock, { perSecond: 200, latencyMs: 50 }), {
      concurrency: 64,
    });
    const rate = (1000 / r.ms) * 1000;
    expect(r.errors).toBe(0);
    expect(rate).toBeGreaterThanOrEqual(0.9 * 200);
    // Paced to what carries 200/s at 50 ms: about 10 in flight, not 64.
    expect(r.inFlight).toBeGreaterThan(6);
    expect(r.inFlight).toBeLessThan(14);
    expect(r.rateLimited).toBeLessThan(400);
  });

  it("holds a cap whose 429s come as slowly as answers (a proxy that queues, then refuses)", async () => {
    // While probing, such a 429 gives its slot back at once (holdsSlot): the probe must still find the cap.
    const r = await run((clock) => cappedEndpoint(clock, { perSecond: 200, latencyMs: 50, refusalMs: 50 }), {
      concurrency: 64,
    });
    expect(r.errors).toBe(0);
    expect((1000 / r.ms) * 1000).toBeGreaterThanOrEqual(0.9 * 200);
    expect(r.inFlight).toBeLessThan(20);
    expect(r.rateLimited).toBeLessThan(400);
  });

  it("holds a token bucket's cap, whose 429s ask to retry within milliseconds", async () => {
    const r = await run((clock) => bucketEndpoint(clock, { perSecond: 200, burst: 20, latencyMs: 50 }), {
      cases: 1600,
      concurrency: 16,
    });
    expect(r.errors).toBe(0);
    expect((1600 / r.ms) * 1000).toBeGreaterThanOrEqual(0.9 * 200);
    expect(r.rateLimited).toBeLessThan(1600);
  });

  it("carries a cap a few requests wide (50/s at 50 ms: 2.5 in flight) with a fractional window", async () => {
    const r = await run((clock) => cappedEndpoint(clock, { perSecond: 50, latencyMs: 50 }), {
      concurrency: 64,
    });
    expect(r.errors).toBe(0);
    expect((1000 / r.ms) * 1000).toBeGreaterThanOrEqual(0.9 * 50);
    expect(r.inFlight).toBeGreaterThan(2);
    expect(r.inFlight).toBeLessThan(3.5);
  });

  it("ends a run whose every request is refused (a spent quota) in errors, never a pass", async () => {
    // Short waits: each case spends its 20 rate-limit retries (2 s), well within the minute.
    const short = await run((clock) => noisyEndpoint(clock, { p: 1, latencyMs: 50, retryAfterMs: 50 }), {
      cases: 200,
      concurrency: 32,
    });
    expect(short.passes).toBe(0);
    expect(short.errors).toBe(200);
    expect(short.aborted).toBeUndefined();
    expect(short.rateLimited).toBe(200 * 21);
    // Long waits (21 × 5 s a case): after a minute of nothing but 429s the run stops, with the reason.
    const long = await run((clock) => noisyEndpoint(clock, { p: 1, latencyMs: 50, retryAfterMs: 5000 }), {
      concurrency: 32,
    });
    expect(long.passes).toBe(0);
    expect(long.errors).toBe(1000);
    expect(long.aborted).toMatch(
      /^the provider is rate-limited without end: \d+ attempts in a row answered 429/,
    );
    expect(long.ms).toBeGreaterThanOrEqual(60_000);
    expect(long.ms).toBeLessThan(70_000);
  });
});

describe("retryAfterFromHeaders", () => {
  const read = (headers: Record<string, string>) => retryAfterFromHeaders((name) => headers[name]);
  it("prefers retry-after-ms, then retry-after in seconds", () => {
    expect(read({ "retry-after-ms": "250", "retry-after": "3" })).toBe(250);
    expect(read({ "retry-after": "3" })).toBe(3000);
    expect(read({})).toBeUndefined();
  });
  it("falls back on the reset of a spent OpenAI limit, the later of requests and tokens", () => {
    const spent = { "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "20ms" };
    expect(read(spent)).toBe(20);
    expect(read({ ...spent, "x-ratelimit-remaining-tokens": "0", "x-ratelimit-reset-tokens": "6m0s" })).toBe(
      360_000,
    );
    expect(read({ ...spent, "x-ratelimit-remaining-tokens": "10", "x-ratelimit-reset-tokens": "6m0s" })).toBe(
      20,
    );
    // A limit with room left names no wait; nor does a reset that is not a duration.
    expect(
      read({ "x-ratelimit-remaining-requests": "5", "x-ratelimit-reset-requests": "1s" }),
    ).toBeUndefined();
    expect(
      read({ "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "soon" }),
    ).toBeUndefined();
    expect(read({ "x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "1.5s" })).toBe(1500);
  });
});

describe("backoffMs", () => {
  const policy = { attempts: 10, rateLimitRetries: 20, baseDelayMs: 500, maxDelayMs: 30_000 };
  it("grows exponentially with jitter in [cap/2, cap], up to the ceiling", () => {
    expect(backoffMs(1, policy, () => 0)).toBe(250);
    expect(backoffMs(1, policy, () => 1)).toBe(500);
    expect(backoffMs(4, policy, () => 0.5)).toBe(3000);
    expect(backoffMs(20, policy, () => 1)).toBe(30_000);
  });
  it("honours a server-named wait with a little jitter, capped", () => {
    expect(backoffMs(5, policy, () => 0, 1234)).toBe(1234);
    expect(backoffMs(5, policy, () => 1, 1234)).toBeCloseTo(1234 + 10 + 123.4);
    expect(backoffMs(1, policy, () => 1, 120_000)).toBe(30_000);
  });
});
