import { relative, resolve } from "node:path";
import { writeAtomic } from "../adapters/files.js";
import { renderTerminal } from "../core/render/terminal.js";
import { checkFails } from "../core/report.js";
import type { Report } from "../core/types.js";
import type { CommandContext } from "./command.js";

/** Writes the report, prints the table, and turns the verdict into the exit code. */
export async function finish(
  report: Report,
  options: { json: string; failOn: "regression" | "review" | "never" },
  ctx: CommandContext,
): Promise<number> {
  const jsonPath = resolve(ctx.cwd, options.json);
  await writeAtomic(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  const color = ctx.stdoutIsTTY && !ctx.env.NO_COLOR;
  ctx.out(`${renderTerminal(report, { color, width: ctx.stdoutColumns })}\n`);
  ctx.err(`report: ${relative(ctx.cwd, jsonPath)}\n`);
  if (report.verdict === "error") return 2;
  return checkFails(report.verdict, options.failOn) ? 1 : 0;
}
