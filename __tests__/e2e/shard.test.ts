import { copyFileSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll, makePullRequestRepo, makeTempDir, pullRequestEvent } from "../support/git-repo.js";
import { type GitHubServer, startGitHubServer } from "../support/github-server.js";
import { type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";
import { runAction, runCli } from "./harness.js";
import { baseFiles, NO_ADDRESS, supportModel } from "./scenario.js";

let openai: OpenAIServer;
let github: GitHubServer;
beforeAll(async () => {
  openai = await startOpenAIServer({ respond: supportModel });
  github = await startGitHubServer();
});
afterAll(async () => {
  await openai.close();
  await github.close();
  cleanupAll();
});

/** What must come out the same, sharded or not (latencies are measured, so they differ). */
function comparable(report: Record<string, unknown>) {
  const { usage, usage_by_side, cases, drift, ...rest } = report as {
    usage: { requests: number; prompt_tokens: number; completion_tokens: number };
    usage_by_side: unknown;
    cases: {
      base: { behaviour?: { latency_ms: number } } | null;
      head: { behaviour?: { latency_ms: number } };
    }[];
    drift?: { rows: { measure: string }[] };
  };
  const untimed = (side: { behaviour?: { latency_ms: number } } | null) =>
    side?.behaviour ? { ...side, behaviour: { ...side.behaviour, latency_ms: 0 } } : side;
  return {
    ...rest,
    cases: cases.map((c) => ({ ...c, base: untimed(c.base), head: untimed(c.head) })),
    // Latency is a Holm family of its own (drift.ts), so its rows alone differ between the runs.
    drift: drift && { ...drift, rows: drift.rows.filter((r) => r.measure !== "latency_ms") },
    requests: usage.requests,
    tokens: usage.prompt_tokens + usage.completion_tokens,
  };
}

describe("sharding on a matrix", () => {
  it("three shards merged give the report, verdict and exit code of one unsharded run", async () => {
    const { repo } = await makePullRequestRepo({
      base: baseFiles(),
      head: { "prompts/support.md": NO_ADDRESS },
    });
    const env = { OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: "sk-test" };
    const whole = await runCli(["run", "--base", "main", "--no-cache", "--json", "whole.json"], {
      cwd: repo.dir,
      env,
    });
    expect(whole.code).toBe(1);
    const sizes: number[] = [];
    for (const i of [1, 2, 3]) {
      const shard = await runCli(["run", "--base", "main", "--no-cache", "--shard", `${i}/3`], {
        cwd: repo.dir,
        env,
      });
      expect(shard.code).toBe(0);
      sizes.push(Number(/(\d+) case\(s\)/.exec(shard.stderr)?.[1]));
    }
    expect(sizes.reduce((a, b) => a + b, 0)).toBe(75);
    expect(Math.min(...sizes)).toBeGreaterThan(10);
    const merged = await runCli(
      [
        "merge",
        ".eval-gate/partial-1-of-3.json",
        ".eval-gate/partial-2-of-3.json",
        ".eval-gate/partial-3-of-3.json",
        "--json",
        "merged.json",
      ],
      { cwd: repo.dir, env },
    );
    expect(merged.code).toBe(1);
    const a = JSON.parse(readFileSync(join(repo.dir, "whole.json"), "utf8"));
    const b = JSON.parse(readFileSync(join(repo.dir, "merged.json"), "utf8"));
    expect(comparable(b)).toEqual(comparable(a));
    // The same table and verdict; only the report it points to for the cases left out differs.
    expect(merged.stdout).toBe(whole.stdout.replaceAll("see whole.json", "see merged.json"));
    expect(merged.stdout).toContain("more: see merged.json");

    const short = await runCli(
      ["merge", ".eval-gate/partial-1-of-3.json", ".eval-gate/partial-3-of-3.json"],
      { cwd: repo.dir, env },
    );
    expect(short.code).toBe(2);
    expect(short.stderr).toContain("shard(s) 2/3 missing");
  });

  it("runs shards and the merge through the action, which writes the one comment", async () => {
    const { repo, baseSha, headSha } = await makePullRequestRepo({
      base: baseFiles(),
      head: { "prompts/support.md": NO_ADDRESS },
    });
    const event = pullRequestEvent({ baseSha, headSha, number: 77 });
    const env = { OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: "sk-test", GITHUB_API_URL: github.url };
    const artifacts = makeTempDir("partials");
    for (const i of [1, 2]) {
      const run = await runAction({
        workspace: repo.dir,
        eventName: "pull_request",
        event,
        env,
        inputs: { shard: `${i}/2`, cache: "false" },
      });
      expect(run.code).toBe(0);
      expect(run.outputs.partial).toMatch(new RegExp(`eval-gate-partial-${i}-of-2\\.json$`));
      copyFileSync(run.outputs.partial as string, join(artifacts, `p${i}.json`));
    }
    expect(github.comments("acme", "widgets", 77)).toHaveLength(0);
    const merge = await runAction({
      workspace: repo.dir,
      eventName: "pull_request",
      event,
      env,
      inputs: { merge: artifacts },
    });
    expect(merge.code).toBe(1);
    expect(merge.outputs.verdict).toBe("fail");
    expect(merge.outputs["worst-slice"]).toMatch(/address_change$/);
    const comments = github.comments("acme", "widgets", 77);
    expect(comments).toHaveLength(1);
    expect(comments[0]?.body).toContain("address_change");
    const whole = await runAction({
      workspace: repo.dir,
      eventName: "pull_request",
      event,
      env,
      inputs: { comment: "false", cache: "false" },
    });
    expect(comparable(merge.report as Record<string, unknown>)).toEqual(
      comparable({ ...(whole.report as Record<string, unknown>) }),
    );
  });
});
