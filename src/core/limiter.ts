/**
 * Adaptive concurrency (AIMD, as TCP does): up to `max` requests in flight; a rate limit halves
 * the window at most once per `cooldownMs`, and every answer that came through widens it by about
 * one per window's worth of answers. A rate-limited endpoint is then held near its real capacity
 * instead of being hammered with requests that only come back as 429s.
 */
export class AdaptiveLimiter {
  private window: number;
  private inFlight = 0;
  private readonly waiting: (() => void)[] = [];
  private lastCut = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly max: number,
    private readonly now: () => number,
    private readonly cooldownMs = 250,
  ) {
    this.window = max;
  }

  /** The current window, for progress lines and tests. */
  get limit(): number {
    return Math.max(1, Math.floor(this.window));
  }

  async acquire(): Promise<void> {
    if (this.inFlight < this.limit) {
      this.inFlight++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(outcome: "ok" | "rate_limited" | "failed"): void {
    if (outcome === "ok") this.window = Math.min(this.max, this.window + 1 / this.window);
    if (outcome === "rate_limited" && this.now() - this.lastCut >= this.cooldownMs) {
      this.window = Math.max(1, this.window / 2);
      this.lastCut = this.now();
    }
    this.inFlight--;
    // Hand freed slots straight to waiters so the count stays exact.
    while (this.waiting.length > 0 && this.inFlight < this.limit) {
      this.inFlight++;
      this.waiting.shift()?.();
    }
  }
}
