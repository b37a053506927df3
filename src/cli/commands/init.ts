import { existsSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { writeAtomic } from "../../adapters/files/files.js";
import { nextSteps, starterFiles } from "../../core/config/starter.js";
import { UserError } from "../../core/errors.js";
import type { Command } from "../command.js";
import { invocation } from "../invocation.js";

export const initCommand: Command = {
  name: "init",
  summary: "write a starter eval-gate.yml, system prompt and eval set that run as they are",
  usage: "[--dir DIR] [--model NAME] [--force]",
  help: [
    "  --dir DIR         where to write the files (default: the current folder)",
    "  --model NAME      the model the config names (default: gpt-4o-mini)",
    "  --force           overwrite files that already exist",
    "",
    "Writes eval-gate.yml, prompts/system.md and evals/anchor.jsonl (12 cases over 2 slices).",
  ].join("\n"),
  options: {
    dir: { type: "string", default: "." },
    model: { type: "string", default: "gpt-4o-mini" },
    force: { type: "boolean", default: false },
  },
  async run({ values, positionals }, ctx) {
    if (positionals.length > 0) {
      throw new UserError(`init takes no arguments (got "${positionals[0]}")`, {
        fix: "Use --dir DIR to write somewhere else.",
      });
    }
    const dir = resolve(ctx.cwd, values.dir as string);
    const files = starterFiles({ model: values.model as string });
    const existing = Object.keys(files).filter((f) => existsSync(join(dir, f)));
    if (existing.length > 0 && !values.force) {
      // Nothing is written: half a starter next to a user's own files helps no one.
      throw new UserError(`${existing.join(", ")} already exist${existing.length === 1 ? "s" : ""}`, {
        fix: "Nothing was written. Use --force to overwrite, or --dir to write elsewhere.",
      });
    }
    for (const [path, text] of Object.entries(files)) await writeAtomic(join(dir, path), text);
    const shown = Object.keys(files).map((f) => relative(ctx.cwd, join(dir, f)) || f);
    ctx.out(
      `Wrote ${shown.join(", ")}${existing.length > 0 ? ` (overwrote ${existing.join(", ")})` : ""}.\n\n`,
    );
    const elsewhere = relative(ctx.cwd, dir);
    if (elsewhere) ctx.out(`In ${elsewhere}:\n`);
    ctx.out(nextSteps(invocation(ctx.env, ctx.scriptPath)));
    return 0;
  },
};
