import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, posix } from "node:path";
import type { Config } from "../../core/config/config.js";
import { OPENAI_DEFAULT_URL, type ResolvedTarget } from "../../core/config/target.js";
import type { FileSource, ResponseCache } from "../../core/ports.js";
import type { RunStop } from "../../core/run/request-pipeline.js";
import { snapshotCommit } from "../files/git.js";
import { makeGraderContext } from "./grader-context.js";

/**
 * Connects model-backed graders to the head side's endpoint and key: both sides are graded by
 * the same judge, embeddings and scripts. Their files (rubrics, labels, scripts) come from the gate
 * definition's side: on a pull request the base commit, whose tree is checked out into a folder of
 * its own the first time a script runs, so the PR's code never grades the PR. A replay target has
 * no endpoint of its own, so its graders use the workflow's OPENAI_BASE_URL (or OpenAI's).
 */
export function graderSetup(options: {
  env: Record<string, string | undefined>;
  repoRoot: string;
  /** Where a base commit's tree is checked out for its scripts (default: the system's temp folder). */
  tempDir?: string;
  /**
   * The commit whose tree scripts see when the workspace's definition judges (the action: the
   * checked-out commit, so files an earlier step left in the workspace, such as credentials, are
   * not there to read); absent, the working tree itself (the CLI, where uncommitted scripts count).
   */
  headSha?: () => Promise<string>;
  cache?: ResponseCache;
  /** Every secret of the run, cut out of what the judge and embedding endpoints say. */
  secrets?: readonly string[];
}) {
  return ({
    target,
    config,
    configPath,
    stop,
    definition,
  }: {
    target: ResolvedTarget;
    config: Config;
    configPath: string;
    /** The run's stop, so judge and embedding requests stop with the target's and can stop them. */
    stop?: RunStop;
    /** Where the definition's files are: a commit (`sha`) or the workspace (`sha` null). */
    definition: { source: FileSource; sha: string | null };
  }) => {
    const sha = definition.sha ? async () => definition.sha as string : options.headSha;
    const snapshot = sha ? baseTree(options.repoRoot, sha, options.tempDir) : null;
    const context = makeGraderContext({
      endpoint:
        target.provider === "openai" ? target.endpoint : (options.env.OPENAI_BASE_URL ?? OPENAI_DEFAULT_URL),
      apiKey: options.env[target.apiKeyEnv] ?? "",
      ...(options.secrets ? { secrets: options.secrets } : {}),
      timeoutMs: config.requests.timeout_ms,
      configDir: posix.dirname(configPath),
      readRepoFile: (path) => definition.source.read(path),
      repoRoot: snapshot ? snapshot.root : options.repoRoot,
      ...(options.cache ? { cache: options.cache } : {}),
      embeddingModel: config.embedding_model,
      judgeModel: config.judge?.model ?? null,
      // Their own budget beside the target's: the runner's workers each wait on at most one.
      concurrency: config.concurrency,
      ...(stop ? { stop } : {}),
    });
    return {
      ...context,
      async close() {
        await context.close();
        await snapshot?.remove();
      },
    };
  };
}

/** A commit's tree (the working tree outside a git checkout), made on first use, removed with the context. */
function baseTree(repoRoot: string, sha: () => Promise<string>, tempDir = tmpdir()) {
  let made: Promise<string> | undefined;
  let dir: string | undefined;
  return {
    root: () => {
      made ??= mkdtemp(join(tempDir, "eval-gate-base-")).then((d) => {
        dir = d;
        return sha().then((commit) => (commit ? snapshotCommit(repoRoot, commit, d) : repoRoot));
      });
      return made;
    },
    async remove() {
      if (dir) await rm(dir, { recursive: true, force: true });
    },
  };
}
