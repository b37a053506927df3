// Issue 12 end to end: a script grader of the PR tries to reach the action's secrets, its output
// files and the log's workflow commands, through the bundled action as the runner starts it.
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { cleanupAll, makePullRequestRepo, makeTempDir, pullRequestEvent } from "../support/git-repo.js";
import { type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";
import { runAction } from "./harness.js";
import { ALL_SKILLS, casesJsonl, configYaml, supportModel } from "./scenario.js";

const SECRET = "e2e-secret-7d2b91c4";
const TOKEN = "ghs_e2eTokenNotForScripts81";
let openai: OpenAIServer;
let listener: Server;
let port: number;
let connections = 0;

beforeAll(async () => {
  openai = await startOpenAIServer({ respond: supportModel });
  listener = createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((ok) => listener.listen(0, "127.0.0.1", ok));
  port = (listener.address() as { port: number }).port;
});
afterAll(async () => {
  await openai.close();
  await new Promise((ok) => listener.close(ok));
  cleanupAll();
});

/** Tries everything, then throws what each attempt got: a leak would land in the report. */
function attackScript(output: string, env: string): string {
  return `import fs from "node:fs";
const results = [];
async function attempt(name, fn) {
  try { results.push(name + ": GOT " + String(await fn()).slice(0, 300)); }
  catch (e) { results.push(name + ": " + (e.code ?? e.cause?.code ?? e.name)); }
}
export async function grade() {
  results.length = 0;
  await attempt("environ", () => fs.readFileSync("/proc/self/environ", "utf8"));
  await attempt("parent-environ", () => fs.readFileSync("/proc/" + process.ppid + "/environ", "utf8"));
  await attempt("env", () => {
    const extra = Object.keys(process.env).filter((k) => !/^(TMPDIR|TMP|TEMP)$/.test(k));
    if (extra.length > 0) return JSON.stringify(process.env);
    throw Object.assign(new Error("none"), { code: "EMPTY" });
  });
  await attempt("read-output", () => fs.readFileSync(${JSON.stringify(output)}, "utf8"));
  await attempt("write-output", () => fs.appendFileSync(${JSON.stringify(output)}, "verdict=pass\\n"));
  await attempt("write-env", () => fs.appendFileSync(${JSON.stringify(env)}, "NODE_OPTIONS=--require=/tmp/x.js\\n"));
  await attempt("write-repo", () => fs.writeFileSync(new URL("../pwned.txt", import.meta.url), "x"));
  await attempt("git-config", () => fs.readFileSync(new URL("../.git/config", import.meta.url), "utf8"));
  await attempt("spawn", async () => (await import("node:child_process")).execSync("env").toString());
  await attempt("worker", async () => { const { Worker } = await import("node:worker_threads"); new Worker("1", { eval: true }); return "started"; });
  await attempt("fetch", async () => (await fetch("http://127.0.0.1:${port}/")).status);
  for (const line of ["::set-output name=verdict::pass", "::add-mask::Done", "::stop-commands::stopped-by-script", "::error::forged by a script"]) console.log(line);
  throw new Error(results.join("; "));
}
`;
}

it("a script grader reaches no secret, file of the runner or workflow command", async () => {
  const runnerDir = makeTempDir("runner");
  const output = join(runnerDir, "output.txt");
  const envFile = join(runnerDir, "env.txt");
  writeFileSync(envFile, "");
  const config = configYaml().replace(
    '  - { type: contains, value: "{{expected}}" }',
    "  - { type: script, path: graders/attack.mjs }",
  );
  const { repo, baseSha, headSha } = await makePullRequestRepo({
    base: {
      "eval-gate.yml": config,
      "prompts/support.md": ALL_SKILLS,
      "evals/anchor.jsonl": casesJsonl("a", 2),
      "evals/rotation.jsonl": casesJsonl("r", 1),
      "graders/attack.mjs": attackScript(output, envFile),
    },
    head: { "prompts/support.md": `${ALL_SKILLS}\n` },
  });
  // actions/checkout leaves the workflow's token in .git/config.
  repo.git("config", "http.https://github.com/.extraheader", `AUTHORIZATION: basic ${TOKEN}`);
  const event = pullRequestEvent({ baseSha, headSha, number: 7, owner: "acme", repo: "widgets" });
  const run = await runAction({
    workspace: repo.dir,
    eventName: "pull_request",
    event,
    inputs: { comment: "false" },
    env: {
      OPENAI_BASE_URL: openai.url,
      OPENAI_API_KEY: "sk-e2e-api-key-31",
      EVAL_GATE_E2E_SECRET: SECRET,
      GITHUB_TOKEN: TOKEN,
      GITHUB_ENV: envFile,
    },
    runnerDir,
  });

  // Every run is an error, whose cause says what each attempt got.
  expect(run.outputs.verdict).toBe("error");
  const cause = run.report?.errors.causes[0] as string;
  for (const name of ["environ", "parent-environ", "read-output", "write-output", "write-env", "write-repo"])
    expect(cause).toContain(`${name}: ERR_ACCESS_DENIED`);
  for (const name of ["spawn", "worker", "fetch"]) expect(cause).toContain(`${name}: ERR_ACCESS_DENIED`);
  // The action runs scripts in a checkout of the commit's tracked files: there is no .git to read.
  expect(cause).toMatch(/git-config: (ERR_ACCESS_DENIED|ENOENT)/);
  expect(cause).toContain("env: EMPTY");
  expect(cause).not.toContain("GOT");
  expect(connections).toBe(0);

  // Nothing was written where the runner reads outputs and environment, or into the repository.
  expect(readFileSync(envFile, "utf8")).toBe("");
  expect(readFileSync(output, "utf8")).not.toMatch(/^verdict=pass$/m);
  expect(existsSync(join(repo.dir, "pwned.txt"))).toBe(false);

  // The script's lines reached the log, but none as a workflow command.
  const log = `${run.stdout}\n${run.stderr}`;
  expect(log).toContain("[script graders/attack.mjs] ::set-output name=verdict::pass");
  for (const line of log.split(/\r\n|\r|\n/)) {
    const command = line.trimStart();
    expect(command.startsWith("::set-output") || command.startsWith("::stop-commands")).toBe(false);
    expect(command.startsWith("::add-mask::Done") || command.startsWith("::error::forged")).toBe(false);
  }

  // The secrets are nowhere: log, summary, outputs, report, the runner's files.
  const everything = [log, run.summary, JSON.stringify(run.report), readFileSync(output, "utf8")];
  for (const file of readdirSync(runnerDir, { recursive: true, withFileTypes: true })) {
    if (file.isFile()) everything.push(readFileSync(join(file.parentPath, file.name), "utf8"));
  }
  for (const text of everything) {
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(TOKEN);
  }
});
