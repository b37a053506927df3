import { setMaxListeners } from "node:events";
import { describeError, ProviderError } from "./errors.js";
import { ProviderHealth } from "./health.js";
import { AdaptiveLimiter } from "./limiter.js";
import type { Clock } from "./ports.js";
import { backoffMs, RetryableError, type RetryPolicy } from "./retry.js";

/** Statuses that will not get better by asking again for other requests: bad key, unknown model. */
const FATAL_STATUSES = new Set([401, 403, 404]);

/**
 * The run's one stop. The first reason wins; its signal cancels every request in flight and every
 * backoff of every pipeline that shares it, so a judge that is down stops the target's requests
 * too, and a target that is down stops the judge's.
 */
export class RunStop {
  private readonly controller = new AbortController();
  private why: string | undefined;
  private listeners = 0;

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Why the run was stopped; undefined while it goes on. */
  get reason(): string | undefined {
    return this.why;
  }

  stop(why: string): void {
    if (this.why !== undefined) return;
    this.why = why;
    this.controller.abort();
  }

  /** Every attempt in flight and every backoff listens for the stop; that many is expected, not a leak. */
  expectListeners(count: number): void {
    this.listeners += count;
    setMaxListeners(this.listeners + 16, this.controller.signal);
  }
}

export interface PipelineOptions {
  /** Requests in flight at most; the adaptive window starts here and never grows past it. */
  concurrency: number;
  policy: RetryPolicy;
  clock: Clock;
  stop: RunStop;
  random?: () => number;
  /** Who "looks down" in the stop's reason; default: the name of the request that tripped it. */
  subject?: string;
  /**
   * Whether a long streak of 429s with no answer between stops the run. Off for the target, whose
   * rate limits are waited out; on for judges and embeddings, which a run cannot do without.
   */
  endlessRateLimits?: boolean;
}

/**
 * One discipline for every model request of a run: a slot of an adaptive limiter, the run's abort
 * signal, the outcome fed to a breaker, jittered backoff that honours retry-after, and the whole
 * run stopped on a refused key, an unknown model or an endpoint that looks down. The target and
 * the graders each have one, with their own concurrency, sharing the run's `RunStop`.
 */
export class RequestPipeline {
  readonly limiter: AdaptiveLimiter;
  private readonly health: ProviderHealth;
  private readonly random: () => number;

  constructor(private readonly options: PipelineOptions) {
    this.limiter = new AdaptiveLimiter(options.concurrency, options.clock.now);
    this.health = new ProviderHealth(options.concurrency, {
      ...(options.endlessRateLimits ? { endlessRateLimits: true } : {}),
    });
    this.random = options.random ?? Math.random;
    options.stop.expectListeners(options.concurrency);
  }

  /**
   * The answer of `attempt` (one request, sent with the signal given), retried while that is worth
   * it. Throws the last error when retries run out or the fault is not worth retrying, and an
   * `AbortError` once the run is stopped. `who` names the requester in the stop's reason
   * ("head side", "the judge (gpt-4o)").
   */
  async send<T>(who: string, attempt: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const { stop, policy, clock } = this.options;
    let faults = 0;
    let rateLimits = 0;
    for (let n = 1; ; n++) {
      if (stop.reason !== undefined) throw stopped(stop.reason);
      await this.limiter.acquire();
      if (stop.reason !== undefined) {
        // Stopped while waiting for a slot: hand the slot on without sending anything.
        this.limiter.release("failed");
        throw stopped(stop.reason);
      }
      try {
        const answer = await attempt(stop.signal);
        this.limiter.release("ok");
        this.health.success();
        return answer;
      } catch (e) {
        const rateLimited = e instanceof RetryableError && e.rateLimited;
        this.limiter.release(rateLimited ? "rate_limited" : "failed");
        if (stop.reason !== undefined) throw e;
        const cause = describeError(e);
        if (e instanceof ProviderError && e.status !== undefined && FATAL_STATUSES.has(e.status)) {
          stop.stop(`${who}: ${cause}`);
          throw e;
        }
        const lost = this.health.failure(cause, rateLimited);
        if (lost) {
          stop.stop(`${this.options.subject ?? who} ${lost}`);
          throw e;
        }
        if (rateLimited) rateLimits++;
        else faults++;
        if (
          !(e instanceof RetryableError) ||
          faults >= policy.attempts ||
          rateLimits > policy.rateLimitRetries
        ) {
          throw e;
        }
        await clock.sleep(backoffMs(n, policy, this.random, e.retryAfterMs), stop.signal);
        if (stop.reason !== undefined) throw e;
      }
    }
  }
}

function stopped(why: string): Error {
  const e = new Error(`the run was stopped (${why})`);
  e.name = "AbortError";
  return e;
}
