/**
 * Virtual time for request-discipline tests: a `Clock` whose sleeps are timers on a simulated
 * timeline, and model endpoints that live on it (a true rate cap, random 429s, a spent quota). The
 * real runner, request pipeline and limiter run unchanged; `drive` advances the timeline from one
 * timer to the next once every promise has settled, so a run of thousands of requests takes
 * milliseconds, and the same seed gives the same run.
 */
import type { Clock, ModelProvider } from "../../src/core/ports.js";
import { RetryableError } from "../../src/core/run/retry.js";
import { type Rng, seededRng } from "./prng.js";

interface Timer {
  at: number;
  seq: number;
  fire: () => void;
}

export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private timers: Timer[] = [];

  readonly now = (): number => this.t;

  readonly sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
    new Promise((resolve) => {
      if (signal?.aborted) return resolve();
      const onAbort = () => {
        this.timers = this.timers.filter((x) => x !== timer);
        resolve();
      };
      const timer: Timer = {
        at: this.t + Math.max(0, ms),
        seq: this.seq++,
        fire: () => {
          signal?.removeEventListener("abort", onAbort);
          resolve();
        },
      };
      this.timers.push(timer);
      signal?.addEventListener("abort", onAbort, { once: true });
    });

  /** Runs `work` on the timeline to its end (or `limitMs` of virtual time); returns its value. */
  async drive<T>(work: Promise<T>, limitMs = 3_600_000): Promise<T> {
    let done = false;
    const result = work.finally(() => {
      done = true;
    });
    for (;;) {
      // Every microtask chain settles before a macrotask: one turn lets all pending work run.
      await new Promise((r) => setImmediate(r));
      if (done) return result;
      if (this.timers.length === 0) throw new Error(`stalled at ${this.t} ms with nothing scheduled`);
      let next = 0;
      for (let i = 1; i < this.timers.length; i++) {
        const a = this.timers[i] as Timer;
        const b = this.timers[next] as Timer;
        if (a.at < b.at || (a.at === b.at && a.seq < b.seq)) next = i;
      }
      const timer = this.timers.splice(next, 1)[0] as Timer;
      if (timer.at > limitMs) throw new Error(`still running after ${limitMs} ms of virtual time`);
      this.t = timer.at;
      timer.fire();
    }
  }
}

export interface EndpointCounts {
  ok: number;
  rateLimited: number;
  /** Requests in flight at the endpoint, now and at most. */
  inFlight: number;
  maxInFlight: number;
  /** Requests in flight × ms, over the endpoint's life (divide by the time for the mean). */
  inFlightMs: number;
}

interface Behaviour {
  /** Decides an arriving request: `undefined` to answer after the latency, or a 429 (its retry-after, its delay). */
  arrive(now: number): { retryAfterMs: number; afterMs: number } | undefined;
}

function endpoint(clock: VirtualClock, latencyMs: number, behaviour: Behaviour) {
  const counts: EndpointCounts = { ok: 0, rateLimited: 0, inFlight: 0, maxInFlight: 0, inFlightMs: 0 };
  let since = clock.now();
  const change = (delta: number) => {
    counts.inFlightMs += counts.inFlight * (clock.now() - since);
    since = clock.now();
    counts.inFlight += delta;
  };
  const provider: ModelProvider = {
    async complete(request) {
      change(1);
      counts.maxInFlight = Math.max(counts.maxInFlight, counts.inFlight);
      try {
        const limited = behaviour.arrive(clock.now());
        if (limited) {
          await clock.sleep(limited.afterMs);
          counts.rateLimited++;
          throw new RetryableError("HTTP 429: Rate limit reached", limited.retryAfterMs, {
            rateLimited: true,
          });
        }
        await clock.sleep(latencyMs);
        counts.ok++;
        const last = request.messages[request.messages.length - 1];
        return { content: typeof last?.content === "string" ? last.content : "" };
      } finally {
        change(-1);
      }
    },
  };
  return { provider, counts };
}

/**
 * A true cap: at most `perSecond` requests admitted in any sliding second; beyond it a 429 at
 * once (or after `refusalMs`, as from a proxy that queues before it refuses), with the exact wait
 * until the oldest admission leaves the window (as `retry-after-ms`).
 */
export function cappedEndpoint(
  clock: VirtualClock,
  options: { perSecond: number; latencyMs: number; refusalMs?: number },
) {
  const admitted: number[] = [];
  let head = 0;
  return endpoint(clock, options.latencyMs, {
    arrive(now) {
      while (head < admitted.length && (admitted[head] as number) <= now - 1000) head++;
      if (admitted.length - head < options.perSecond) {
        admitted.push(now);
        return undefined;
      }
      return {
        retryAfterMs: Math.max(1, (admitted[head] as number) + 1000 - now),
        afterMs: options.refusalMs ?? 1,
      };
    },
  });
}

/**
 * A true cap as a token bucket (what most providers run): `perSecond` tokens a second, at most
 * `burst` saved up; a request without a token gets a 429 at once, with the wait for the next one.
 */
export function bucketEndpoint(
  clock: VirtualClock,
  options: { perSecond: number; burst: number; latencyMs: number },
) {
  let tokens = options.burst;
  let at = 0;
  return endpoint(clock, options.latencyMs, {
    arrive(now) {
      tokens = Math.min(options.burst, tokens + ((now - at) * options.perSecond) / 1000);
      at = now;
      if (tokens >= 1) {
        tokens--;
        return undefined;
      }
      return { retryAfterMs: Math.max(1, ((1 - tokens) * 1000) / options.perSecond), afterMs: 1 };
    },
  });
}

/** Quota noise: each request answered 429 with probability `p`, after the same latency as an answer. */
export function noisyEndpoint(
  clock: VirtualClock,
  options: { p: number; latencyMs: number; retryAfterMs: number; seed?: number },
) {
  const rng: Rng = seededRng(options.seed ?? 1);
  return endpoint(clock, options.latencyMs, {
    arrive: () =>
      rng() < options.p ? { retryAfterMs: options.retryAfterMs, afterMs: options.latencyMs } : undefined,
  });
}
