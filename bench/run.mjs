// The performance benchmark: runs the bundled action (dist/index.js) as the Actions runner does,
// against the test suite's OpenAI-compatible server on 127.0.0.1, and prints each figure beside
// its limit. `npm run bench` (builds first); `node bench/run.mjs --quick` for a smaller run.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const work = mkdtempSync(join(tmpdir(), "eval-gate-bench-"));
const quick = process.argv.includes("--quick");

// The server is TypeScript shared with the tests; bundle it once for plain node.
const serverFile = join(work, "openai-server.mjs");
await build({
  entryPoints: [join(root, "__tests__/support/openai-server.ts")],
  bundle: true,
  platform: "node",
  format: "esm",
  outfile: serverFile,
  logLevel: "warning",
});
const { startOpenAIServer } = await import(pathToFileURL(serverFile).href);

const results = [];
function report(name, value, unit, limit, ok, note = "") {
  results.push({ name, value, unit, limit, ok, note });
  const mark = ok === null ? " " : ok ? "✓" : "✗";
  console.log(
    `${mark} ${name.padEnd(44)} ${String(value).padStart(10)} ${unit.padEnd(6)} limit ${limit}${note ? `  (${note})` : ""}`,
  );
}

function git(dir, ...args) {
  return execFileSync("git", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/** A repo with N cases over 5 slices; `prompt` is the system prompt of the commit. */
function makeRepo(name, n, options = {}) {
  const dir = join(work, name);
  mkdirSync(join(dir, "evals"), { recursive: true });
  mkdirSync(join(dir, "prompts"), { recursive: true });
  const lines = [];
  for (let i = 0; i < n; i++) {
    lines.push(
      JSON.stringify({
        id: `case-${i}`,
        slice: `slice-${i % 5}`,
        input: `question ${i}`,
        expected: `question ${i}`,
      }),
    );
  }
  writeFileSync(join(dir, "evals/anchor.jsonl"), `${lines.join("\n")}\n`);
  writeFileSync(join(dir, "prompts/system.md"), options.prompt ?? "You answer by repeating the question.\n");
  writeFileSync(
    join(dir, "eval-gate.yml"),
    [
      "version: 1",
      "target: { model: bench-model, system: prompts/system.md, params: { temperature: 0 } }",
      "sets: { anchor: evals/anchor.jsonl }",
      `concurrency: ${options.concurrency ?? 32}`,
      "graders: [{ type: contains, value: '{{expected}}' }]",
      "gate: { max_error_rate: 0 }",
      "",
    ].join("\n"),
  );
  git(dir, "init", "-q", "-b", "main");
  git(dir, "config", "user.email", "bench@example.invalid");
  git(dir, "config", "user.name", "bench");
  git(dir, "config", "commit.gpgsign", "false");
  git(dir, "add", "-A");
  git(dir, "commit", "-qm", "main");
  return dir;
}

/** Runs dist/index.js as the runner does; returns wall time, peak RSS (VmHWM), outputs, report. */
function runAction(dir, serverUrl, event) {
  const runner = mkdtempSync(join(work, "runner-"));
  const files = {
    event: join(runner, "event.json"),
    output: join(runner, "out"),
    summary: join(runner, "summary"),
  };
  writeFileSync(files.event, JSON.stringify(event.payload));
  writeFileSync(files.output, "");
  writeFileSync(files.summary, "");
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GITHUB_ACTIONS: "true",
    GITHUB_EVENT_NAME: event.name,
    GITHUB_EVENT_PATH: files.event,
    GITHUB_OUTPUT: files.output,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_WORKSPACE: dir,
    GITHUB_REPOSITORY: "bench/bench",
    GITHUB_SHA: git(dir, "rev-parse", "HEAD"),
    RUNNER_TEMP: runner,
    OPENAI_BASE_URL: serverUrl,
    OPENAI_API_KEY: "sk-bench",
    INPUT_COMMENT: "false",
    "INPUT_GITHUB-TOKEN": "unused",
  };
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(process.execPath, [join(root, "dist/index.js")], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let peak = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (m) peak = Math.max(peak, Number(m[1]));
      } catch {}
    }, 20);
    let stderr = "";
    child.stdout.resume();
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", fail);
    child.on("exit", (code) => {
      clearInterval(poll);
      const wall = performance.now() - started;
      const report = JSON.parse(readFileSync(join(runner, "eval-gate-report.json"), "utf8"));
      done({ code, wall, peakMB: peak / 1024, report, stderr });
    });
  });
}

const pushEvent = { name: "push", payload: { ref: "refs/heads/main" } };
const prEvent = (baseSha) => ({
  name: "pull_request",
  payload: {
    number: 1,
    pull_request: { number: 1, base: { sha: baseSha, ref: "main" }, head: { sha: "x" }, labels: [] },
  },
});

try {
  const N = quick ? 300 : 1000;
  const L = 50;
  const C = 32;
  const server = await startOpenAIServer({ faults: { latencyMs: L } });
  console.log(`eval-gate benchmark on ${process.platform}/${process.arch}, node ${process.version}\n`);

  // 1. Cold run: N cases, no cache, 50 ms per request, 32 in flight.
  const repo = makeRepo("cold", N, { concurrency: C });
  const limit = (N * L) / C;
  const cold = await runAction(repo, server.url, pushEvent);
  const ratio = cold.wall / limit;
  report(
    `cold run, ${N} cases (push, head only)`,
    Math.round(cold.wall),
    "ms",
    `≤ 1.3 × N·L/C = ${Math.round(1.3 * limit)} ms`,
    ratio <= 1.3,
    `${ratio.toFixed(2)}× the limit ${Math.round(limit)} ms`,
  );
  if (cold.report.usage.requests !== N)
    throw new Error(`cold run made ${cold.report.usage.requests} requests`);

  // 2. The same run again: everything from the on-disk cache.
  server.reset();
  const warm = await runAction(repo, server.url, pushEvent);
  report(
    `cached rerun, ${N} cases`,
    Math.round(warm.wall),
    "ms",
    "< 1000 ms",
    warm.wall < 1000,
    `${server.stats().total} requests`,
  );

  // 3. A PR after that push: the base side is main's prompt (cached); only the head side is asked.
  const mainSha = git(repo, "rev-parse", "HEAD");
  git(repo, "checkout", "-q", "-b", "pr");
  writeFileSync(join(repo, "prompts/system.md"), "You answer by repeating the question, politely.\n");
  git(repo, "commit", "-qam", "pr");
  server.reset();
  const pr = await runAction(repo, server.url, prEvent(mainSha));
  const paid = server.stats().total;
  report(
    "PR after a push: requests made",
    paid,
    "req",
    `= ${N} (one side)`,
    paid === N,
    `${pr.report.usage.cached} from cache`,
  );

  // 4. A rate-limited server: R requests/s, 429 beyond; adaptive concurrency should hold ~R.
  const R = 200;
  const limited = await startOpenAIServer({ faults: { latencyMs: L, requestsPerSecond: R } });
  const rl = makeRepo("ratelimit", quick ? 400 : 1000, { concurrency: 64 });
  const rlRun = await runAction(rl, limited.url, pushEvent);
  const rate = (rlRun.report.usage.requests / rlRun.wall) * 1000;
  const s429 = limited.stats().byStatus[429] ?? 0;
  report(
    `throughput under a ${R} req/s limit`,
    Math.round(rate),
    "req/s",
    `≥ 0.9·R = ${0.9 * R}`,
    rate >= 0.9 * R && rlRun.report.errors.runs === 0,
    `${rlRun.report.errors.runs} errors, ${s429} 429s`,
  );
  await limited.close();

  // 5. 10,000 cases: peak memory of the whole process.
  const big = makeRepo("big", quick ? 3000 : 10000, { concurrency: 64 });
  const fast = await startOpenAIServer({ faults: { latencyMs: 2 } });
  const bigRun = await runAction(big, fast.url, pushEvent);
  report(
    `peak RSS, ${quick ? 3000 : 10000} cases`,
    Math.round(bigRun.peakMB),
    "MB",
    "< 150 MB",
    bigRun.peakMB < 150,
    `${Math.round(bigRun.wall)} ms wall`,
  );
  await fast.close();

  // 6. Cold start: the bundle loading and failing fast on a workspace with no config.
  const empty = join(work, "empty");
  mkdirSync(empty);
  git(empty, "init", "-q");
  const starts = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    spawnSync(process.execPath, [join(root, "dist/index.js")], {
      cwd: empty,
      stdio: "ignore",
      env: { PATH: process.env.PATH, GITHUB_WORKSPACE: empty },
    });
    starts.push(performance.now() - t);
  }
  starts.sort((a, b) => a - b);
  const median = starts[3];
  report("dist/index.js cold start (median of 7)", Math.round(median), "ms", "< 300 ms", median < 300);
  await server.close();

  writeFileSync(
    join(root, "bench/results.json"),
    `${JSON.stringify({ node: process.version, quick, results }, null, 2)}\n`,
  );
  const failed = results.filter((r) => r.ok === false);
  console.log(failed.length === 0 ? "\nall targets met" : `\n${failed.length} target(s) missed`);
  process.exitCode = failed.length === 0 ? 0 : 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
