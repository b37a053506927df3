import { describe, expect, it } from "vitest";
import { AdaptiveLimiter } from "../../src/core/limiter.js";
import { backoffMs, retryAfterFromHeaders } from "../../src/core/retry.js";

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

  it("halves on a rate limit at most once per cooldown, and grows back by about one per window", () => {
    let now = 0;
    const limiter = new AdaptiveLimiter(32, () => now);
    const cycle = (outcome: "ok" | "rate_limited") => {
      limiter.acquire();
      limiter.release(outcome);
    };
    cycle("rate_limited");
    expect(limiter.limit).toBe(16);
    cycle("rate_limited"); // same instant: a burst of 429s from one overload counts once
    expect(limiter.limit).toBe(16);
    now = 300;
    cycle("rate_limited");
    expect(limiter.limit).toBe(8);
    for (let i = 0; i < 8; i++) cycle("ok");
    expect(limiter.limit).toBe(8);
    for (let i = 0; i < 2; i++) cycle("ok");
    expect(limiter.limit).toBe(9);
    for (let i = 0; i < 10_000; i++) cycle("ok");
    expect(limiter.limit).toBe(32);
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
