import { type ParseArgsConfig, parseArgs } from "node:util";
import { UserError } from "../core/errors.js";

/** What every command gets besides its arguments. */
export interface CommandContext {
  env: Record<string, string | undefined>;
  cwd: string;
  /** Progress and notes: stderr. */
  err(text: string): void;
  /** Results: stdout. */
  out(text: string): void;
  stdoutIsTTY: boolean;
  stdoutColumns: number;
  /** The script node ran (process.argv[1]): tells a clone's `node dist/cli.js` from an installed bin. */
  scriptPath?: string;
}

type Options = NonNullable<ParseArgsConfig["options"]>;

/**
 * One CLI command: its usage and options are declared once, so `--help` and parsing agree.
 * `run` returns the exit code: 0 success (or pass/review), 1 fail, 2 error.
 */
export interface Command<O extends Options = Options> {
  name: string;
  summary: string;
  /** The usage line(s) after `eval-gate NAME`. */
  usage: string;
  /** Lines describing the options, shown by `eval-gate NAME --help`. */
  help: string;
  options: O;
  run(
    args: { values: Record<string, string | boolean | string[] | undefined>; positionals: string[] },
    ctx: CommandContext,
  ): Promise<number>;
}

export function parseCommandArgs(command: Command, argv: string[]) {
  try {
    return parseArgs({
      args: argv,
      allowPositionals: true,
      strict: true,
      options: { ...command.options, help: { type: "boolean", short: "h" } },
    });
  } catch (e) {
    throw new UserError((e as Error).message.replace(/\. To specify.*$/s, ""), {
      fix: `Run \`eval-gate ${command.name} --help\`.`,
    });
  }
}

export function commandHelp(command: Command): string {
  return `eval-gate ${command.name}: ${command.summary}\n\nUsage:\n  eval-gate ${command.name} ${command.usage}\n\nOptions:\n${command.help}\n  -h, --help        this help\n`;
}

/** `--fail-on` as the action's `fail-on` input takes it. */
export function failOnOption(value: unknown): "regression" | "review" | "never" {
  const v = value ?? "regression";
  if (v === "regression" || v === "review" || v === "never") return v;
  throw new UserError(`--fail-on is "${String(v)}"`, { fix: "Use regression, review or never." });
}

/** A repeatable option that also takes comma-separated values: `--slice a,b --slice c`. */
export function listOption(value: unknown): string[] {
  const raw = Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
  return raw
    .flatMap((v) => String(v).split(","))
    .map((v) => v.trim())
    .filter(Boolean);
}

export type OutputFormat = "table" | "markdown" | "json";

/** `--format`: what the report looks like on stdout. */
export function formatOption(value: unknown): OutputFormat {
  const v = value ?? "table";
  if (v === "table" || v === "markdown" || v === "json") return v;
  throw new UserError(`--format is "${String(v)}"`, { fix: "Use table, markdown or json." });
}
