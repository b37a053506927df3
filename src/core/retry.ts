/** A fault worth another attempt, with the server's own wait when it named one. */
export class RetryableError extends Error {
  override readonly name = "RetryableError";
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown; rateLimited?: boolean },
  ) {
    super(message, options);
    this.rateLimited = options?.rateLimited ?? false;
  }
  /** A 429: the server is alive and asking for less, which is no sign of an outage. */
  readonly rateLimited: boolean;
}

export interface RetryPolicy {
  /** Tries per request for faults (5xx, timeouts, dropped connections, malformed answers). */
  attempts: number;
  /** Extra tries for rate limits (429), which say "later" rather than "broken". */
  rateLimitRetries: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = {
  attempts: 10,
  rateLimitRetries: 20,
  baseDelayMs: 500,
  maxDelayMs: 30_000,
};

/**
 * Jittered exponential backoff, so the retries of many concurrent requests do not hit the server
 * again in lockstep. A server-named wait (retry-after) is honoured as named, plus a little jitter,
 * and capped at the policy's ceiling so one header cannot stall a run.
 */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number, retryAfterMs?: number) {
  if (retryAfterMs !== undefined) {
    return Math.min(policy.maxDelayMs, retryAfterMs + random() * Math.min(250, 10 + retryAfterMs / 10));
  }
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return cap / 2 + random() * (cap / 2);
}

/** Reads `retry-after-ms` (milliseconds) or `retry-after` (seconds or an HTTP date). */
export function retryAfterFromHeaders(get: (name: string) => string | null | undefined): number | undefined {
  const ms = Number.parseFloat(get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = get("retry-after");
  if (!raw) return undefined;
  const seconds = Number.parseFloat(raw);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const date = Date.parse(raw);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}
