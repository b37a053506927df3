import { readFile, stat } from "node:fs/promises";
import { resolve } from "node:path";
import * as core from "@actions/core";
import { githubCommentStore, pullRequestHead } from "../adapters/github/github.js";
import { UserError } from "../core/errors.js";
import { worstSlice } from "../core/gate/verdict.js";
import { type PostTarget, postTarget, type TriggeringRun } from "../core/report/post-target.js";
import { renderComment } from "../core/report/render/comment.js";
import { renderSummary } from "../core/report/render/summary.js";
import { parseReport } from "../core/report/schema.js";
import { upsertComment } from "../core/report/sticky.js";
import { REPORT_BYTES } from "../core/report-limits.js";
import type { ActionInputs } from "./inputs.js";

interface WorkflowRunPayload {
  workflow_run?: {
    head_sha?: string;
    head_branch?: string | null;
    head_repository?: { full_name?: string } | null;
    pull_requests?: { number?: number }[];
  };
}

/**
 * The second half of the fork-safe pattern: a `workflow_run` job, holding a write token, posts the
 * comment for a report that a `pull_request` job uploaded. The report is hostile input: it is
 * validated, its text escaped by the renderer, and it is posted only to the PR the triggering run
 * tested (see postTarget), so a forged report cannot comment on another PR.
 *
 * A report that may not be posted is a warning, not a failure: the usual cause is a race (the PR
 * was pushed to again or closed while the first run worked), the verdict was already gated by the
 * first run, and this job's own check guards nothing on the PR.
 */
export async function postReport(
  inputs: ActionInputs,
  env: Record<string, string | undefined>,
): Promise<void> {
  const workspace = resolve(env.GITHUB_WORKSPACE ?? process.cwd());
  const file = resolve(workspace, inputs.postReport);
  const size = await stat(file).catch(() => null);
  if (!size)
    throw new UserError(`no report at ${inputs.postReport}`, {
      field: "post-report",
      fix: "Download the artifact first.",
    });
  if (size.size > REPORT_BYTES)
    throw new UserError("the report is larger than 50 MB", { file: inputs.postReport });
  const report = parseReport(await readFile(file, "utf8"), inputs.postReport);

  const run = await triggeringRun(env);
  const [owner = "", repo = ""] = (env.GITHUB_REPOSITORY ?? "/").split("/");
  const baseUrl = env.GITHUB_API_URL ? { baseUrl: env.GITHUB_API_URL } : {};
  // A run that evaluated nothing (`missing-key: skip` on a fork's PR) writes no comment, as the main
  // step does not: the PR's comment may be another workflow's (pull_request_target) to write.
  const target: PostTarget =
    report.verdict === "skipped"
      ? { kind: "none", why: "The report's verdict is skipped (no key on a fork's PR): no comment." }
      : await postTarget(report, run, (n) =>
          pullRequestHead(inputs.githubToken, { owner, repo }, n, baseUrl),
        );
  if (target.kind === "refused") core.warning(target.why);
  if (target.kind === "none") core.info(target.why);
  await core.summary.addRaw(renderSummary(report)).write();
  const worst = worstSlice(report.slices);
  core.setOutput("verdict", report.verdict);
  core.setOutput("report", file);
  core.setOutput("worst-slice", worst ? `${worst.set}/${worst.slice}` : "");
  core.setOutput("worst-slice-score", worst ? String(worst.head_score) : "");
  if (target.kind !== "post") {
    core.setOutput("comment-url", "");
    return;
  }
  const body = renderComment(report, { commentId: inputs.commentId });
  const store = githubCommentStore(inputs.githubToken, { owner, repo }, baseUrl);
  const { comment, action } = await upsertComment(store, target.pr, body, inputs.commentId);
  core.info(`PR comment ${action}: ${comment.url}`);
  core.setOutput("comment-url", comment.url);
}

async function triggeringRun(env: Record<string, string | undefined>): Promise<TriggeringRun> {
  const payload = JSON.parse(
    await readFile(env.GITHUB_EVENT_PATH ?? "", "utf8").catch(() => "{}"),
  ) as WorkflowRunPayload;
  const run = payload.workflow_run;
  if (!run?.head_sha) {
    throw new UserError("post-report runs on a workflow_run event", {
      field: "post-report",
      fix: "Use it in a job triggered by `workflow_run`.",
    });
  }
  return {
    headSha: run.head_sha,
    headBranch: run.head_branch ?? null,
    headRepo: run.head_repository?.full_name ?? null,
    pullRequests: (run.pull_requests ?? []).flatMap((p) => (typeof p.number === "number" ? [p.number] : [])),
  };
}
