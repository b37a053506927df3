import type { Report } from "../report-types.js";

/**
 * What GitHub's `workflow_run` event says of the run that made the report. This, and what the API
 * says of a PR, are the trusted half: the report itself is an artifact the PR's own workflow
 * uploaded, so a fork can put anything in it.
 */
export interface TriggeringRun {
  headSha: string;
  headBranch: string | null;
  /** `owner/name` of the repository the tested branch lives in: a fork's, for a fork's PR. */
  headRepo: string | null;
  /** The PRs GitHub lists for the run: same-repository PRs only, empty for a fork's. */
  pullRequests: number[];
}

/** A PR as the GitHub API returns it now. */
export interface PullHead {
  state: string;
  sha: string;
  ref: string;
  /** `owner/name`; null when the fork it came from was deleted. */
  repo: string | null;
}

export type PostTarget =
  | { kind: "post"; pr: number }
  /** A report of a run that was not for a PR (a push): nothing to post, nothing wrong. */
  | { kind: "none"; why: string }
  | { kind: "refused"; why: string };

/**
 * The PR a report may be posted to. The report names it; that claim holds only when the PR is open
 * and its head is the run's in every way GitHub identifies it (commit, branch and repository):
 * the commit alone is not enough, because anyone can push a victim's commit to a fork and open a
 * PR from it. When the run lists its PRs, the claim must be one of them: a report naming another
 * is refused, not redirected, since a report that disagrees with its run is not to be trusted.
 */
export async function postTarget(
  report: Report,
  run: TriggeringRun,
  pullHead: (pr: number) => Promise<PullHead | null>,
): Promise<PostTarget> {
  const pr = report.pr ?? null;
  if (pr === null) return { kind: "none", why: "The report is not for a pull request; no comment." };
  const refuse = (problems: string[]): PostTarget => ({
    kind: "refused",
    why: `Not posting the report to PR #${pr}: ${problems.join("; ")}.`,
  });

  // Checked before asking GitHub: a report that disagrees with its own run needs no API call.
  const claims: string[] = [];
  if (report.pr_head_sha === undefined || report.pr_head_sha === null)
    claims.push("the report does not say which commit it was made for (an older eval-gate wrote it?)");
  else if (report.pr_head_sha !== run.headSha)
    claims.push(`the report was made for commit ${report.pr_head_sha}, the run tested ${run.headSha}`);
  if (run.pullRequests.length > 0 && !run.pullRequests.includes(pr))
    claims.push(`the run was for ${run.pullRequests.map((n) => `PR #${n}`).join(", ")}`);
  if (claims.length > 0) return refuse(claims);

  const pull = await pullHead(pr);
  if (!pull) return refuse(["no such PR in this repository"]);
  const problems: string[] = [];
  if (pull.state !== "open") problems.push(`it is ${pull.state}`);
  if (pull.sha !== run.headSha)
    problems.push(`its head commit is ${pull.sha}, the run tested ${run.headSha}`);
  // Repository names are case-insensitive on GitHub; branch names are not.
  if (pull.repo === null || pull.repo.toLowerCase() !== run.headRepo?.toLowerCase())
    problems.push(
      `its head repository is ${pull.repo ?? "deleted"}, the run tested ${run.headRepo ?? "an unnamed one"}`,
    );
  if (pull.ref !== run.headBranch)
    problems.push(`its head branch is ${pull.ref}, the run tested ${run.headBranch ?? "an unnamed one"}`);
  return problems.length > 0 ? refuse(problems) : { kind: "post", pr };
}
