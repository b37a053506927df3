import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import * as core from "@actions/core";
import type { DiskCache } from "../adapters/cache/disk-cache.js";
import { FileTextStore } from "../adapters/cache/text-spill.js";
import { readPartials, writeAtomic } from "../adapters/files/files.js";
import { headSha, resolveCommit, revisionSource, workspaceSource } from "../adapters/files/git.js";
import { graderSetup } from "../adapters/graders/grader-setup.js";
import { type Interrupt, listenForInterrupt } from "../adapters/process/interrupt.js";
import { makeProvider } from "../adapters/providers/providers.js";
import { describeError, isUserError, MissingKeyError, UserError, UserErrors } from "../core/errors.js";
import { type Evaluation, evaluate } from "../core/evaluate.js";
import { buildReport } from "../core/gate/assemble.js";
import { mergePartials, parseShard, type Shard, toPartial } from "../core/gate/shard.js";
import { worstSlice } from "../core/gate/verdict.js";
import { systemClock } from "../core/ports.js";
import { fitReport, reportPieces } from "../core/report/fit.js";
import { ParkedTexts } from "../core/report/park.js";
import { renderComment } from "../core/report/render/comment.js";
import { renderJunit } from "../core/report/render/junit.js";
import { resultLine } from "../core/report/render/oneline.js";
import { renderSummary } from "../core/report/render/summary.js";
import { renderTerminal } from "../core/report/render/terminal.js";
import { checkFails, errorReport } from "../core/report/report.js";
import { upsertComment } from "../core/report/sticky.js";
import type { Report } from "../core/report-types.js";
import { reportCancelled } from "./cancel.js";
import { type EventInfo, readEvent } from "./event.js";
import { type ActionInputs, readInputs } from "./inputs.js";
import { annotateRegressions, logSets, warnUnlabelled } from "./log.js";
import { closeCache, openCache } from "./response-cache.js";

const FORK_NOTICE =
  "No API key: this pull request comes from a fork, and GitHub passes no secrets to its runs. " +
  "See the README's 'Pull requests from forks' for the safe pattern, or set `missing-key: skip`.";

const SKIP_IS_FOR_FORKS =
  "`missing-key: skip` applies only to pull requests from forks; this run is not one, so a missing key is an error.";

/** The action: reads inputs, runs the shared pipeline, and is the one place that fails the check. */
export async function run(env: Record<string, string | undefined> = process.env): Promise<void> {
  let inputs: ActionInputs | undefined;
  try {
    inputs = readInputs();
    // The GitHub and cache clients are loaded only when used: most of the bundle's start-up cost.
    if (inputs.postReport) await (await import("./post.js")).postReport(inputs, env);
    else {
      const interrupt = listenForInterrupt();
      try {
        await runWith(inputs, env, interrupt);
      } finally {
        interrupt.dispose();
      }
    }
  } catch (e) {
    // Only a fault of eval-gate itself reaches here: user mistakes become an `error` report earlier.
    core.setOutput("verdict", "error");
    core.setFailed(isUserError(e) ? describeError(e) : `eval-gate failed: ${describeError(e)}`);
    if (!isUserError(e) && e instanceof Error && e.stack) core.debug(e.stack);
  }
}

async function runWith(
  inputs: ActionInputs,
  env: Record<string, string | undefined>,
  interrupt: Interrupt,
): Promise<void> {
  // The texts only the report file shows wait on disk till it is written (a shard's partial and a
  // merge hold them all, so those keep them in memory).
  const store = inputs.merge || inputs.shard ? undefined : new FileTextStore(env.RUNNER_TEMP || tmpdir());
  try {
    await runOn(inputs, env, interrupt, store && new ParkedTexts(store));
  } finally {
    store?.close();
  }
}

async function runOn(
  inputs: ActionInputs,
  env: Record<string, string | undefined>,
  interrupt: Interrupt,
  parked: ParkedTexts | undefined,
): Promise<void> {
  const workspace = resolve(env.GITHUB_WORKSPACE ?? process.cwd());
  const event = await readEvent(env);
  const sha = env.GITHUB_SHA || (await headSha(workspace));
  core.startGroup(inputs.merge ? "eval-gate: merge" : "eval-gate: config and sets");
  core.info(
    `config ${inputs.config}; ${env.GITHUB_EVENT_NAME ?? "local"}${event.pr !== null ? ` on PR #${event.pr}` : ""}; head ${sha.slice(0, 7)}`,
  );
  // Each shard keeps a cache of its own share; an unsharded run one for all.
  const cacheScope = inputs.shard
    ? `${inputs.commentId}-shard-${inputs.shard.replace("/", "-of-")}`
    : inputs.commentId;
  const diskCache =
    inputs.cache && !inputs.merge ? await openCache(inputs, event, workspace, cacheScope, env) : undefined;
  const shard = inputs.shard ? parseShard(inputs.shard) : undefined;
  let evaluation: Evaluation | undefined;
  let report: Report;
  try {
    if (inputs.merge) {
      report = buildReport(mergePartials(await readPartials(resolve(workspace, inputs.merge))));
    } else {
      evaluation = await evaluateEvent(inputs, event, workspace, sha, env, {
        cache: diskCache,
        shard,
        signal: interrupt.signal,
        parked,
      });
      report = evaluation.report;
    }
  } catch (e) {
    if (interrupt.received) {
      core.endGroup();
      await closeCache(diskCache);
      return reportCancelled(interrupt, diskCache);
    }
    if (!isUserError(e)) throw e;
    const messages = e instanceof UserErrors ? e.errors.map((x) => x.format()) : [describeError(e)];
    // Skipping is for fork PRs, which GitHub gives no secrets; anywhere else a missing key is a
    // misconfiguration (or a PR pointing api_key_env at an unset name to skip its own check).
    const skip = e instanceof MissingKeyError && inputs.missingKey === "skip" && event.fromFork;
    if (e instanceof MissingKeyError && event.fromFork) messages.unshift(FORK_NOTICE);
    else if (e instanceof MissingKeyError && inputs.missingKey === "skip") messages.push(SKIP_IS_FOR_FORKS);
    for (const m of messages) (skip ? core.notice : core.error)(m);
    report = errorReport(messages, {
      configPath: inputs.config,
      headSha: sha,
      verdict: skip ? "skipped" : "error",
    });
  }
  core.endGroup();
  // Cancelled before every case ran: no verdict from a part of them. A signal after the last
  // answer lets the run finish, within the grace period.
  if (interrupt.received && evaluation?.collected.aborted) {
    await closeCache(diskCache);
    return reportCancelled(interrupt, diskCache);
  }

  if (shard && evaluation) {
    // A shard's result is partial: it is merged into the verdict by the `merge` step, which gates.
    await closeCache(diskCache);
    const partialPath = join(
      runnerDir(env, workspace),
      `eval-gate-partial-${shard.index}-of-${shard.count}.json`,
    );
    await writeAtomic(partialPath, JSON.stringify(toPartial(evaluation.collected, shard)));
    core.setOutput("partial", partialPath);
    await core.summary
      .addRaw(
        `eval-gate shard ${shard.index}/${shard.count}: ${evaluation.collected.cases.length} case(s) run; the merge step reports the verdict.\n`,
      )
      .write();
    if (diskCache) await (await import("./cache.js")).saveResponses(diskCache, cacheScope, env);
    return;
  }
  await closeCache(diskCache);
  // Cut to what post-report reads, so the fork pattern never refuses this report; every view of it
  // (log, summary, comment) shows the same one.
  const fitted = fitReport({ ...report, pr: event.pr, pr_head_sha: event.prHeadSha }, parked);
  report = fitted;
  core.startGroup("eval-gate: report");
  core.info(renderTerminal(report, { width: 160, more: "see the job summary" }).trimEnd());
  annotateRegressions(report);
  warnUnlabelled(report);
  const overrideUsed =
    (report.verdict === "fail" || report.verdict === "review") && event.labels.includes(inputs.overrideLabel)
      ? inputs.overrideLabel
      : null;
  const reportPath = join(runnerDir(env, workspace), "eval-gate-report.json");
  await writeAtomic(reportPath, reportPieces(fitted, parked));
  await core.summary.addRaw(renderSummary(report)).write();
  core.info(`report: ${reportPath}`);
  if (inputs.junit) {
    const junitPath = resolve(workspace, inputs.junit);
    // Like the comment, an extra file that cannot be written does not change the verdict.
    await writeAtomic(junitPath, renderJunit(report)).then(
      () => core.info(`JUnit XML: ${junitPath}`),
      (e) => core.warning(`Could not write the JUnit XML to ${inputs.junit}: ${describeError(e)}`),
    );
  }

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
  if (diskCache) await (await import("./cache.js")).saveResponses(diskCache, cacheScope, env);
  core.endGroup();

  const line = resultLine(report);
  if (overrideUsed && checkFails(report.verdict, inputs.failOn)) {
    core.notice(`${line} The label "${overrideUsed}" lets this verdict pass the check.`);
  } else if (checkFails(report.verdict, inputs.failOn)) {
    core.setFailed(line);
  } else {
    core.info(line);
  }
}

function runnerDir(env: Record<string, string | undefined>, workspace: string): string {
  return env.RUNNER_TEMP ? resolve(env.RUNNER_TEMP) : join(workspace, ".eval-gate");
}

async function evaluateEvent(
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
  let base: { source: ReturnType<typeof revisionSource>; ref: string; sha: string } | null = null;
  if (baseRef) {
    const baseSha = await resolveCommit(workspace, baseRef);
    base = { source: revisionSource(workspace, baseSha), ref: event.baseRef ?? baseRef, sha: baseSha };
  }
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
    const { githubCommentStore } = await import("../adapters/github/github.js");
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
