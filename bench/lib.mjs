// What the benchmarks share: the cases, a repository that holds them, running a tool as a process
// with its wall time and peak memory, and printing a figure beside its limit.
import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = fileURLToPath(new URL("..", import.meta.url));
export const SYSTEM_PROMPT = "You answer by repeating the question.\n";
export const PR_PROMPT = "You answer by repeating the question, politely.\n";

/** The benchmark's cases: N over 5 slices; the server echoes the question, so every case passes. */
export function makeCases(n) {
  return Array.from({ length: n }, (_, i) => ({
    id: `case-${i}`,
    slice: `slice-${i % 5}`,
    input: `question ${i}`,
    expected: `question ${i}`,
  }));
}

/** Command-line flags: `--name value` pairs and bare `--flag`s. */
export function flags(argv = process.argv.slice(2)) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const name = argv[i].replace(/^--/, "");
    out[name] = argv[i + 1] && !argv[i + 1].startsWith("--") ? argv[++i] : true;
  }
  return out;
}

export function git(dir, ...args) {
  return execFileSync("git", args, { cwd: dir, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

/** A git repository with one eval-gate config over `cases`, committed on `main`. */
export function makeRepo(work, name, cases, options = {}) {
  const dir = join(work, name);
  mkdirSync(join(dir, "evals"), { recursive: true });
  mkdirSync(join(dir, "prompts"), { recursive: true });
  writeFileSync(join(dir, "evals/anchor.jsonl"), `${cases.map((c) => JSON.stringify(c)).join("\n")}\n`);
  writeFileSync(join(dir, "prompts/system.md"), SYSTEM_PROMPT);
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

/**
 * Runs a command to its end; returns its exit code, wall time, peak RSS (the process's VmHWM,
 * polled every 20 ms) and output. Start-up is inside the wall time, as a CI step pays for it.
 */
export function measure(command, args, { cwd, env }) {
  return new Promise((done, fail) => {
    const started = performance.now();
    const child = spawn(command, args, { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    let peak = 0;
    const poll = setInterval(() => {
      try {
        const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, "utf8"));
        if (m) peak = Math.max(peak, Number(m[1]));
      } catch {}
    }, 20);
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => {
      stdout += d;
    });
    child.stderr.on("data", (d) => {
      stderr += d;
    });
    child.on("error", fail);
    child.on("exit", (code) => {
      clearInterval(poll);
      done({ code, wall: performance.now() - started, peakMB: peak / 1024, stdout, stderr });
    });
  });
}

/**
 * The floor: the same N requests with C in flight from a bare Node client (bench/floor.mjs) as a
 * process, against `server` reset first; returns its wall time in ms.
 */
export async function runFloor(work, server, n, c) {
  await server.reset();
  const bare = await measure(process.execPath, [join(root, "bench/floor.mjs"), server.url, n, c], {
    cwd: work,
    env: { PATH: process.env.PATH },
  });
  if (bare.code !== 0) throw new Error(`bench/floor.mjs failed:\n${bare.stderr}`);
  return bare.wall;
}

/** Runs dist/index.js as the Actions runner does; adds the JSON report to measure()'s result. */
export async function runAction(work, dir, serverUrl, event) {
  const runner = mkdtempSync(join(work, "runner-"));
  const { env } = actionEnv(runner, dir, serverUrl, event);
  const run = await measure(process.execPath, [join(root, "dist/index.js")], { cwd: dir, env });
  let report;
  try {
    report = JSON.parse(readFileSync(join(runner, "eval-gate-report.json"), "utf8"));
  } catch {
    throw new Error(`eval-gate wrote no report (exit ${run.code}):\n${run.stdout}\n${run.stderr}`);
  }
  return { ...run, report };
}

/**
 * The runner's files in the folder `runner` (the event, outputs, summary, RUNNER_TEMP) and the
 * environment the Actions runner gives the action's step, for the repository checked out at `dir`.
 */
export function actionEnv(runner, dir, serverUrl, event) {
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
    // One response cache per repository, outside its checkout, kept between runs: what the
    // Actions cache gives a repository's runs on GitHub (each run's RUNNER_TEMP is new).
    "INPUT_CACHE-DIR": `${dir}-response-cache`,
  };
  return { env, files };
}

export const pushEvent = { name: "push", payload: { ref: "refs/heads/main" } };
export const prEvent = (baseSha) => ({
  name: "pull_request",
  payload: {
    number: 1,
    pull_request: { number: 1, base: { sha: baseSha, ref: "main" }, head: { sha: "x" }, labels: [] },
  },
});

/**
 * A commit on the branch `pr` that changes the system prompt, as a PR would; `revision` makes a
 * further commit on it with a prompt no run has seen.
 */
export function commitPrPrompt(dir, revision) {
  if (!revision) git(dir, "checkout", "-q", "-b", "pr");
  writeFileSync(join(dir, "prompts/system.md"), revision ? `${PR_PROMPT}\n${revision}\n` : PR_PROMPT);
  git(dir, "commit", "-qam", revision ? `pr: ${revision}` : "pr");
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** One line: a mark, the figure, its limit, and a note. */
export function line({ name, value, unit, limit, ok, note = "" }) {
  const mark = ok === null ? " " : ok ? "✓" : "✗";
  return `${mark} ${name.padEnd(46)} ${String(value).padStart(10)} ${unit.padEnd(6)} limit ${limit}${note ? `  (${note})` : ""}`;
}

/**
 * The commit the benchmarked code is at, `+` when the checkout differed from it, taken when the
 * benchmark started (a commit made while it runs is not what it measured); null outside git.
 */
const CODE = codeVersion();

function codeVersion() {
  try {
    const sha = execFileSync("git", ["rev-parse", "--short", "HEAD"], { cwd: root, encoding: "utf8" }).trim();
    const dirty = execFileSync("git", ["status", "--porcelain", "--untracked-files=no"], {
      cwd: root,
      encoding: "utf8",
    }).trim();
    return dirty ? `${sha}+` : sha;
  } catch {
    return null;
  }
}

/**
 * Writes a run's figures to bench/<kind>-results.json (the last run) and to bench/runs/, one file
 * a run with the date and the machine, which `node bench/table.mjs` turns into the README's
 * tables with ranges over the runs.
 */
export function saveRun(kind, figures) {
  const at = new Date();
  const machine = {
    platform: `${process.platform}/${process.arch}`,
    cpus: cpus().length,
    cpu: cpus()[0]?.model,
  };
  const text = `${JSON.stringify({ kind, at: at.toISOString(), machine, code: CODE, ...figures }, null, 2)}\n`;
  writeFileSync(join(root, kind === "run" ? "bench/results.json" : `bench/${kind}-results.json`), text);
  mkdirSync(join(root, "bench/runs"), { recursive: true });
  writeFileSync(join(root, "bench/runs", `${kind}-${at.toISOString().replace(/[:.]/g, "-")}.json`), text);
}
