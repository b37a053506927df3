import { existsSync, readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { dirname, relative, resolve } from "node:path";
import { writeAtomic } from "../../adapters/files.js";
import { UserError } from "../../core/errors.js";
import { type ImportResult, toJsonl } from "../../core/import/common.js";
import { importOpenAIEvals } from "../../core/import/openai-evals.js";
import { importPromptfoo } from "../../core/import/promptfoo.js";
import { parseSet } from "../../core/sets.js";
import type { Command } from "../command.js";

const FORMATS = ["promptfoo", "openai-evals"] as const;

export const importCommand: Command = {
  name: "import",
  summary: "convert a promptfoo config's tests or OpenAI evals samples into an eval-gate set",
  usage:
    "promptfoo PROMPTFOO.yaml --out FILE [--slice-from VAR] [--input-var VAR] [--force]\n  eval-gate import openai-evals SAMPLES.jsonl --out FILE [--slice-from FIELD] [--force]",
  help: [
    "  --out FILE        the set file to write, e.g. evals/anchor.jsonl (required)",
    "  --slice-from VAR  promptfoo: the var that names each test's slice (metadata.slice wins);",
    "                    openai-evals: the sample field that does. Default slice: `default`",
    "  --input-var VAR   promptfoo: the var that holds the user's message (default: the prompt's",
    "                    single var, else `question` or `input`)",
    "  --force           overwrite --out if it exists",
    "",
    "promptfoo assertions: equals → exact, contains/icontains(-any/-all) → contains, regex → regex,",
    "is-json → json_schema, similar → similarity, llm-rubric → judge; not- forms where eval-gate",
    "can negate. Anything else is listed as skipped, with its line.",
  ].join("\n"),
  options: {
    out: { type: "string" },
    "slice-from": { type: "string" },
    "input-var": { type: "string" },
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
    const sourcePath = resolve(ctx.cwd, source);
    const outPath = resolve(ctx.cwd, values.out);
    if (existsSync(outPath) && !values.force) {
      throw new UserError(`${values.out} already exists`, {
        fix: "Use --force to overwrite it, or another --out.",
      });
    }
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
            readPrompt: (p) => {
              try {
                return readFileSync(resolve(dirname(sourcePath), p), "utf8");
              } catch {
                return null;
              }
            },
          })
        : importOpenAIEvals(text, { file: source, ...(sliceFrom ? { sliceFrom } : {}) });

    for (const s of result.skipped) ctx.err(`skipped: ${s.where}: ${s.reason}\n`);
    for (const n of result.notes) ctx.err(`note: ${n}\n`);
    if (result.cases.length === 0) {
      throw new UserError(`no case could be imported from ${source}`, {
        fix: "See the skipped entries above.",
      });
    }
    const jsonl = toJsonl(result.cases);
    // The same check `eval-gate run` makes: what is written must load.
    parseSet(jsonl, values.out, "imported", "full");
    await writeAtomic(outPath, jsonl);
    const slices = new Set(result.cases.map((c) => c.slice));
    ctx.out(
      `Wrote ${result.cases.length} case(s) in ${slices.size} slice(s) to ${relative(ctx.cwd, outPath)}` +
        `${result.skipped.length > 0 ? `; ${result.skipped.length} item(s) skipped (listed on stderr)` : ""}.\n` +
        `Add it to eval-gate.yml, e.g.  sets: { anchor: ${values.out} }\n`,
    );
    return 0;
  },
};
