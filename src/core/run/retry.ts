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

/**
 * Reads `retry-after-ms` (milliseconds) or `retry-after` (seconds or an HTTP date). Without either,
 * OpenAI's `x-ratelimit-reset-requests` / `-tokens` ("20ms", "1.5s", "6m0s") name when a spent
 * limit (its `x-ratelimit-remaining-*` at 0) has room again: the later of the spent ones.
 */
export function retryAfterFromHeaders(get: (name: string) => string | null | undefined): number | undefined {
  const ms = Number.parseFloat(get("retry-after-ms") ?? "");
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const raw = get("retry-after");
  if (raw) {
    const seconds = Number.parseFloat(raw);
    if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
    const date = Date.parse(raw);
    if (Number.isFinite(date)) return Math.max(0, date - Date.now());
  }
  let reset: number | undefined;
  for (const limit of ["requests", "tokens"]) {
    if (get(`x-ratelimit-remaining-${limit}`)?.trim() !== "0") continue;
    const wait = durationMs(get(`x-ratelimit-reset-${limit}`) ?? "");
    if (wait !== undefined) reset = Math.max(reset ?? 0, wait);
  }
  return reset;
}

/** A Go-style duration as OpenAI writes it ("6m0s", "1.5s", "20ms", "1h2m"), in milliseconds. */
function durationMs(text: string): number | undefined {
  const parts = [...text.trim().matchAll(/(\d+(?:\.\d+)?)(ms|h|m|s)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join("") !== text.trim()) return undefined;
  const unit = { h: 3_600_000, m: 60_000, s: 1000, ms: 1 } as const;
  return parts.reduce((sum, p) => sum + Number(p[1]) * unit[p[2] as keyof typeof unit], 0);
}
