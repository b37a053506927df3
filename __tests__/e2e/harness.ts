// Runs the bundled action and CLI as processes, the way the Actions runner and a developer do.
import { type ChildProcess, execFile, spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cleanGitEnv, makeTempDir } from "../support/git-repo.js";

const ROOT = resolve(import.meta.dirname, "../..");
export const ACTION = join(ROOT, "dist/index.js");
export const CLI = join(ROOT, "dist/cli.js");
export const POST = join(ROOT, "dist/post.js");

export interface ProcessResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function runProcess(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): Promise<ProcessResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      args,
      { cwd: options.cwd, env: options.env, timeout: 60_000 },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
        done({ code, stdout, stderr });
      },
    );
  });
}

export interface ActionRun extends ProcessResult {
  /** The run's RUNNER_TEMP: the report and, by default, the response cache live here. */
  runnerTemp: string;
  outputs: Record<string, string>;
  summary: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read the report's JSON loosely.
  report: Record<string, any> | null;
}

export interface ActionOptions {
  workspace: string;
  eventName: string;
  event: unknown;
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  /**
   * A RUNNER_TEMP to reuse: a later run then finds the response cache an earlier one left, as the
   * Actions cache would restore it (there is no cache service here). Default: a fresh one.
   */
  runnerTemp?: string;
  /** The runner's folder (GITHUB_OUTPUT, the summary, RUNNER_TEMP), when the test must know it first. */
  runnerDir?: string;
}

/** Runs dist/index.js with INPUT_* variables and the runner's files, and reads what it wrote. */
export async function runAction(options: ActionOptions): Promise<ActionRun> {
  return startAction(options).done;
}

/** A running action: signal `child` as the runner does on cancel; `done` reads what it wrote. */
export interface StartedAction {
  child: ChildProcess;
  done: Promise<ActionRun & { state: Record<string, string> }>;
  /** The environment it ran with: the post step gets the same, plus STATE_* from `state`. */
  env: NodeJS.ProcessEnv;
}

export function startAction(options: ActionOptions): StartedAction {
  const runner = options.runnerDir ?? makeTempDir("runner");
  const eventPath = join(runner, "event.json");
  writeFileSync(eventPath, JSON.stringify(options.event));
  const files = {
    output: join(runner, "output.txt"),
    summary: join(runner, "summary.md"),
    state: join(runner, "state.txt"),
  };
  for (const f of Object.values(files)) writeFileSync(f, "");
  const runnerTemp = options.runnerTemp ?? join(runner, "temp");
  mkdirSync(runnerTemp, { recursive: true });
  const inputs: Record<string, string> = { "github-token": "ghs_test", ...options.inputs };
  const env = cleanGitEnv({
    GITHUB_ACTIONS: "true",
    GITHUB_EVENT_NAME: options.eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: files.output,
    GITHUB_STATE: files.state,
    GITHUB_STEP_SUMMARY: files.summary,
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_REPOSITORY: "acme/widgets",
    GITHUB_SERVER_URL: "https://github.example",
    GITHUB_RUN_ID: "42",
    RUNNER_TEMP: runnerTemp,
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
    ...options.env,
  });
  for (const k of [
    "ACTIONS_CACHE_URL",
    "ACTIONS_RESULTS_URL",
    "ACTIONS_RUNTIME_TOKEN",
    "OPENAI_API_KEY",
    "OPENAI_BASE_URL",
  ]) {
    if (!(options.env && k in options.env)) delete env[k];
  }
  const { child, done } = startProcess([ACTION], { cwd: options.workspace, env });
  const reportPath = join(runnerTemp, "eval-gate-report.json");
  return {
    child,
    env,
    done: done.then((result) => ({
      ...result,
      runnerTemp,
      outputs: parseOutputs(readFileSync(files.output, "utf8")),
      summary: readFileSync(files.summary, "utf8"),
      report: existsSync(reportPath) ? JSON.parse(readFileSync(reportPath, "utf8")) : null,
      // The runner reads GITHUB_STATE after the main step and hands each value to the post step.
      state: parseOutputs(readFileSync(files.state, "utf8")),
    })),
  };
}

/** Runs dist/post.js as the runner runs an action's `post:` step: the main step's env plus STATE_*. */
export function runPostStep(main: { env: NodeJS.ProcessEnv; state: Record<string, string> }) {
  const env = { ...main.env };
  for (const [k, v] of Object.entries(main.state)) env[`STATE_${k}`] = v;
  return runProcess([POST], { cwd: main.env.GITHUB_WORKSPACE ?? process.cwd(), env });
}

/** Spawns node with `args`; unlike runProcess, the caller holds the child to signal it. */
export function startProcess(
  args: string[],
  options: { cwd: string; env: NodeJS.ProcessEnv },
): { child: ChildProcess; done: Promise<ProcessResult> } {
  const child = spawn(process.execPath, args, { cwd: options.cwd, env: options.env });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (c: Buffer) => {
    stdout += c.toString("utf8");
  });
  child.stderr.on("data", (c: Buffer) => {
    stderr += c.toString("utf8");
  });
  // A run that hangs fails its test instead of the suite's timeout.
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const done = new Promise<ProcessResult>((resolve) => {
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
  return { child, done };
}

/** Reads the `name<<DELIMITER ... DELIMITER` blocks @actions/core writes to GITHUB_OUTPUT. */
export function parseOutputs(text: string): Record<string, string> {
  const outputs: Record<string, string> = {};
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i] as string);
    if (!m) continue;
    const [, name, delimiter] = m;
    const value: string[] = [];
    for (i++; i < lines.length && lines[i] !== delimiter; i++) value.push(lines[i] as string);
    outputs[name as string] = value.join("\n");
  }
  return outputs;
}

export function runCli(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<ProcessResult> {
  const env = cleanGitEnv({ NO_COLOR: "1", ...options.env });
  return runProcess([CLI, ...args], { cwd: options.cwd, env });
}

/** The CLI as a child process the test can interrupt, as a person presses Ctrl-C. */
export function startCli(args: string[], options: { cwd: string; env?: Record<string, string> }) {
  return startProcess([CLI, ...args], {
    cwd: options.cwd,
    env: cleanGitEnv({ NO_COLOR: "1", ...options.env }),
  });
}
