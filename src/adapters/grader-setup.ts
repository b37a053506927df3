import { posix } from "node:path";
import type { Config } from "../core/config.js";
import type { FileSource, ResponseCache } from "../core/ports.js";
import type { RunStop } from "../core/request-pipeline.js";
import { OPENAI_DEFAULT_URL, type ResolvedTarget } from "../core/target.js";
import { makeGraderContext } from "./grader-context.js";

/**
 * Connects model-backed graders to the head side's endpoint and key: both sides are graded by
 * the same judge, embeddings and scripts, configured from the head. A replay target has no
 * endpoint of its own, so its graders use the workflow's OPENAI_BASE_URL (or OpenAI's).
 */
export function graderSetup(options: {
  env: Record<string, string | undefined>;
  repoRoot: string;
  source: FileSource;
  cache?: ResponseCache;
  /** Every secret of the run, cut out of what the judge and embedding endpoints say. */
  secrets?: readonly string[];
}) {
  return ({
    target,
    config,
    configPath,
    stop,
  }: {
    target: ResolvedTarget;
    config: Config;
    configPath: string;
    /** The run's stop, so judge and embedding requests stop with the target's and can stop them. */
    stop?: RunStop;
  }) =>
    makeGraderContext({
      endpoint:
        target.provider === "openai" ? target.endpoint : (options.env.OPENAI_BASE_URL ?? OPENAI_DEFAULT_URL),
      apiKey: options.env[target.apiKeyEnv] ?? "",
      ...(options.secrets ? { secrets: options.secrets } : {}),
      timeoutMs: config.requests.timeout_ms,
      configDir: posix.dirname(configPath),
      readRepoFile: (path) => options.source.read(path),
      repoRoot: options.repoRoot,
      ...(options.cache ? { cache: options.cache } : {}),
      embeddingModel: config.embedding_model,
      judgeModel: config.judge?.model ?? null,
      // Their own budget beside the target's: the runner's workers each wait on at most one.
      concurrency: config.concurrency,
      ...(stop ? { stop } : {}),
    });
}
