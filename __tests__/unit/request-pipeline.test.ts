import { describe, expect, it } from "vitest";
import { ProviderError } from "../../src/core/errors.js";
import { type Clock, systemClock } from "../../src/core/ports.js";
import { type PipelineOptions, RequestPipeline, RunStop } from "../../src/core/run/request-pipeline.js";
import { RetryableError } from "../../src/core/run/retry.js";

const policy = { attempts: 4, rateLimitRetries: 8, baseDelayMs: 500, maxDelayMs: 10_000 };

/** A clock whose sleeps return at once and are recorded, so backoff is checked without waiting. */
function instantClock(): Clock & { slept: number[] } {
  const slept: number[] = [];
  return { slept, now: () => performance.now(), sleep: async (ms) => void slept.push(ms) };
}

function pipeline(overrides: Partial<PipelineOptions> = {}) {
  const clock = instantClock();
  const stop = new RunStop();
  const p = new RequestPipeline({ concurrency: 4, policy, clock, stop, random: () => 0.5, ...overrides });
  return {
    p,
    clock: (overrides.clock as ReturnType<typeof instantClock>) ?? clock,
    stop: overrides.stop ?? stop,
  };
}

const timeout = () => new RetryableError("request timed out");
const rateLimit = (ms?: number) => new RetryableError("HTTP 429: slow down", ms, { rateLimited: true });

describe("RequestPipeline", () => {
  it("retries faults with jittered exponential backoff, then answers", async () => {
    const { p, clock } = pipeline();
    let calls = 0;
    const answer = await p.send("the judge (m)", async () => {
      if (++calls < 3) throw new RetryableError("HTTP 500: boom");
      return "ok";
    });
    expect(answer).toBe("ok");
    expect(calls).toBe(3);
    expect(clock.slept).toEqual([375, 750]);
  });

  it("honours a 429's retry-after; with nothing answered, a request spends its rate-limit retries", async () => {
    const { p, clock, stop } = pipeline();
    let calls = 0;
    await expect(
      p.send("head side", async () => {
        calls++;
        throw rateLimit(1234);
      }),
    ).rejects.toThrow(/HTTP 429/);
    expect(calls).toBe(policy.rateLimitRetries + 1);
    expect(clock.slept.every((ms) => ms >= 1234 && ms < 1234 + 250)).toBe(true);
    // A 429 alone says nothing about a cap: the window stays.
    expect(p.limiter.limit).toBe(4);
    // 9 attempts, fewer than the streak of max(12, 3 × 4) that stops the run.
    expect(stop.reason).toBeUndefined();
  });

  it("spends no rate-limit retry while other requests get answers: a cap or quota noise is waited out", async () => {
    const { p, stop } = pipeline();
    const turn = () => new Promise((r) => setImmediate(r));
    let refusals = 0;
    // One request refused 30 times (more than its 8 rate-limit retries), while another is
    // answered between every two of its attempts (each attempt takes a turn of the event loop).
    const stubborn = p.send("head side", async () => {
      await turn();
      if (++refusals <= 30) throw rateLimit(5);
      return "at last";
    });
    let answers = 0;
    const steady = (async () => {
      while (refusals <= 30) {
        await p.send("head side", async () => {
          await turn();
          return "ok";
        });
        answers++;
      }
    })();
    await expect(stubborn).resolves.toBe("at last");
    await steady;
    expect(answers).toBeGreaterThan(0);
    expect(stop.reason).toBeUndefined();
  });

  it("stops the run when every request is refused for a minute (a spent quota), after max(12, 3 × concurrency) 429s", async () => {
    // Each backoff moves this clock on by its length, as if it had been waited.
    let now = 0;
    const clock: Clock = {
      now: () => now,
      sleep: async (ms) => {
        now += ms;
      },
    };
    const { p, stop } = pipeline({ clock });
    let calls = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        p.send("head side", async () => {
          calls++;
          throw rateLimit(10_000);
        }),
      ),
    );
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(calls).toBe(12);
    expect(now).toBeGreaterThanOrEqual(60_000);
    expect(stop.reason).toMatch(/^head side is rate-limited without end: 12 attempts in a row answered 429/);
  });

  it("keeps at most `concurrency` attempts in flight", async () => {
    const { p } = pipeline({ concurrency: 3 });
    let inFlight = 0;
    let max = 0;
    await Promise.all(
      Array.from({ length: 12 }, () =>
        p.send("x", async () => {
          max = Math.max(max, ++inFlight);
          await new Promise((r) => setTimeout(r, 2));
          inFlight--;
        }),
      ),
    );
    expect(max).toBe(3);
  });

  it("stops the run at a refused key, naming who asked, and sends nothing after", async () => {
    const { p, stop } = pipeline();
    await expect(
      p.send("the judge (gpt-4o)", async () => {
        throw new ProviderError("HTTP 401: bad key", 401);
      }),
    ).rejects.toThrow(/401/);
    expect(stop.reason).toBe("the judge (gpt-4o): HTTP 401: bad key");
    let sent = false;
    await expect(
      p.send("the judge (gpt-4o)", async () => {
        sent = true;
      }),
    ).rejects.toMatchObject({ name: "AbortError", message: expect.stringContaining("HTTP 401") });
    expect(sent).toBe(false);
  });

  it("counts timeouts: an endpoint that never answers stops the run after max(8, concurrency) of them", async () => {
    const { p, stop } = pipeline();
    let calls = 0;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        p.send("the judge (m)", async () => {
          calls++;
          throw timeout();
        }),
      ),
    );
    expect(results.every((r) => r.status === "rejected")).toBe(true);
    expect(calls).toBe(8);
    expect(stop.reason).toBe(
      "the judge (m) looks down: 8 attempts in a row failed (last: request timed out)",
    );
  });

  it("with endlessRateLimits, stops after max(12, 3 × concurrency) 429s in a row, not 20 × 9", async () => {
    const { p, stop } = pipeline({ endlessRateLimits: true });
    let calls = 0;
    await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        p.send("the judge (m)", async () => {
          calls++;
          throw rateLimit(100);
        }),
      ),
    );
    expect(calls).toBe(12);
    expect(stop.reason).toBe(
      "the judge (m) is rate-limited without end: 12 attempts in a row answered 429 (last: HTTP 429: slow down)",
    );
  });

  it("lets an answer between 429s reset the streak: a busy endpoint is waited out", async () => {
    const { p, stop } = pipeline({ endlessRateLimits: true });
    let calls = 0;
    const answers: string[] = [];
    // Four workers (the runner's concurrency) of five requests each; every third attempt gets
    // through: 40 429s in all, never 12 in a row.
    const worker = async () => {
      for (let i = 0; i < 5; i++) {
        answers.push(
          await p.send("the judge (m)", async () => {
            if (++calls % 3 !== 0) throw rateLimit(10);
            return "ok";
          }),
        );
      }
    };
    await Promise.all(Array.from({ length: 4 }, worker));
    expect(answers).toHaveLength(20);
    expect(calls).toBe(60);
    expect(stop.reason).toBeUndefined();
  });

  it("names the subject it was given instead of the request", async () => {
    const { p, stop } = pipeline({ subject: "the provider" });
    await Promise.allSettled(
      Array.from({ length: 8 }, () =>
        p.send("head side", async () => {
          throw new RetryableError("HTTP 503: down");
        }),
      ),
    );
    expect(stop.reason).toMatch(/^the provider looks down: 8 attempts/);
  });
});

describe("a shared RunStop", () => {
  it("cancels another pipeline's attempt in flight and wakes its backoff", async () => {
    const stop = new RunStop();
    const target = new RequestPipeline({ concurrency: 2, policy, clock: systemClock, stop });
    const judge = new RequestPipeline({ concurrency: 2, policy, clock: systemClock, stop });
    const started = Date.now();
    // In flight: resolves only when the signal aborts.
    const inFlight = judge.send(
      "the judge (m)",
      (signal) =>
        new Promise((_, reject) => signal.addEventListener("abort", () => reject(new Error("cancelled")))),
    );
    // Backing off: a 429 asking for a minute.
    let backedOff = 0;
    const waiting = judge.send("the judge (m)", async () => {
      backedOff++;
      throw rateLimit(60_000);
    });
    await new Promise((r) => setTimeout(r, 20));
    await expect(
      target.send("head side", async () => {
        throw new ProviderError("HTTP 404: no such model", 404);
      }),
    ).rejects.toThrow(/404/);
    await expect(inFlight).rejects.toThrow("cancelled");
    await expect(waiting).rejects.toThrow(/429/);
    expect(backedOff).toBe(1);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(stop.reason).toBe("head side: HTTP 404: no such model");
  });
});
