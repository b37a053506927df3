import { monotonicMs } from "../ports.js";

/**
 * Tells an endpoint that is down from one that is flaky. Rate limits (429) are no sign of an
 * outage: the server is alive and asking for less. Two rules, both rare by chance even at a 20%
 * fault rate: every attempt so far failed and at least `concurrency` of them did (the endpoint was
 * down from the start), or `streak` attempts in a row failed. A timeout is a failed attempt like
 * any other, so an endpoint that hangs trips the breaker after a few timeouts, not one per request.
 *
 * `streak` rate limits in a row with no answer between also trip it when every one came while the
 * endpoint answered nothing (`stalled`: a spent quota, not a cap that other requests get through)
 * and the first of them came `quietMs` ago or more (a minute by default: a per-minute quota spent
 * before the run began has room again by then). With `endlessRateLimits` every 429 counts, stalled
 * or not, at once: for requests a run cannot wait out (a judge whose quota ran out does not come
 * back within a run).
 */
export class ProviderHealth {
  private failuresInARow = 0;
  private rateLimitsInARow = 0;
  private successes = 0;
  private lastCause = "";
  private quietSince = 0;
  private readonly streak: number;
  private readonly endlessRateLimits: boolean;
  private readonly quietMs: number;
  private readonly now: () => number;

  constructor(
    private readonly concurrency: number,
    options: { streak?: number; endlessRateLimits?: boolean; quietMs?: number; now?: () => number } = {},
  ) {
    this.streak = options.streak ?? Math.max(12, 3 * concurrency);
    this.endlessRateLimits = options.endlessRateLimits ?? false;
    this.quietMs = this.endlessRateLimits ? 0 : (options.quietMs ?? 60_000);
    this.now = options.now ?? monotonicMs;
  }

  success(): void {
    this.successes++;
    this.failuresInARow = 0;
    this.rateLimitsInARow = 0;
  }

  /** Records a failed attempt; returns why the endpoint looks lost (to follow its name), once it does. */
  failure(cause: string, rateLimited: boolean, stalled = true): string | undefined {
    if (rateLimited) {
      if (!this.endlessRateLimits && !stalled) return undefined;
      if (this.rateLimitsInARow === 0) this.quietSince = this.now();
      this.rateLimitsInARow++;
      const quiet = this.now() - this.quietSince;
      if (this.rateLimitsInARow < this.streak || quiet < this.quietMs) return undefined;
      return `is rate-limited without end: ${this.rateLimitsInARow} attempts in a row answered 429 (last: ${cause})`;
    }
    this.failuresInARow++;
    this.lastCause = cause;
    const neverAnswered = this.successes === 0 && this.failuresInARow >= Math.max(8, this.concurrency);
    if (neverAnswered || this.failuresInARow >= this.streak) {
      return `looks down: ${this.failuresInARow} attempts in a row failed (last: ${this.lastCause})`;
    }
    return undefined;
  }
}
