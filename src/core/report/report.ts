import { REPORT_SCHEMA_URL, REPORT_VERSION } from "../report-id.js";
import type { Report, Usage } from "../report-types.js";

const NO_USAGE: Usage = {
  requests: 0,
  cached: 0,
  prompt_tokens: 0,
  completion_tokens: 0,
  latency_ms_p50: 0,
  latency_ms_p99: 0,
  output_chars_mean: 0,
  output_chars_p90: 0,
  refusal_rate: 0,
  cost_usd: null,
};

/** The report of a run that could not be done (bad config or input): verdict `error`, no slices. */
export function errorReport(
  messages: string[],
  context: { configPath: string; headSha: string; verdict?: "error" | "skipped" },
): Report {
  return {
    $schema: REPORT_SCHEMA_URL,
    schema: REPORT_VERSION,
    verdict: context.verdict ?? "error",
    reasons: messages,
    base: null,
    head: { sha: context.headSha },
    config: { path: context.configPath, repeats: 1, alpha: 0.05, mode: "statistical", floor: null },
    slices: [],
    cases: [],
    errors: { base: 0, head: 0, runs: 0, rate: 0, causes: [] },
    usage: NO_USAGE,
    usage_by_side: { base: null, head: NO_USAGE },
  };
}

/** Whether the check fails, as the `fail-on` input says. */
export function checkFails(verdict: Report["verdict"], failOn: "regression" | "review" | "never"): boolean {
  if (failOn === "never") return false;
  if (verdict === "fail" || verdict === "error") return true;
  return failOn === "review" && verdict === "review";
}
