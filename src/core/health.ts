/**
 * Tells an endpoint that is down from one that is flaky. Rate limits (429) are no sign of an
 * outage: the server is alive and asking for less. Two rules, both rare by chance even at a 20%
 * fault rate: every attempt so far failed and at least `concurrency` of them did (the endpoint was
 * down from the start), or `streak` attempts in a row failed. A timeout is a failed attempt like
 * any other, so an endpoint that hangs trips the breaker after a few timeouts, not one per request.
 *
 * With `endlessRateLimits`, `streak` rate limits in a row with no answer between also trip it: for
 * requests a run cannot wait out (a judge whose quota ran out does not come back within a run).
 */
export class ProviderHealth {
  private failuresInARow = 0;
  private rateLimitsInARow = 0;
  private successes = 0;
  private lastCause = "";
  private readonly streak: number;
  private readonly endlessRateLimits: boolean;

  constructor(
    private readonly concurrency: number,
    options: { streak?: number; endlessRateLimits?: boolean } = {},
  ) {
    this.streak = options.streak ?? Math.max(12, 3 * concurrency);
    this.endlessRateLimits = options.endlessRateLimits ?? false;
  }

  success(): void {
    this.successes++;
    this.failuresInARow = 0;
    this.rateLimitsInARow = 0;
  }

  /** Records a failed attempt; returns why the endpoint looks lost (to follow its name), once it does. */
  failure(cause: string, rateLimited: boolean): string | undefined {
    if (rateLimited) {
      if (!this.endlessRateLimits) return undefined;
      this.rateLimitsInARow++;
      if (this.rateLimitsInARow < this.streak) return undefined;
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
