import { describeError, isUserError, UserError, UserErrors } from "../core/errors.js";
import { type Command, type CommandContext, commandHelp, parseCommandArgs } from "./command.js";
import { calibrateCommand } from "./commands/calibrate.js";
import { checkCommand } from "./commands/check.js";
import { importCommand } from "./commands/import.js";
import { initCommand } from "./commands/init.js";
import { mergeCommand } from "./commands/merge.js";
import { perturbCommand } from "./commands/perturb.js";
import { rotateCommand } from "./commands/rotate.js";
import { runCommand } from "./commands/run.js";
import { sampleCommand } from "./commands/sample.js";

/** Every command, in the order `--help` lists them; a new command is one more entry. */
export const commands: Command[] = [
  runCommand,
  mergeCommand,
  initCommand,
  importCommand,
  sampleCommand,
  rotateCommand,
  checkCommand,
  perturbCommand,
  calibrateCommand,
];

function overview(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    "eval-gate: gate a change on your own LLM eval set, per slice.",
    "",
    "Usage: eval-gate <command> [options]",
    "",
    "Commands:",
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    "",
    "Run `eval-gate <command> --help` for a command's options.",
    "",
  ].join("\n");
}

/** The CLI: the same pipeline as the action, a terminal table, progress on stderr. Returns the exit code. */
export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const ctx: CommandContext = {
    env,
    cwd: process.cwd(),
    err: (s) => process.stderr.write(s),
    out: (s) => process.stdout.write(s),
    stdoutIsTTY: Boolean(process.stdout.isTTY),
    stdoutColumns: process.stdout.columns ?? 100,
    scriptPath: process.argv[1],
  };
  try {
    const [name, ...rest] = argv;
    if (name === undefined || name === "-h" || name === "--help" || name === "help") {
      ctx.out(overview());
      return name === undefined ? 2 : 0;
    }
    const command = commands.find((c) => c.name === name);
    if (!command)
      throw new UserError(`unknown command "${name}"`, {
        fix: `Use one of: ${commands.map((c) => c.name).join(", ")}.`,
      });
    const { values, positionals } = parseCommandArgs(command, rest);
    if (values.help) {
      ctx.out(commandHelp(command));
      return 0;
    }
    return await command.run({ values, positionals }, ctx);
  } catch (e) {
    if (isUserError(e)) {
      // The CLI's own wording: flags, files and the shell, not workflow inputs and secrets.
      const lines =
        e instanceof UserErrors ? e.errors.map((x) => x.format("cli")) : [describeError(e, "cli")];
      ctx.err(`${lines.map((l) => `error: ${l}`).join("\n")}\n`);
      return 2;
    }
    ctx.err(`eval-gate failed: ${describeError(e, "cli")}\n`);
    return 2;
  }
}
