// Cancellation as the Actions runner does it (SIGINT to the step's node process, then the action's
// `post:` step with the main step's GITHUB_STATE) and as a person does it (Ctrl-C on the CLI).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { cleanupAll, makeRepo, makeTempDir } from "../support/git-repo.js";
import { messageText, type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";
import { runAction, runCli, runPostStep, startAction, startCli } from "./harness.js";

const LATENCY_MS = 400;
const CASES = 40;
const CONCURRENCY = 4;

let openai: OpenAIServer;
beforeAll(async () => {
  openai = await startOpenAIServer({
    respond: (req) => `answer to ${messageText(req.messages.at(-1)?.content)}`,
  });
});
beforeEach(() => openai.reset());
afterAll(async () => {
  await openai.close();
  cleanupAll();
});

const env = () => ({ OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: "sk-test" });

function project(): Record<string, string> {
  const cases = Array.from({ length: CASES }, (_, i) =>
    JSON.stringify({ id: `q${i}`, slice: `s${i % 2}`, input: `question ${i}`, expected: `question ${i}` }),
  );
  return {
    "eval-gate.yml": [
      "version: 1",
      "target: { model: slow-model, params: { temperature: 0 } }",
      "sets: { anchor: evals/anchor.jsonl }",
      `concurrency: ${CONCURRENCY}`,
      'graders: [{ type: contains, value: "{{expected}}" }]',
      "requests: { timeout_ms: 20000, attempts: 1 }",
      "",
    ].join("\n"),
    "evals/anchor.jsonl": `${cases.join("\n")}\n`,
  };
}

/** The case inputs the server was asked for, with when each arrived and whether it was answered. */
function asked() {
  return openai
    .requests()
    .filter((r) => r.path === "/v1/chat/completions")
    .map((r) => {
      const messages = (r.body as { messages: { content: unknown }[] }).messages;
      return { input: messageText(messages.at(-1)?.content), at: r.at, answered: r.outcome === 200 };
    });
}

/** The answers in a cache folder, read the way a person would check: every JSON line's content. */
function cachedAnswers(dir: string): Set<string> {
  const answers = new Set<string>();
  for (const file of existsSync(dir) ? readdirSync(dir) : []) {
    for (const line of readFileSync(join(dir, file), "utf8").split("\n")) {
      try {
        // A line is a digest, a space, then the JSON of key and answer.
        answers.add(JSON.parse(line.slice(line.indexOf(" ") + 1)).r.content);
      } catch {}
    }
  }
  return answers;
}

async function until(check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error("timed out waiting");
    await new Promise((r) => setTimeout(r, 10));
  }
}

/**
 * Waits until three rounds of requests have arrived (so two rounds are answered), then until the
 * middle of the last round's latency, when every worker waits on an answer: a request that still
 * reached the server after the signal could only have been sent because of it, not by a race.
 * Returns what the server had answered by then.
 */
async function midRound(): Promise<string[]> {
  await until(() => asked().length >= 3 * CONCURRENCY);
  const last = asked().at(-1)?.at ?? Date.now();
  await new Promise((r) => setTimeout(r, Math.max(0, last + LATENCY_MS / 2 - Date.now())));
  return asked()
    .filter((r) => r.answered)
    .map((r) => r.input);
}

describe("a cancelled action run", () => {
  it("stops asking at SIGINT, keeps every answer received, and its post step saves them", async () => {
    openai.setFaults({ latencyMs: LATENCY_MS });
    const repo = await makeRepo(project());
    const cacheDir = join(makeTempDir("cache"), "responses");
    const inputs = { "cache-dir": cacheDir, comment: "false" };
    const main = startAction({ workspace: repo.dir, eventName: "push", event: {}, inputs, env: env() });

    const answered = await midRound();
    const signalledAt = Date.now();
    main.child.kill("SIGINT");
    const run = await main.done;
    const exitMs = Date.now() - signalledAt;

    expect(exitMs).toBeLessThan(3000);
    expect(asked().filter((r) => r.at >= signalledAt)).toEqual([]);
    expect(answered.length).toBeGreaterThanOrEqual(2 * CONCURRENCY);
    // Every answer received is on disk, and only those: the requests in flight were cancelled.
    expect(cachedAnswers(cacheDir)).toEqual(new Set(answered.map((input) => `answer to ${input}`)));
    // No verdict from a part of the cases: `error`, saying why, and no report or comment.
    expect(run.outputs.verdict).toBe("error");
    expect(run.stdout).toMatch(/cancelled \(SIGINT\)/);
    expect(run.stdout).toContain(`${answered.length} new answer(s)`);
    expect(run.report).toBeNull();
    expect(run.state).toMatchObject({ "cache-dir": cacheDir, "cache-scope": "default", cancelled: "SIGINT" });
    expect(run.state["cache-saved"]).toBeUndefined();

    // No Actions cache service here: the post step says what it would save, and succeeds.
    const post = await runPostStep({ env: main.env, state: run.state });
    expect(post.code).toBe(0);
    expect(post.stdout).toContain(
      `cancelled by SIGINT): would save ${cacheDir} as eval-gate-v2:default:42-1 (${answered.length} new answer(s)`,
    );

    // A rerun with that cache asks only for what the cancelled run did not get.
    openai.setFaults({});
    openai.clearRequests();
    const rerun = await runAction({ workspace: repo.dir, eventName: "push", event: {}, inputs, env: env() });
    expect(rerun.outputs.verdict).toBe("pass");
    const again = asked().map((r) => r.input);
    expect(again.filter((input) => answered.includes(input))).toEqual([]);
    expect(again).toHaveLength(CASES - answered.length);
    expect(rerun.report?.usage.cached).toBe(answered.length);
  });

  it("leaves the post step nothing to do after a run that finished or used no cache", async () => {
    const repo = await makeRepo(project());
    const variants: Record<string, string>[] = [{ comment: "false" }, { comment: "false", cache: "false" }];
    for (const inputs of variants) {
      const main = startAction({ workspace: repo.dir, eventName: "push", event: {}, inputs, env: env() });
      const run = await main.done;
      expect(run.outputs.verdict).toBe("pass");
      expect(run.state["cache-saved"]).toBe(inputs.cache === "false" ? undefined : "true");
      const post = await runPostStep({ env: main.env, state: run.state });
      expect(post.code).toBe(0);
      const why = inputs.cache === "false" ? "kept no response cache" : "saved the cache";
      expect(post.stdout.trim()).toBe(`::debug::Nothing to save: the main step ${why}.`);
      expect(post.stderr).toBe("");
    }
  });
});

describe("Ctrl-C on eval-gate run", () => {
  it("keeps the answers received in the on-disk cache and exits 130", async () => {
    openai.setFaults({ latencyMs: LATENCY_MS });
    const repo = await makeRepo(project());
    const cli = startCli(["run"], { cwd: repo.dir, env: env() });

    const answered = await midRound();
    const signalledAt = Date.now();
    cli.child.kill("SIGINT");
    const run = await cli.done;

    expect(run.code).toBe(130);
    expect(Date.now() - signalledAt).toBeLessThan(3000);
    expect(asked().filter((r) => r.at >= signalledAt)).toEqual([]);
    expect(run.stderr).toContain(`cancelled: ${answered.length} new answer(s) kept in .eval-gate/cache`);
    expect(existsSync(join(repo.dir, ".eval-gate/report.json"))).toBe(false);
    expect(cachedAnswers(join(repo.dir, ".eval-gate/cache"))).toEqual(
      new Set(answered.map((input) => `answer to ${input}`)),
    );

    openai.setFaults({});
    openai.clearRequests();
    const rerun = await runCli(["run"], { cwd: repo.dir, env: env() });
    expect(rerun.code).toBe(0);
    expect(asked()).toHaveLength(CASES - answered.length);

    const help = await runCli(["run", "--help"], { cwd: repo.dir });
    expect(help.stdout).toMatch(/130 interrupted/);
  });
});
