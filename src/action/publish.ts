import { join, resolve } from "node:path";
import * as core from "@actions/core";
import { writeAtomic } from "../adapters/files/files.js";
import { describeError } from "../core/errors.js";
import type { Evaluation } from "../core/evaluate.js";
import { type Shard, toPartial } from "../core/gate/shard.js";
import { worstSlice } from "../core/gate/verdict.js";
import { fitReport, reportPieces } from "../core/report/fit.js";
import type { ParkedTexts } from "../core/report/park.js";
import { renderComment } from "../core/report/render/comment.js";
import { renderJunit } from "../core/report/render/junit.js";
import { resultLine } from "../core/report/render/oneline.js";
import { renderSummary } from "../core/report/render/summary.js";
import { renderTerminal } from "../core/report/render/terminal.js";
import { checkFails } from "../core/report/report.js";
import { upsertComment } from "../core/report/sticky.js";
import type { Report } from "../core/report-types.js";
import type { EventInfo } from "./event.js";
import type { ActionInputs } from "./inputs.js";
import { annotateRegressions, warnUnlabelled } from "./log.js";

// What the action writes once the report is in: the report file, the job summary, the JUnit file,
// the PR comment, the step's outputs and the check's result (or, for a shard, its partial result).

interface Place {
  inputs: ActionInputs;
  event: EventInfo;
  env: Record<string, string | undefined>;
  workspace: string;
}

/** A shard's partial result, its `partial` output and a line of summary: the merge step gates. */
export async function writePartial(
  evaluation: Evaluation,
  shard: Shard,
  env: Record<string, string | undefined>,
  workspace: string,
): Promise<void> {
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
}

/**
 * Opens the log's report group and writes the report everywhere it is shown; the caller closes
 * the group. Returns the report as shown and the override label, when one lets a failing verdict pass.
 */
export async function publishReport(
  full: Report,
  parked: ParkedTexts | undefined,
  { inputs, event, env, workspace }: Place,
): Promise<{ report: Report; overrideUsed: string | null }> {
  // Cut to what post-report reads, so the fork pattern never refuses this report; every view of it
  // (log, summary, comment) shows the same one.
  const report = fitReport({ ...full, pr: event.pr, pr_head_sha: event.prHeadSha }, parked);
  core.startGroup("eval-gate: report");
  core.info(renderTerminal(report, { width: 160, more: "see the job summary" }).trimEnd());
  annotateRegressions(report);
  warnUnlabelled(report);
  const overrideUsed =
    (report.verdict === "fail" || report.verdict === "review") && event.labels.includes(inputs.overrideLabel)
      ? inputs.overrideLabel
      : null;
  const reportPath = join(runnerDir(env, workspace), "eval-gate-report.json");
  await writeAtomic(reportPath, reportPieces(report, parked));
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
  return { report, overrideUsed };
}

/** The check's result: failed on the verdict (per `fail-on`) unless the override label lets it pass. */
export function settleCheck(report: Report, overrideUsed: string | null, inputs: ActionInputs): void {
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
