import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { githubCommentStore } from "../../src/adapters/github/github.js";
import { commentMarker, upsertComment } from "../../src/core/report/sticky.js";
import { type GitHubServer, startGitHubServer } from "../support/github-server.js";

let gh: GitHubServer;
let pr = 1;
beforeAll(async () => {
  gh = await startGitHubServer({ tokens: { ghs_test: "github-actions[bot]", ghp_human: "octocat" } });
});
afterAll(() => gh.close());

const store = (token = "ghs_test") =>
  githubCommentStore(token, { owner: "acme", repo: "widgets" }, { baseUrl: gh.url });

describe("upsertComment through the REST and GraphQL stand-in", () => {
  it("finds its own comment past the first page of 100 and updates it in place", async () => {
    pr++;
    for (let i = 0; i < 180; i++)
      gh.addComment("acme", "widgets", pr, { body: `chatter ${i}`, login: "octocat" });
    const mine = gh.addComment("acme", "widgets", pr, {
      body: `${commentMarker("default")}\nold`,
      login: "github-actions[bot]",
    });
    for (let i = 0; i < 30; i++)
      gh.addComment("acme", "widgets", pr, { body: `more ${i}`, login: "octocat" });
    const result = await upsertComment(store(), pr, `${commentMarker("default")}\nnew`, "default");
    expect(result.action).toBe("updated");
    expect(result.comment.id).toBe(mine.id);
    expect(gh.comments("acme", "widgets", pr).find((c) => c.id === mine.id)?.body).toContain("new");
    const pages = gh
      .requests()
      .filter((r) => r.method === "GET" && r.path.includes(`/issues/${pr}/comments`));
    expect(pages.length).toBe(3);
  });

  it("creates a new comment when only someone else's carries the marker, and keeps comment-ids apart", async () => {
    pr++;
    const theirs = gh.addComment("acme", "widgets", pr, { body: commentMarker("default"), login: "octocat" });
    const a = await upsertComment(store(), pr, `${commentMarker("default")}\nA`, "default");
    const b = await upsertComment(store(), pr, `${commentMarker("nightly")}\nB`, "nightly");
    expect(a.action).toBe("created");
    expect(b.action).toBe("created");
    expect(a.comment.id).not.toBe(b.comment.id);
    expect(gh.comments("acme", "widgets", pr).find((c) => c.id === theirs.id)?.body).toBe(
      commentMarker("default"),
    );
    const again = await upsertComment(store(), pr, `${commentMarker("default")}\nA2`, "default");
    expect(again).toMatchObject({ action: "updated", comment: { id: a.comment.id } });
    expect(gh.comments("acme", "widgets", pr)).toHaveLength(3);
  });

  it("retries server errors until the write goes through", async () => {
    pr++;
    gh.setFaults({ failWritesTimes: 2, failWritesStatus: 502 });
    try {
      const result = await upsertComment(store(), pr, `${commentMarker("default")}\nx`, "default");
      expect(result.action).toBe("created");
      expect(gh.comments("acme", "widgets", pr)).toHaveLength(1);
    } finally {
      gh.setFaults({});
    }
  });
});

describe("two runs racing on one PR", () => {
  it("end with one comment", async () => {
    pr++;
    const bodies = ["first", "second", "third"].map((b) => `${commentMarker("default")}\n${b}`);
    await Promise.all(bodies.map((b) => upsertComment(store(), pr, b, "default")));
    const ours = gh.comments("acme", "widgets", pr).filter((c) => c.body.includes(commentMarker("default")));
    expect(ours).toHaveLength(1);
  });
});
