import { setMaxListeners } from "node:events";
import { describeError, ProviderError } from "../errors.js";
import type { Clock } from "../ports.js";
import { ProviderHealth } from "./health.js";
import { AdaptiveLimiter } from "./limiter.js";
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
  /** Called when a request starts a backoff without holding a slot (the runner adds workers). */
  onBackoff?: () => void;
  /**
   * Which 429s count toward the streak (with no answer between) that stops the run. Off (the
   * target): only those that come while the endpoint answers nothing at all, for a minute at
   * least, a spent quota; a cap or quota noise that lets requests through is waited out. On
   * (judges and embeddings, which a run cannot do without): every 429, at once.
   */
  endlessRateLimits?: boolean;
}

/**
 * One discipline for every model request of a run: a slot of an adaptive limiter, the run's abort
 * signal, the outcome fed to a breaker, jittered backoff that honours retry-after, and the whole
 * run stopped on a refused key, an unknown model or an endpoint that looks down. The target and
 * the graders each have one, with their own concurrency, sharing the run's `RunStop`. A 429 costs
 * the request its slot only while the limiter has found no cap (see limiter.ts), and one of its
 * rate-limit retries only while the endpoint answers nothing (see `stalledSince`).
 */
export class RequestPipeline {
  readonly limiter: AdaptiveLimiter;
  private readonly health: ProviderHealth;
  private readonly random: () => number;
  /** Attempts answered so far. */
  private answered = 0;
  /** Attempts sent so far, and those still in flight (by their number, oldest first). */
  private sent = 0;
  private readonly inFlight = new Set<number>();

  constructor(private readonly options: PipelineOptions) {
    this.limiter = new AdaptiveLimiter(options.concurrency, options.clock.now);
    this.health = new ProviderHealth(options.concurrency, {
      ...(options.endlessRateLimits ? { endlessRateLimits: true } : {}),
      now: options.clock.now,
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
    const { stop, clock } = this.options;
    const counts = { faults: 0, rateLimits: 0 };
    let previous: Sent | undefined;
    for (let n = 1; ; n++) {
      if (stop.reason !== undefined) throw stopped(stop.reason);
      await this.limiter.acquire();
      if (stop.reason !== undefined) {
        // Stopped while waiting for a slot: hand the slot on without sending anything.
        this.limiter.release("failed");
        throw stopped(stop.reason);
      }
      const sentAt = clock.now();
      const sent: Sent = { seq: this.sent++, answered: this.answered };
      this.inFlight.add(sent.seq);
      try {
        const answer = await attempt(stop.signal);
        this.inFlight.delete(sent.seq);
        this.answered++;
        this.limiter.release("ok", { sentAt });
        this.health.success();
        return answer;
      } catch (e) {
        this.inFlight.delete(sent.seq);
        const rateLimited = e instanceof RetryableError && e.rateLimited;
        const stalled = rateLimited && this.stalledSince(previous ?? sent);
        previous = sent;
        // Paced to a cap, a 429 waits out its retry-after in its slot: the window is the pace, and
        // a slot freed at once would only be refused again.
        const holding = rateLimited && this.limiter.holdsSlot(clock.now() - sentAt);
        this.limiter.record(rateLimited ? "rate_limited" : "failed", { sentAt });
        if (!holding) this.limiter.free();
        try {
          await this.afterFailure(e, who, n, { rateLimited, stalled, holding }, counts);
        } finally {
          if (holding) this.limiter.free();
        }
      }
    }
  }

  /**
   * Whether the endpoint answered nothing since `since` was sent, and nothing sent before it is
   * still in flight (and might yet be answered). A request's 429s count against its retries only
   * then: while other requests get answers (a cap, quota noise) a request waits its turn for as
   * long as it takes; when every request is refused (a spent quota), its retries run out.
   */
  private stalledSince(since: Sent): boolean {
    if (this.answered !== since.answered) return false;
    const oldest = this.inFlight.values().next();
    return oldest.done === true || oldest.value > since.seq;
  }

  /**
   * What follows a failed attempt: the run stopped (a refused key, an endpoint lost), the error
   * thrown (not worth retrying, or retries spent), or the backoff slept before the next attempt.
   */
  private async afterFailure(
    e: unknown,
    who: string,
    n: number,
    attempt: { rateLimited: boolean; stalled: boolean; holding: boolean },
    counts: { faults: number; rateLimits: number },
  ): Promise<void> {
    const { stop, policy, clock } = this.options;
    if (stop.reason !== undefined) throw e;
    const cause = describeError(e);
    if (e instanceof ProviderError && e.status !== undefined && FATAL_STATUSES.has(e.status)) {
      stop.stop(`${who}: ${cause}`);
      throw e;
    }
    const lost = this.health.failure(cause, attempt.rateLimited, attempt.stalled);
    if (lost) {
      stop.stop(`${this.options.subject ?? who} ${lost}`);
      throw e;
    }
    // A 429 is the endpoint's pace, not this request's fault: it counts against the request's
    // retries only when the endpoint looks stalled (see `stalledSince`).
    if (!attempt.rateLimited) counts.faults++;
    else if (attempt.stalled) counts.rateLimits++;
    if (
      !(e instanceof RetryableError) ||
      counts.faults >= policy.attempts ||
      counts.rateLimits > policy.rateLimitRetries
    ) {
      throw e;
    }
    if (!attempt.holding) this.options.onBackoff?.();
    await clock.sleep(backoffMs(n, policy, this.random, e.retryAfterMs), stop.signal);
    if (stop.reason !== undefined) throw e;
  }
}

/** An attempt as sent: its number, and how many attempts had been answered then. */
interface Sent {
  seq: number;
  answered: number;
}

function stopped(why: string): Error {
  const e = new Error(`the run was stopped (${why})`);
  e.name = "AbortError";
  return e;
}
