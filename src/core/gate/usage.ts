import type { Usage } from "../report-types.js";
import type { RunStat } from "./run-stats.js";

/** US dollars per million tokens. */
export interface Prices {
  prompt: number;
  completion: number;
}

// Openings that say "no" without the API flagging it; checked at the start of an answer only, so a
// helpful answer that later says "I can't promise" is not counted.
const REFUSAL =
  /^\W*(i'?m sorry,? but|sorry,? (but )?i (can(no|')t|am unable)|i (can(no|')t|won'?t|am unable to|'m unable to|'m not able to) (help|assist|comply|provide|do that))/i;

export function looksLikeRefusal(output: string, flagged = false): boolean {
  return flagged || REFUSAL.test(output.slice(0, 200).replace(/\u2019/g, "'"));
}

/** Requests made (cache misses, including those that failed), cache hits, tokens, latency, lengths. */
export function summarizeUsage(runs: RunStat[], prices?: Prices | null): Usage {
  let requests = 0;
  let cached = 0;
  let prompt = 0;
  let completion = 0;
  let refusals = 0;
  const latencies: number[] = [];
  const lengths: number[] = [];
  for (const r of runs) {
    if (r.cached) cached++;
    else if (!r.error?.startsWith("not run:")) requests++;
    if (r.usage) {
      prompt += r.usage.prompt_tokens;
      completion += r.usage.completion_tokens;
    }
    if (r.latencyMs !== undefined) latencies.push(r.latencyMs);
    if (r.outputChars !== undefined) {
      lengths.push(r.outputChars);
      if (r.refusal) refusals++;
    }
  }
  latencies.sort((a, b) => a - b);
  lengths.sort((a, b) => a - b);
  return {
    requests,
    cached,
    prompt_tokens: prompt,
    completion_tokens: completion,
    latency_ms_p50: Math.round(quantile(latencies, 0.5)),
    latency_ms_p99: Math.round(quantile(latencies, 0.99)),
    output_chars_mean:
      lengths.length > 0 ? Math.round(lengths.reduce((a, b) => a + b, 0) / lengths.length) : 0,
    output_chars_p90: quantile(lengths, 0.9),
    refusal_rate: lengths.length > 0 ? refusals / lengths.length : 0,
    cost_usd: prices ? (prompt * prices.prompt + completion * prices.completion) / 1e6 : null,
  };
}

/** Nearest-rank quantile of sorted values; 0 for none. */
export function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return 0;
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}
