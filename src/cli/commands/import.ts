import { existsSync, realpathSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, relative, resolve, sep } from "node:path";
import { writeAtomic } from "../../adapters/files/files.js";
import { repositoryRoot } from "../../adapters/files/git.js";
import { projectReader } from "../../adapters/files/project-reader.js";
import { parseSet } from "../../core/config/sets.js";
import { UserError } from "../../core/errors.js";
import { type ImportResult, toJsonl } from "../../core/import/common.js";
import { importOpenAIEvals } from "../../core/import/openai-evals.js";
import { importPromptfoo } from "../../core/import/promptfoo.js";
import type { Command, CommandContext } from "../command.js";

const FORMATS = ["promptfoo", "openai-evals"] as const;

export const importCommand: Command = {
  name: "import",
  summary: "convert a promptfoo config's tests or OpenAI evals samples into an eval-gate set",
  usage:
    "promptfoo PROMPTFOO.yaml --out FILE [--slice-from VAR] [--input-var VAR] [--force]\n  eval-gate import openai-evals SAMPLES.jsonl --out FILE [--slice-from FIELD]\n                   [--system-from-target [--system-out FILE]] [--force]",
  help: [
    "  --out FILE            the set file to write, e.g. evals/anchor.jsonl (required)",
    "  --slice-from VAR      promptfoo: the var that names each test's slice (metadata.slice wins);",
    "                        openai-evals: the sample field that does. Default slice: `default`",
    "  --input-var VAR       promptfoo: the var that holds the user's message (default: the prompt's",
    "                        single var, else `question` or `input`)",
    "  --system-from-target  openai-evals: leave each sample's own system message out, so the case",
    "                        runs with target.system, the prompt under test (kept, it replaces that",
    "                        prompt and no prompt change reaches the case); when the samples share",
    "                        one, it is written to --system-out for target.system to name",
    "  --system-out FILE     where that system message goes (default: --out with .system.md)",
    "  --force               overwrite --out (and --system-out) if they exist",
    "",
    "promptfoo assertions: equals → exact, contains/icontains(-any/-all) → contains, regex → regex,",
    "is-json → json_schema, similar → similarity, llm-rubric → judge; not- forms where eval-gate",
    "can negate. On stderr, with its line, everything not imported as it was: `skipped` (a test",
    "or sample not written), `dropped` (a part left out: an assertion, a transform, the providers),",
    "`changed` (a case written otherwise, e.g. with the config's default graders).",
  ].join("\n"),
  options: {
    out: { type: "string" },
    "slice-from": { type: "string" },
    "input-var": { type: "string" },
    "system-from-target": { type: "boolean", default: false },
    "system-out": { type: "string" },
    force: { type: "boolean", default: false },
  },
  async run({ values, positionals }, ctx) {
    const [format, source, ...rest] = positionals;
    if (!FORMATS.includes(format as (typeof FORMATS)[number]) || !source || rest.length > 0) {
      throw new UserError(
        format && !FORMATS.includes(format as (typeof FORMATS)[number])
          ? `unknown format "${format}"`
          : "import needs a format and a file",
        { fix: "eval-gate import promptfoo promptfooconfig.yaml --out evals/anchor.jsonl" },
      );
    }
    if (typeof values.out !== "string") {
      throw new UserError("--out is required", {
        fix: "Add --out evals/anchor.jsonl (the set file to write).",
      });
    }
    const systemFromTarget = values["system-from-target"] === true;
    if (format !== "openai-evals" && (systemFromTarget || values["system-out"] !== undefined)) {
      throw new UserError("--system-from-target and --system-out are for openai-evals samples", {
        fix: "promptfoo tests carry no system message: move the prompt's instructions to the file target.system names.",
      });
    }
    if (values["system-out"] !== undefined && !systemFromTarget) {
      throw new UserError("--system-out needs --system-from-target", {
        fix: "Add --system-from-target, or drop --system-out.",
      });
    }
    const sourcePath = resolve(ctx.cwd, source);
    const outPath = resolve(ctx.cwd, values.out);
    const refuseExisting = (path: string, shown: string) => {
      if (existsSync(path) && !values.force) {
        throw new UserError(`${shown} already exists`, {
          fix: "Use --force to overwrite it, or another path.",
        });
      }
    };
    refuseExisting(outPath, values.out);
    const text = await readFile(sourcePath, "utf8").catch(() => {
      throw new UserError(`${source} cannot be read`, { fix: "Check the path." });
    });
    const sliceFrom = values["slice-from"] as string | undefined;
    const result: ImportResult =
      format === "promptfoo"
        ? importPromptfoo(text, {
            file: source,
            ...(sliceFrom ? { sliceFrom } : {}),
            ...(typeof values["input-var"] === "string" ? { inputVar: values["input-var"] } : {}),
            readFile: await promptfooReader(sourcePath),
          })
        : importOpenAIEvals(text, { file: source, ...(sliceFrom ? { sliceFrom } : {}), systemFromTarget });

    listItems(result, ctx);
    if (result.cases.length === 0) {
      throw new UserError(`no case could be imported from ${source}`, {
        fix: "See the skipped entries above.",
      });
    }
    const jsonl = toJsonl(result.cases);
    // The same check `eval-gate run` makes: what is written must load.
    parseSet(jsonl, values.out, "imported", "full");
    const systemOut =
      typeof values["system-out"] === "string"
        ? values["system-out"]
        : `${values.out.replace(/\.jsonl?$/i, "")}.system.md`;
    const systemPath = resolve(ctx.cwd, systemOut);
    if (result.system) refuseExisting(systemPath, systemOut);
    await writeAtomic(outPath, jsonl);
    if (result.system) await writeAtomic(systemPath, `${result.system.text.trimEnd()}\n`);
    const slices = new Set(result.cases.map((c) => c.slice));
    const unit = format === "promptfoo" ? "test" : "sample";
    ctx.out(
      `Wrote ${result.cases.length} case(s) in ${slices.size} slice(s) to ${relative(ctx.cwd, outPath)}${counts(result, unit)}.\n` +
        `Add it to eval-gate.yml, e.g.  sets: { anchor: ${values.out} }\n`,
    );
    if (result.system) {
      const shown = relative(ctx.cwd, systemPath);
      ctx.out(
        `Wrote the system message the ${result.system.cases} sample(s) shared to ${shown}: the cases now run with the target's prompt.\n` +
          `Point the target at it in eval-gate.yml (paths are relative to the config's folder), or merge it into the prompt target.system names:\n` +
          `  target: { system: ${shown} }\n`,
      );
    }
    return 0;
  },
};

/**
 * Reads the files a promptfoo config names, relative to its folder and inside its project: the git
 * repository it is in, or its own folder outside git.
 */
async function promptfooReader(sourcePath: string) {
  const real = realpathSync(sourcePath);
  const folder = dirname(real);
  const root = (await repositoryRoot(folder)) ?? folder;
  return projectReader(root, relative(realpathSync(root), real).split(sep).join("/"));
}

/** Every item not imported as it was, with its line, then the notes: all on stderr. */
function listItems(result: ImportResult, ctx: CommandContext): void {
  for (const s of result.skipped) ctx.err(`skipped: ${s.where}: ${s.reason}\n`);
  for (const s of result.dropped) ctx.err(`dropped: ${s.where}: ${s.reason}\n`);
  for (const s of result.changed) ctx.err(`changed: ${s.where}: ${s.reason}\n`);
  for (const n of result.notes) ctx.err(`note: ${n}\n`);
}

/** `; 2 samples skipped, 1 case changed (listed on stderr)`, or nothing when all came over whole. */
function counts(result: ImportResult, unit: string): string {
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  const changed = new Set(result.changed.map((c) => c.where)).size;
  const parts = [
    result.skipped.length > 0 ? `${plural(result.skipped.length, unit)} skipped` : "",
    result.dropped.length > 0 ? `${plural(result.dropped.length, "item")} dropped` : "",
    changed > 0 ? `${plural(changed, "case")} changed` : "",
  ].filter(Boolean);
  return parts.length > 0 ? `; ${parts.join(", ")} (listed on stderr)` : "";
}
