// Runs one CLI command in-process, as src/cli/main.ts would, and collects what it prints; writes
// files into a test repository. Shared by the command tests.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { type Command, type CommandContext, parseCommandArgs } from "../../src/cli/command.js";

export async function runCommand(
  command: Command,
  argv: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  let out = "";
  let err = "";
  const ctx: CommandContext = {
    env,
    cwd,
    out: (s) => {
      out += s;
    },
    err: (s) => {
      err += s;
    },
    stdoutIsTTY: false,
    stdoutColumns: 100,
  };
  const { values, positionals } = parseCommandArgs(command, argv);
  const code = await command.run({ values, positionals }, ctx);
  return { code, out, err };
}

export function writeFiles(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}
