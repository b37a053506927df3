// Every report the action writes, post-report accepts: a run with a 300 KB model output and one
// slice per case over 10,000 cases (both refused by the reader before the writer cut to its limits).
import { copyFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cutMarker, TEXT_LIMITS } from "../../src/core/report-limits.js";
import { cleanupAll, makePullRequestRepo, makeTempDir, pullRequestEvent } from "../support/git-repo.js";
import { type GitHubServer, startGitHubServer } from "../support/github-server.js";
import { messageText, type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";
import { runAction } from "./harness.js";

const CASES = 10_000;
// Multi-byte and astral characters, so a cut in the wrong place would split a pair.
const HUGE = "é😀a".repeat(75_000);

let openai: OpenAIServer;
let github: GitHubServer;

beforeAll(async () => {
  // The base prompt knows the answer, the head prompt does not: every one-case slice falls under the
  // floor, without evidence (one case proves nothing), so the verdict's reason names all 10,000 of them.
  openai = await startOpenAIServer({
    respond: (req) => {
      const system = messageText(req.messages.find((m) => m.role === "system")?.content ?? "");
      const user = messageText(req.messages.find((m) => m.role === "user")?.content ?? "");
      if (user.includes("huge")) return HUGE;
      return system.includes("knows") ? "yes" : "no";
    },
  });
  github = await startGitHubServer();
});
afterAll(async () => {
  await openai.close();
  await github.close();
  cleanupAll();
});

function setFiles(prompt: string): Record<string, string> {
  const cases = Array.from({ length: CASES }, (_, i) =>
    JSON.stringify({
      id: `case-${i}`,
      slice: `slice-${i}`,
      input: i === 0 ? "huge" : `question ${i}`,
      expected: "yes",
    }),
  );
  return {
    "eval-gate.yml": [
      "version: 1",
      "target: { model: m, system: prompt.md }",
      "sets: { anchor: anchor.jsonl }",
      "concurrency: 64",
      'graders: [{ type: contains, value: "{{expected}}" }]',
      "gate: { floor: 0.5 }",
      "requests: { timeout_ms: 5000, attempts: 2 }",
    ].join("\n"),
    "prompt.md": prompt,
    "anchor.jsonl": `${cases.join("\n")}\n`,
  };
}

it("writes a 300 KB output and 10,000 slices so that post-report accepts and posts them", async () => {
  const { repo, baseSha, headSha } = await makePullRequestRepo({
    base: setFiles("The assistant knows."),
    head: { "prompt.md": "The assistant guesses." },
  });
  const pr = 77;
  const run = await runAction({
    workspace: repo.dir,
    eventName: "pull_request",
    event: pullRequestEvent({ baseSha, headSha, number: pr }),
    env: { OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: "sk-test", GITHUB_API_URL: github.url },
    inputs: { comment: "false", cache: "false" },
  });
  const report = run.report ?? {};
  expect(report.verdict).toBe("review");
  expect(report.slices).toHaveLength(CASES);
  expect(report.reasons[0]).toMatch(
    /^Under the floor, within noise of it: anchor\/slice-1, .*… \[cut: \d+ more characters\]$/,
  );
  expect(report.reasons[0]).toHaveLength(TEXT_LIMITS.reason);
  const huge = report.cases.find((c: { id: string }) => c.id === "case-0");
  expect(huge.base_output).toBe(
    `${HUGE.slice(0, TEXT_LIMITS.output - cutMarker(HUGE.length).length)}${cutMarker(HUGE.length - TEXT_LIMITS.output + cutMarker(HUGE.length).length)}`,
  );
  expect(huge.base_output).not.toMatch(/\p{Cs}/u);

  const artifact = makeTempDir("artifact");
  copyFileSync(run.outputs.report as string, join(artifact, "report.json"));
  github.setPull("acme", "widgets", pr, { headSha, headRef: "feature" });
  const posted = await runAction({
    workspace: artifact,
    eventName: "workflow_run",
    event: {
      workflow_run: {
        head_sha: headSha,
        head_branch: "feature",
        head_repository: { full_name: "acme/widgets" },
        pull_requests: [{ number: pr }],
      },
    },
    env: { GITHUB_API_URL: github.url },
    inputs: { "post-report": "report.json" },
  });
  expect(posted.stdout).not.toMatch(/::(error|warning)::/);
  expect(posted.code).toBe(0);
  expect(posted.outputs.verdict).toBe("review");
  const comments = github.comments("acme", "widgets", pr);
  expect(comments).toHaveLength(1);
  expect(comments[0]?.body.length).toBeLessThan(60_000);
}, 120_000);
