// Issue 12 item 8 end to end: a pattern with catastrophic backtracking no longer stalls the job.
// The bundled CLI grades model outputs that make two patterns backtrack for hours (2^40 steps);
// the run must finish within seconds, each such case an error naming the timeout, the rest graded.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cleanupAll, makeRepo } from "../support/git-repo.js";
import { echoLastUser, type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";
import { runCli } from "./harness.js";

let openai: OpenAIServer;
beforeAll(async () => {
  openai = await startOpenAIServer({ respond: echoLastUser });
});
afterAll(async () => {
  await openai.close();
  cleanupAll();
});

const EVIL = `${"a".repeat(40)}b`;
/** A backreference: V8's linear engine cannot run it, so it runs in the worker with its time limit. */
const BACKREF = "^(a+)+\\\\1$";

function caseLine(id: string, input: string, graders?: unknown[]): string {
  return JSON.stringify({ id, slice: id.split("-")[0], input, ...(graders ? { graders } : {}) });
}

it("finishes in bounded time: timed-out cases are errors with the reason, the others are graded", async () => {
  const schemaGrader = {
    type: "json_schema",
    schema: { type: "object", properties: { id: { type: "string", pattern: "^(a+)+\\1$" } } },
  };
  const cases = [
    caseLine("regex-evil", EVIL),
    caseLine("regex-pass", "aaaa"),
    caseLine("regex-fail", "abc"),
    // Linear-capable: V8 finishes it with its linear engine, so it is graded, not stopped.
    caseLine("linear-evil", EVIL, [{ type: "regex", pattern: "^(a+)+$" }]),
    caseLine("schema-evil", JSON.stringify({ id: EVIL }), [schemaGrader]),
    caseLine("schema-pass", JSON.stringify({ id: "aa" }), [schemaGrader]),
  ];
  const repo = await makeRepo({
    "eval-gate.yml": [
      "version: 1",
      "target: { model: echo }",
      "sets: { anchor: evals/anchor.jsonl }",
      "graders:",
      `  - { type: regex, pattern: "${BACKREF}" }`,
      "",
    ].join("\n"),
    "evals/anchor.jsonl": `${cases.join("\n")}\n`,
  });
  const started = performance.now();
  const run = await runCli(["run", "--fail-on", "never"], {
    cwd: repo.dir,
    env: { OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: "sk-test" },
  });
  const seconds = (performance.now() - started) / 1000;
  expect(seconds).toBeLessThan(20);
  const report = JSON.parse(readFileSync(join(repo.dir, ".eval-gate/report.json"), "utf8"));
  const head = (id: string) => report.cases.find((c: { id: string }) => c.id === id)?.head;
  expect(head("regex-evil")).toMatchObject({ runs: 0, passes: 0, errors: 1 });
  expect(head("schema-evil")).toMatchObject({ runs: 0, passes: 0, errors: 1 });
  expect(head("regex-pass")).toMatchObject({ runs: 1, passes: 1, errors: 0 });
  expect(head("schema-pass")).toMatchObject({ runs: 1, passes: 1, errors: 0 });
  expect(head("regex-fail")).toMatchObject({ runs: 1, passes: 0, errors: 0 });
  expect(head("linear-evil")).toMatchObject({ runs: 1, passes: 0, errors: 0 });
  expect(report.cases.find((c: { id: string }) => c.id === "linear-evil").head_reason).toBe(
    "Expected output to match /^(a+)+$/",
  );
  // A run's error is reported with its cause, not per case.
  const tail = "timed out after 1000 ms on the output of case";
  expect(report.errors).toMatchObject({ head: 2, runs: 2 });
  expect([...report.errors.causes].sort()).toEqual([
    expect.stringMatching(
      new RegExp(
        `^1× grader: json_schema\\.schema: the pattern /\\^\\(a\\+\\)\\+\\\\1\\$/u ${tail} "schema-evil"`,
      ),
    ),
    expect.stringMatching(
      new RegExp(`^1× grader: regex\\.pattern: /\\^\\(a\\+\\)\\+\\\\1\\$/ ${tail} "regex-evil"`),
    ),
  ]);
  expect(run.stdout).toContain("errors: 2 runs");
  expect(run.code).toBe(2); // two errored runs of six are above the default max_error_rate
  // Longer than runProcess's 60 s kill, so a regression fails here instead of leaving the CLI running.
}, 90_000);
