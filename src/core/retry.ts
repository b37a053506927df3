import type { Clock } from "./ports.js";

/** A fault worth another attempt, with the server's own wait when it named one. */
export class RetryableError extends Error {
  override readonly name = "RetryableError";
  constructor(
    message: string,
    readonly retryAfterMs?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export interface RetryPolicy {
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
}

export const defaultRetryPolicy: RetryPolicy = { attempts: 4, baseDelayMs: 500, maxDelayMs: 30_000 };

/**
 * Full-jitter exponential backoff: spreads retries of many concurrent requests so a rate-limited
 * server is not hit again in lockstep. A server-named wait (retry-after) is honoured as a floor.
 */
export function backoffMs(attempt: number, policy: RetryPolicy, random: () => number, retryAfterMs?: number) {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  const jittered = cap / 2 + random() * (cap / 2);
  return retryAfterMs !== undefined ? Math.max(retryAfterMs, jittered / 4) : jittered;
}

/** Runs `fn` until it succeeds, a non-retryable error is thrown, or the attempts are spent. */
export async function withRetries<T>(
  fn: (attempt: number) => Promise<T>,
  policy: RetryPolicy,
  clock: Clock,
  random: () => number = Math.random,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (e) {
      if (!(e instanceof RetryableError) || attempt >= policy.attempts) throw e;
      await clock.sleep(backoffMs(attempt, policy, random, e.retryAfterMs));
    }
  }
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
