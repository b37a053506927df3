// Runs the bundled action and CLI as processes, the way the Actions runner and a developer do.
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { cleanGitEnv, makeTempDir } from "../support/git-repo.js";

const ROOT = resolve(import.meta.dirname, "../..");
export const ACTION = join(ROOT, "dist/index.js");
export const CLI = join(ROOT, "dist/cli.js");

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
  outputs: Record<string, string>;
  summary: string;
  // biome-ignore lint/suspicious/noExplicitAny: tests read the report's JSON loosely.
  report: Record<string, any> | null;
}

/** Runs dist/index.js with INPUT_* variables and the runner's files, and reads what it wrote. */
export async function runAction(options: {
  workspace: string;
  eventName: string;
  event: unknown;
  inputs?: Record<string, string>;
  env?: Record<string, string>;
  /** The runner's folder (GITHUB_OUTPUT, the summary, RUNNER_TEMP), when the test must know it first. */
  runnerDir?: string;
}): Promise<ActionRun> {
  const runner = options.runnerDir ?? makeTempDir("runner");
  const eventPath = join(runner, "event.json");
  writeFileSync(eventPath, JSON.stringify(options.event));
  const outputPath = join(runner, "output.txt");
  const summaryPath = join(runner, "summary.md");
  writeFileSync(outputPath, "");
  writeFileSync(summaryPath, "");
  mkdirSync(join(runner, "temp"), { recursive: true });
  const inputs: Record<string, string> = { "github-token": "ghs_test", ...options.inputs };
  const env = cleanGitEnv({
    GITHUB_ACTIONS: "true",
    GITHUB_EVENT_NAME: options.eventName,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_OUTPUT: outputPath,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_WORKSPACE: options.workspace,
    GITHUB_REPOSITORY: "acme/widgets",
    GITHUB_SERVER_URL: "https://github.example",
    GITHUB_RUN_ID: "42",
    RUNNER_TEMP: join(runner, "temp"),
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
  const result = await runProcess([ACTION], { cwd: options.workspace, env });
  const reportPath = join(runner, "temp", "eval-gate-report.json");
  return {
    ...result,
    outputs: parseOutputs(readFileSync(outputPath, "utf8")),
    summary: readFileSync(summaryPath, "utf8"),
    report: existsSync(reportPath) ? JSON.parse(readFileSync(reportPath, "utf8")) : null,
  };
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
