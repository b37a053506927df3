import * as core from "@actions/core";
import type { DiskCache } from "../adapters/cache/disk-cache.js";
import { headSha, resolveCommit, revisionSource, workspaceSource } from "../adapters/files/git.js";
import { graderSetup } from "../adapters/graders/grader-setup.js";
import { makeProvider } from "../adapters/providers/providers.js";
import { UserError } from "../core/errors.js";
import { type BaseSide, type Evaluation, evaluate } from "../core/evaluate.js";
import type { Shard } from "../core/gate/shard.js";
import { systemClock } from "../core/ports.js";
import type { ParkedTexts } from "../core/report/park.js";
import type { EventInfo } from "./event.js";
import type { ActionInputs } from "./inputs.js";
import { logSets } from "./log.js";

/**
 * The evaluation of one workflow event: the fork's label, the two sides' sources (read from git
 * objects on pull_request_target), the providers with their keys masked, the progress lines and
 * the notes.
 */
export async function evaluateEvent(
  inputs: ActionInputs,
  event: EventInfo,
  workspace: string,
  sha: string,
  env: Record<string, string | undefined>,
  run: {
    cache: DiskCache | undefined;
    shard: Shard | undefined;
    signal: AbortSignal;
    parked: ParkedTexts | undefined;
  },
): Promise<Evaluation> {
  const { cache, shard, signal, parked } = run;
  if (inputs.requiredLabel && event.fromFork && !event.labels.includes(inputs.requiredLabel)) {
    throw new UserError(
      `this pull request comes from a fork and has no \`${inputs.requiredLabel}\` label yet`,
      {
        field: "required-label",
        fix: `A maintainer reads the PR's changes, then adds the label \`${inputs.requiredLabel}\`; the gate then runs with the repository's key.`,
      },
    );
  }
  // On pull_request_target the checkout is the base branch, with secrets at hand: the PR's files
  // are read from git objects as data, never checked out or run, and only the base's definition
  // (its scripts included) may judge them.
  const target = event.name === "pull_request_target" && event.prHeadSha !== null;
  const headCommit = target ? await resolveCommit(workspace, event.prHeadSha as string) : sha;
  const headSource = target ? revisionSource(workspace, headCommit) : workspaceSource(workspace);
  const baseRef = event.baseSha ? inputs.baseRef || event.baseSha : null;
  // Looked up in git (a process of its own) while evaluate reads the head's config and sets.
  const base: Promise<BaseSide> | null = baseRef
    ? resolveCommit(workspace, baseRef).then((baseSha) => ({
        source: revisionSource(workspace, baseSha),
        ref: event.baseRef ?? baseRef,
        sha: baseSha,
      }))
    : null;
  // evaluate() takes its failure (a base that cannot be fetched) as the run's error.
  base?.catch(() => {});
  let lastPercent = -1;
  const masked = new Set<string>();
  // Every secret the step holds is cut from what endpoints say, in whole or in any 8-character part.
  const secrets = [...inputs.allowedKeyEnvs.map((name) => env[name]), inputs.githubToken].filter(
    (s): s is string => Boolean(s),
  );
  const evaluation = await evaluate(
    {
      configPath: inputs.config,
      head: { source: headSource, sha: headCommit },
      ...(target ? { forceBaseDefinition: true } : {}),
      base,
      env,
      allowedEndpoints: [env.OPENAI_BASE_URL ?? "", ...inputs.allowedBaseUrls].filter(Boolean),
      allowedKeyEnvs: inputs.allowedKeyEnvs,
      ...(shard ? { shard } : {}),
    },
    {
      graders: graderSetup({
        env,
        repoRoot: workspace,
        ...(env.RUNNER_TEMP ? { tempDir: env.RUNNER_TEMP } : {}),
        // The commit actually checked out, whatever GITHUB_SHA names.
        headSha: () => headSha(workspace),
        ...(cache ? { cache } : {}),
        secrets,
      }),
      providerFor: (target, config) => {
        const key = env[target.apiKeyEnv];
        if (key && !masked.has(key)) {
          masked.add(key);
          core.setSecret(key);
        }
        return makeProvider(target, config, env, secrets);
      },
      ...(cache ? { cache } : {}),
      ...(parked ? { park: parked } : {}),
      clock: systemClock,
      signal,
      onProgress: (p) => {
        if (p.kind === "start") {
          logSets(p.sets);
          core.endGroup();
          core.startGroup("eval-gate: run");
          core.info(`Running ${p.total} case run(s)${base ? " on base and head" : " on head"}.`);
        }
        if (p.kind !== "run") return;
        const percent = Math.floor((p.done / p.total) * 10) * 10;
        if (percent > lastPercent) {
          lastPercent = percent;
          core.info(`${p.done}/${p.total} runs (${percent}%)`);
        }
      },
    },
  );
  for (const note of evaluation.notes) {
    if (evaluation.warnings.includes(note)) core.warning(note);
    else core.notice(note);
  }
  return evaluation;
}
