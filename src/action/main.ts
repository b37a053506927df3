import { join, resolve } from "node:path";
import * as core from "@actions/core";
import { DiskCache } from "../adapters/disk-cache.js";
import { writeAtomic } from "../adapters/files.js";
import { headSha, resolveCommit, revisionSource, workspaceSource } from "../adapters/git.js";
import { makeProvider } from "../adapters/providers.js";
import { describeError, isUserError, MissingKeyError, UserErrors } from "../core/errors.js";
import { type Evaluation, evaluate } from "../core/evaluate.js";
import { systemClock } from "../core/ports.js";
import { renderComment } from "../core/render/comment.js";
import { renderSummary } from "../core/render/summary.js";
import { checkFails, errorReport } from "../core/report.js";
import { upsertComment } from "../core/sticky.js";
import type { Report } from "../core/types.js";
import { worstSlice } from "../core/verdict.js";
import { type EventInfo, readEvent } from "./event.js";
import { type ActionInputs, readInputs } from "./inputs.js";

const FORK_NOTICE =
  "No API key: this pull request comes from a fork, and GitHub passes no secrets to its runs. " +
  "See the README's 'Pull requests from forks' for the safe pattern, or set `missing-key: skip`.";

/** The action: reads inputs, runs the shared pipeline, and is the one place that fails the check. */
export async function run(env: Record<string, string | undefined> = process.env): Promise<void> {
  let inputs: ActionInputs | undefined;
  try {
    inputs = readInputs();
    // The GitHub and cache clients are loaded only when used: most of the bundle's start-up cost.
    if (inputs.postReport) await (await import("./post.js")).postReport(inputs, env);
    else await runWith(inputs, env);
  } catch (e) {
    // Only a fault of eval-gate itself reaches here: user mistakes become an `error` report earlier.
    core.setOutput("verdict", "error");
    core.setFailed(isUserError(e) ? describeError(e) : `eval-gate failed: ${describeError(e)}`);
    if (!isUserError(e) && e instanceof Error && e.stack) core.debug(e.stack);
  }
}

async function runWith(inputs: ActionInputs, env: Record<string, string | undefined>): Promise<void> {
  const workspace = resolve(env.GITHUB_WORKSPACE ?? process.cwd());
  const event = await readEvent(env);
  const sha = env.GITHUB_SHA || (await headSha(workspace));
  const cacheDir = resolve(workspace, inputs.cacheDir);
  if (inputs.cache) await (await import("./cache.js")).restoreResponses(cacheDir, inputs.commentId, env);

  const diskCache = inputs.cache ? new DiskCache(cacheDir) : undefined;
  let evaluation: Evaluation | undefined;
  let report: Report;
  try {
    evaluation = await evaluateEvent(inputs, event, workspace, sha, env, diskCache);
    report = evaluation.report;
  } catch (e) {
    if (!isUserError(e)) throw e;
    const messages = e instanceof UserErrors ? e.errors.map((x) => x.format()) : [describeError(e)];
    const skip = e instanceof MissingKeyError && inputs.missingKey === "skip";
    if (e instanceof MissingKeyError && event.fromFork) messages.unshift(FORK_NOTICE);
    for (const m of messages) (skip ? core.notice : core.error)(m);
    report = errorReport(messages, {
      configPath: inputs.config,
      headSha: sha,
      verdict: skip ? "skipped" : "error",
    });
  }

  await diskCache?.close();
  report = { ...report, pr: event.pr };
  const overrideUsed =
    (report.verdict === "fail" || report.verdict === "review") && event.labels.includes(inputs.overrideLabel)
      ? inputs.overrideLabel
      : null;
  const reportPath = join(
    env.RUNNER_TEMP ? resolve(env.RUNNER_TEMP) : join(workspace, ".eval-gate"),
    "eval-gate-report.json",
  );
  await writeAtomic(reportPath, `${JSON.stringify(report, null, 2)}\n`);
  await core.summary.addRaw(renderSummary(report)).write();

  let commentUrl = "";
  if (inputs.comment && event.pr !== null && report.verdict !== "skipped") {
    commentUrl = await writeComment(inputs, event, report, overrideUsed, env);
  }

  const worst = worstSlice(report.slices);
  core.setOutput("verdict", report.verdict);
  core.setOutput("report", reportPath);
  core.setOutput("comment-url", commentUrl);
  core.setOutput("worst-slice", worst ? `${worst.set}/${worst.slice}` : "");
  core.setOutput("worst-slice-score", worst ? String(worst.head_score) : "");
  if (diskCache) await (await import("./cache.js")).saveResponses(diskCache, inputs.commentId, env);

  const line = `eval-gate: ${report.verdict}. ${report.reasons.join(" ")}`;
  if (overrideUsed && checkFails(report.verdict, inputs.failOn)) {
    core.notice(`${line} The label "${overrideUsed}" lets this verdict pass the check.`);
  } else if (checkFails(report.verdict, inputs.failOn)) {
    core.setFailed(line);
  } else {
    core.info(line);
  }
}

async function evaluateEvent(
  inputs: ActionInputs,
  event: EventInfo,
  workspace: string,
  sha: string,
  env: Record<string, string | undefined>,
  cache: DiskCache | undefined,
): Promise<Evaluation> {
  const baseRef = event.baseSha ? inputs.baseRef || event.baseSha : null;
  let base: { source: ReturnType<typeof revisionSource>; ref: string; sha: string } | null = null;
  if (baseRef) {
    const baseSha = await resolveCommit(workspace, baseRef);
    base = { source: revisionSource(workspace, baseSha), ref: event.baseRef ?? baseRef, sha: baseSha };
  }
  let lastPercent = -1;
  const masked = new Set<string>();
  const evaluation = await evaluate(
    {
      configPath: inputs.config,
      head: { source: workspaceSource(workspace), sha },
      base,
      env,
      allowedEndpoints: [env.OPENAI_BASE_URL ?? "", ...inputs.allowedBaseUrls].filter(Boolean),
    },
    {
      providerFor: (target, config) => {
        const key = env[target.apiKeyEnv];
        if (key && !masked.has(key)) {
          masked.add(key);
          core.setSecret(key);
        }
        return makeProvider(target, config, env);
      },
      ...(cache ? { cache } : {}),
      clock: systemClock,
      onProgress: (p) => {
        if (p.kind === "start")
          core.info(`Running ${p.total} case run(s)${base ? " on base and head" : " on head"}.`);
        if (p.kind !== "run") return;
        const percent = Math.floor((p.done / p.total) * 10) * 10;
        if (percent > lastPercent) {
          lastPercent = percent;
          core.info(`${p.done}/${p.total} runs (${percent}%)`);
        }
      },
    },
  );
  for (const note of evaluation.notes) core.notice(note);
  return evaluation;
}

async function writeComment(
  inputs: ActionInputs,
  event: EventInfo,
  report: Report,
  overrideUsed: string | null,
  env: Record<string, string | undefined>,
): Promise<string> {
  const runUrl =
    env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID
      ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}`
      : undefined;
  const body = renderComment(report, {
    commentId: inputs.commentId,
    ...(runUrl ? { runUrl } : {}),
    overrideLabelUsed: overrideUsed,
  });
  try {
    const { githubCommentStore } = await import("../adapters/github.js");
    const store = githubCommentStore(
      inputs.githubToken,
      { owner: event.owner, repo: event.repo },
      {
        ...(env.GITHUB_API_URL ? { baseUrl: env.GITHUB_API_URL } : {}),
      },
    );
    const { comment, action } = await upsertComment(store, event.pr as number, body, inputs.commentId);
    core.info(`PR comment ${action}: ${comment.url}`);
    return comment.url;
  } catch (e) {
    // The verdict, outputs and summary stand without the comment.
    core.warning(`Could not write the PR comment: ${describeError(e)}`);
    return "";
  }
}
