/**
 * Tells a provider that is down from one that is flaky. Rate limits (429) are no sign of an
 * outage: the server is alive and asking for less. Two rules, both rare by chance even at a 20%
 * fault rate: every attempt so far failed and at least `concurrency` of them did (the endpoint was
 * down from the start), or `streak` attempts in a row failed.
 */
export class ProviderHealth {
  private failuresInARow = 0;
  private successes = 0;
  private lastCause = "";

  constructor(
    private readonly concurrency: number,
    private readonly streak = Math.max(12, 3 * concurrency),
  ) {}

  success(): void {
    this.successes++;
    this.failuresInARow = 0;
  }

  /** Records a failed attempt; returns why the provider looks down, once it does. */
  failure(cause: string, rateLimited: boolean): string | undefined {
    if (rateLimited) return undefined;
    this.failuresInARow++;
    this.lastCause = cause;
    const neverAnswered = this.successes === 0 && this.failuresInARow >= Math.max(8, this.concurrency);
    if (neverAnswered || this.failuresInARow >= this.streak) {
      return `the provider looks down: ${this.failuresInARow} attempts in a row failed (last: ${this.lastCause})`;
    }
    return undefined;
  }
}
