import type { Run, Usage } from "./types.js";

/** Requests made (cache misses, including those that failed), cache hits, tokens, latency. */
export function summarizeUsage(runs: Run[]): Usage {
  let requests = 0;
  let cached = 0;
  let prompt = 0;
  let completion = 0;
  const latencies: number[] = [];
  for (const r of runs) {
    if (r.cached) cached++;
    else if (!r.error?.startsWith("not run:")) requests++;
    if (r.usage) {
      prompt += r.usage.prompt_tokens;
      completion += r.usage.completion_tokens;
    }
    if (r.latencyMs !== undefined) latencies.push(r.latencyMs);
  }
  latencies.sort((a, b) => a - b);
  return {
    requests,
    cached,
    prompt_tokens: prompt,
    completion_tokens: completion,
    latency_ms_p50: Math.round(quantile(latencies, 0.5)),
    latency_ms_p99: Math.round(quantile(latencies, 0.99)),
  };
}

/** Nearest-rank quantile of sorted values; 0 for none. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}
