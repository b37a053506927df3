// Issue 12 end to end: a judge that is rate-limited without end, or that never answers, stops the
// run with verdict `error` (exit 2) naming the judge, in bounded time and a bounded number of
// requests, while the target it grades answers normally.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo } from "../support/git-repo.js";
import { type OpenAIFaults, type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";
import { runCli } from "./harness.js";

const CASES = 20;
const CONCURRENCY = 4;
const TIMEOUT_MS = 1000;

let openai: OpenAIServer;
beforeAll(async () => {
  openai = await startOpenAIServer({
    respond: (req) => (req.model === "judge-model" ? '{"pass": true, "reason": "fine"}' : "Done."),
  });
});
beforeEach(() => openai.reset());
afterAll(async () => {
  await openai.close();
  cleanupAll();
});

function judgedRepo() {
  const cases = Array.from({ length: CASES }, (_, i) =>
    JSON.stringify({ id: `c${i}`, slice: "refund", input: `Refund order ${i}`, expected: "Done" }),
  );
  return makeRepo({
    "eval-gate.yml": [
      "version: 1",
      "target: { model: support-model, params: { temperature: 0 } }",
      "sets: { anchor: evals/anchor.jsonl }",
      `concurrency: ${CONCURRENCY}`,
      "graders:",
      "  - { type: judge, rubric: Pass when the reply says the request was handled. }",
      "judge: { model: judge-model }",
      `requests: { timeout_ms: ${TIMEOUT_MS}, attempts: 3 }`,
      "gate: { min_slice_n: 10 }",
      "",
    ].join("\n"),
    "evals/anchor.jsonl": `${cases.join("\n")}\n`,
  });
}

/** Runs the CLI on 20 judged cases with the judge (only) faulted; what the server saw, and how long it took. */
async function runWithJudge(faults: OpenAIFaults) {
  const repo = await judgedRepo();
  openai.setFaults({ ...faults, models: ["judge-model"] });
  const started = Date.now();
  const run = await runCli(["run", "--no-cache"], {
    cwd: repo.dir,
    env: { OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: "sk-test" },
  });
  const wallMs = Date.now() - started;
  const bodies = openai.requests().map((r) => (r.body as { model?: string } | undefined)?.model);
  const judgeRequests = bodies.filter((m) => m === "judge-model").length;
  const report = JSON.parse(readFileSync(join(repo.dir, ".eval-gate/report.json"), "utf8"));
  return { run, wallMs, judgeRequests, report };
}

describe("a judge that fails for good stops the run", () => {
  it("a judge that always answers 429: bounded requests, exit 2, the judge named", async ({ annotate }) => {
    const { run, wallMs, judgeRequests, report } = await runWithJudge({
      rate429: 1,
      retryAfter: { ms: 200 },
    });
    await annotate(`429 judge: ${judgeRequests} judge requests, ${wallMs} ms`);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain("the judge (judge-model) is rate-limited without end");
    expect(report.verdict).toBe("error");
    expect(report.reasons.join("\n")).toMatch(
      /The run was stopped: the judge \(judge-model\) is rate-limited without end: \d+ attempts in a row answered 429/,
    );
    // The streak rule: max(12, 3 × concurrency) 429s in a row, plus what was in flight meanwhile.
    expect(judgeRequests).toBeGreaterThanOrEqual(12);
    expect(judgeRequests).toBeLessThanOrEqual(12 + CONCURRENCY);
    // A failed judgement is never a pass.
    expect(report.cases.every((c: { head: { passes: number } }) => c.head.passes === 0)).toBe(true);
    expect(wallMs).toBeLessThan(5000);
  }, 90_000);

  it("a judge that never answers: a few timeouts for the whole run, exit 2, the judge named", async ({
    annotate,
  }) => {
    const { run, wallMs, judgeRequests, report } = await runWithJudge({ hang: true });
    await annotate(`hanging judge: ${judgeRequests} judge requests, ${wallMs} ms`);
    expect(run.code).toBe(2);
    expect(run.stdout).toContain("the judge (judge-model) looks down");
    expect(report.verdict).toBe("error");
    expect(report.reasons.join("\n")).toMatch(
      /The run was stopped: the judge \(judge-model\) looks down: 8 attempts in a row failed \(last: request timed out\)/,
    );
    // The breaker trips after max(8, concurrency) timeouts with no answer (two rounds of 4 here),
    // plus at most `concurrency` requests already in flight when it does.
    expect(judgeRequests).toBeLessThanOrEqual(8 + CONCURRENCY);
    expect(report.cases.every((c: { head: { passes: number } }) => c.head.passes === 0)).toBe(true);
    expect(wallMs).toBeLessThan(3 * TIMEOUT_MS + 3000);
  }, 90_000);
});
