// The fork-safe pattern end to end: a `pull_request` run writes the report, a `workflow_run` job
// posts it with `post-report`. The artifact is whatever the PR's own workflow uploaded, so these
// tests forge it the way an attacker would and check that only the run's own PR gets a comment.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cleanupAll, makePullRequestRepo, makeTempDir, pullRequestEvent } from "../support/git-repo.js";
import { type GitHubServer, startGitHubServer } from "../support/github-server.js";
import { type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";
import { runAction } from "./harness.js";
import { NO_ADDRESS, supportModel } from "./scenario.js";

const OWNER = "acme";
const REPO = "widgets";
// GitHub runs a pull_request workflow on the merge commit (GITHUB_SHA), while workflow_run.head_sha
// is the PR's head commit: the report must say which PR commit it was made for.
const MERGE_SHA = "e".repeat(40);

let openai: OpenAIServer;
let github: GitHubServer;
// biome-ignore lint/suspicious/noExplicitAny: the report's JSON is read loosely, as an attacker edits it.
let report: Record<string, any>;
let headSha: string;
let pr = 500;

beforeAll(async () => {
  openai = await startOpenAIServer({ respond: supportModel });
  github = await startGitHubServer();
  const made = await makePullRequestRepo({
    base: (await import("./scenario.js")).baseFiles(),
    head: { "prompts/support.md": NO_ADDRESS },
  });
  headSha = made.headSha;
  const evalRun = await runAction({
    workspace: made.repo.dir,
    eventName: "pull_request",
    event: pullRequestEvent({ baseSha: made.baseSha, headSha, number: pr, owner: OWNER, repo: REPO }),
    env: {
      OPENAI_BASE_URL: openai.url,
      OPENAI_API_KEY: "sk-test",
      GITHUB_API_URL: github.url,
      GITHUB_SHA: MERGE_SHA,
    },
    inputs: { comment: "false" },
  });
  expect(evalRun.outputs.verdict).toBe("fail");
  report = evalRun.report as Record<string, unknown>;
  expect([report.head.sha, report.pr_head_sha, report.pr]).toEqual([MERGE_SHA, headSha, pr]);
}, 60_000);
afterAll(async () => {
  await openai.close();
  await github.close();
  cleanupAll();
});
beforeEach(() => {
  pr++;
  github.clearRequests();
});

/** The `workflow_run` payload GitHub sends for a run of the eval workflow. */
function workflowRun(run: { sha?: string; branch: string; repo: string; pulls?: number[] }) {
  return {
    action: "completed",
    workflow_run: {
      id: 9001,
      event: "pull_request",
      head_sha: run.sha ?? headSha,
      head_branch: run.branch,
      head_repository: { full_name: run.repo },
      pull_requests: (run.pulls ?? []).map((number) => ({ number, head: { ref: run.branch, sha: headSha } })),
    },
  };
}

async function post(artifact: unknown, event: unknown) {
  const dir = makeTempDir("artifact");
  writeFileSync(join(dir, "report.json"), JSON.stringify(artifact));
  return runAction({
    workspace: dir,
    eventName: "workflow_run",
    event,
    env: { GITHUB_API_URL: github.url },
    inputs: { "post-report": "report.json" },
  });
}

const writes = () => github.requests().filter((r) => r.method !== "GET" && r.path !== "/graphql");

describe("post-report comments only on the PR the triggering run tested", () => {
  it("posts a fork PR's report on that PR, and a second post updates the same comment", async () => {
    github.setPull(OWNER, REPO, pr, { headSha, headRef: "feature", headRepo: "contrib/widgets" });
    const event = workflowRun({ branch: "feature", repo: "contrib/widgets" });
    const first = await post({ ...report, pr }, event);
    expect(first.code).toBe(0);
    expect(first.stdout).not.toMatch(/::warning::/);
    expect(first.outputs.verdict).toBe("fail");
    expect(first.outputs["comment-url"]).toMatch(new RegExp(`/pull/${pr}#issuecomment-`));
    const second = await post({ ...report, pr }, event);
    expect(second.outputs["comment-url"]).toBe(first.outputs["comment-url"]);
    const comments = github.comments(OWNER, REPO, pr);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain("address_change");
  });

  it("posts a same-repository PR's report when the run lists that PR", async () => {
    github.setPull(OWNER, REPO, pr, { headSha, headRef: "feature" });
    const run = await post(
      { ...report, pr },
      workflowRun({ branch: "feature", repo: "acme/widgets", pulls: [pr] }),
    );
    expect(run.stdout).not.toMatch(/::warning::/);
    expect(github.comments(OWNER, REPO, pr)).toHaveLength(1);
  });

  it("a fork PR whose head is the victim's commit cannot overwrite the victim's comment", async () => {
    const victim = pr;
    const attacker = pr + 1;
    pr++;
    github.setPull(OWNER, REPO, victim, { headSha, headRef: "feature" });
    const honest = await post(
      { ...report, pr: victim },
      workflowRun({ branch: "feature", repo: "acme/widgets" }),
    );
    const before = github.comments(OWNER, REPO, victim);
    expect(honest.outputs["comment-url"]).not.toBe("");
    expect(before).toHaveLength(1);

    // Mallory pushes the victim's commit to a branch of her fork and opens a PR from it: her run
    // tests the same commit, and her workflow uploads a report that claims the victim's PR.
    github.setPull(OWNER, REPO, attacker, { headSha, headRef: "attack", headRepo: "mallory/widgets" });
    const mallory = workflowRun({ branch: "attack", repo: "mallory/widgets" });
    const forged = { ...report, pr: victim, verdict: "pass", reasons: ["All clear, merge away"] };
    github.clearRequests();
    const refused = await post(forged, mallory);
    expect(refused.code).toBe(0);
    expect(refused.stdout).toContain(
      `::warning::Not posting the report to PR #${victim}: its head repository is acme/widgets, the run tested mallory/widgets; its head branch is feature, the run tested attack.`,
    );
    expect(refused.outputs.verdict).toBe("pass");
    expect(refused.outputs["comment-url"]).toBe("");
    expect(writes()).toEqual([]);
    expect(github.comments(OWNER, REPO, victim)).toEqual(before);

    // The same run may comment on Mallory's own PR: the check refuses the claim, not the fork.
    const own = await post({ ...forged, pr: attacker }, mallory);
    expect(own.stdout).not.toMatch(/::warning::/);
    expect(github.comments(OWNER, REPO, attacker)).toHaveLength(1);
    expect(github.comments(OWNER, REPO, victim)).toEqual(before);
  });

  it("refuses a report naming another PR than the run's, rather than posting it elsewhere", async () => {
    const listed = pr;
    const claimed = pr + 1;
    pr++;
    // Two PRs from one branch (to two base branches): the claimed one matches the run's head in
    // every way, so only the run's own list of PRs tells them apart.
    for (const n of [listed, claimed]) github.setPull(OWNER, REPO, n, { headSha, headRef: "feature" });
    const event = workflowRun({ branch: "feature", repo: "acme/widgets", pulls: [listed] });
    const refused = await post({ ...report, pr: claimed }, event);
    expect(refused.code).toBe(0);
    expect(refused.stdout).toContain(
      `::warning::Not posting the report to PR #${claimed}: the run was for PR #${listed}.`,
    );
    expect(writes()).toEqual([]);
    expect(github.comments(OWNER, REPO, claimed)).toEqual([]);
    expect(github.comments(OWNER, REPO, listed)).toEqual([]);
  });

  it("refuses a report made for another commit than the one the run tested", async () => {
    github.setPull(OWNER, REPO, pr, { headSha, headRef: "feature" });
    const other = "d".repeat(40);
    const refused = await post(
      { ...report, pr, pr_head_sha: other },
      workflowRun({ branch: "feature", repo: "acme/widgets" }),
    );
    expect(refused.code).toBe(0);
    expect(refused.stdout).toContain(
      `::warning::Not posting the report to PR #${pr}: the report was made for commit ${other}, the run tested ${headSha}.`,
    );
    expect(writes()).toEqual([]);
    expect(github.comments(OWNER, REPO, pr)).toEqual([]);
  });

  it("refuses a closed PR and a PR whose head has moved on", async () => {
    const event = workflowRun({ branch: "feature", repo: "acme/widgets" });
    github.setPull(OWNER, REPO, pr, { headSha, headRef: "feature", state: "closed" });
    const closed = await post({ ...report, pr }, event);
    expect(closed.stdout).toContain(`::warning::Not posting the report to PR #${pr}: it is closed.`);
    github.setPull(OWNER, REPO, pr, { headSha: "c".repeat(40), headRef: "feature" });
    const moved = await post({ ...report, pr }, event);
    expect(moved.stdout).toContain(
      `::warning::Not posting the report to PR #${pr}: its head commit is ${"c".repeat(40)}, the run tested ${headSha}.`,
    );
    expect(writes()).toEqual([]);
  });

  it("posts nothing for a fork's PR that the first run skipped for want of a key (the README's pattern)", async () => {
    const made = await makePullRequestRepo({
      base: (await import("./scenario.js")).baseFiles(),
      head: { "prompts/support.md": NO_ADDRESS },
    });
    const event = pullRequestEvent({
      baseSha: made.baseSha,
      headSha: made.headSha,
      number: pr,
      owner: OWNER,
      repo: REPO,
    });
    (event.pull_request as { head: { repo: unknown } }).head.repo = {
      full_name: "contrib/widgets",
      fork: true,
    };
    // The first workflow as the README writes it: the key from a secret, which a fork's run lacks.
    const skipped = await runAction({
      workspace: made.repo.dir,
      eventName: "pull_request",
      event,
      env: { OPENAI_BASE_URL: openai.url, GITHUB_API_URL: github.url, GITHUB_SHA: MERGE_SHA },
      inputs: { comment: "false", "missing-key": "skip" },
    });
    expect([skipped.code, skipped.outputs.verdict]).toEqual([0, "skipped"]);
    github.setPull(OWNER, REPO, pr, {
      headSha: made.headSha,
      headRef: "feature",
      headRepo: "contrib/widgets",
    });
    github.clearRequests();
    const posted = await post(
      skipped.report,
      workflowRun({ sha: made.headSha, branch: "feature", repo: "contrib/widgets" }),
    );
    expect(posted.code).toBe(0);
    expect(posted.outputs.verdict).toBe("skipped");
    expect(posted.outputs["comment-url"]).toBe("");
    expect(posted.stdout).toContain("The report's verdict is skipped (no key on a fork's PR): no comment.");
    expect(github.requests()).toEqual([]);
    expect(github.comments(OWNER, REPO, pr)).toEqual([]);
  });

  it("fails on a report that is not eval-gate's, without commenting", async () => {
    github.setPull(OWNER, REPO, pr, { headSha, headRef: "feature" });
    const tampered = structuredClone({ ...report, pr }) as typeof report;
    tampered.slices[0].status = "<script>";
    const refused = await post(tampered, workflowRun({ branch: "feature", repo: "acme/widgets" }));
    expect(refused.code).toBe(1);
    expect(refused.stdout).toMatch(/::error::report.json: slices.0.status: not an eval-gate report/);
    expect(github.requests()).toEqual([]);
  });
});
