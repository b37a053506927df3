import { describe, expect, it } from "vitest";
import { type PullHead, postTarget, type TriggeringRun } from "../../src/core/report/post-target.js";
import { makeReport } from "./fixtures/report.js";

const SHA = "a".repeat(40);
const run: TriggeringRun = { headSha: SHA, headBranch: "fix", headRepo: "Contrib/Widgets", pullRequests: [] };
const open: PullHead = { state: "open", sha: SHA, ref: "fix", repo: "contrib/widgets" };

/** postTarget with the PR lookup answered from a table, counting the lookups. */
async function target(
  reportFields: Parameters<typeof makeReport>[0],
  pulls: Record<number, PullHead | null>,
  triggering = run,
) {
  const asked: number[] = [];
  const result = await postTarget(makeReport(reportFields), triggering, async (n) => {
    asked.push(n);
    return pulls[n] ?? null;
  });
  return { result, asked };
}

describe("postTarget", () => {
  it("posts to the claimed PR when its head is the run's (repository names compared case-insensitively)", async () => {
    const { result, asked } = await target({ pr: 7, pr_head_sha: SHA }, { 7: open });
    expect(result).toEqual({ kind: "post", pr: 7 });
    expect(asked).toEqual([7]);
  });

  it("has nothing to post for a report of a run that was not for a PR", async () => {
    const { result, asked } = await target({ pr: null, pr_head_sha: null }, {});
    expect(result.kind).toBe("none");
    expect(asked).toEqual([]);
  });

  it("names every mismatch of the PR at once", async () => {
    const moved: PullHead = { state: "closed", sha: "b".repeat(40), ref: "Fix", repo: "mallory/widgets" };
    const { result } = await target({ pr: 7, pr_head_sha: SHA }, { 7: moved });
    expect(result).toEqual({
      kind: "refused",
      why:
        `Not posting the report to PR #7: it is closed; its head commit is ${"b".repeat(40)}, the run tested ${SHA}; ` +
        "its head repository is mallory/widgets, the run tested Contrib/Widgets; its head branch is Fix, the run tested fix.",
    });
  });

  it("refuses a PR whose fork was deleted, and one that does not exist", async () => {
    const gone = await target({ pr: 7, pr_head_sha: SHA }, { 7: { ...open, repo: null } });
    expect(gone.result).toMatchObject({ why: expect.stringContaining("its head repository is deleted") });
    const missing = await target({ pr: 8, pr_head_sha: SHA }, {});
    expect(missing.result).toMatchObject({ kind: "refused", why: expect.stringContaining("no such PR") });
  });

  it("refuses without asking GitHub when the report disagrees with its own run", async () => {
    const old = await target({ pr: 7 }, { 7: open });
    expect(old.result).toMatchObject({
      kind: "refused",
      why: expect.stringContaining("does not say which commit"),
    });
    const listed = await target({ pr: 7, pr_head_sha: SHA }, { 7: open }, { ...run, pullRequests: [3, 4] });
    expect(listed.result).toMatchObject({
      why: "Not posting the report to PR #7: the run was for PR #3, PR #4.",
    });
    expect([...old.asked, ...listed.asked]).toEqual([]);
  });

  it("refuses a run without a named head branch or repository rather than skip those checks", async () => {
    const { result } = await target(
      { pr: 7, pr_head_sha: SHA },
      { 7: open },
      { ...run, headBranch: null, headRepo: null },
    );
    expect(result).toMatchObject({
      kind: "refused",
      why: expect.stringContaining("the run tested an unnamed one"),
    });
  });
});
