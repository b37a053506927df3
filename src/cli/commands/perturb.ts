import { resolve } from "node:path";
import { writeAtomic } from "../../adapters/files/files.js";
import { UserError } from "../../core/errors.js";
import { caseLine, perturbCases } from "../../core/lifecycle/perturb.js";
import { TRANSFORMS, type TransformName } from "../../core/lifecycle/perturb-text.js";
import { rejectionCounts, rewriteCases } from "../../core/lifecycle/rewrite.js";
import { parseSeed } from "../../core/lifecycle/traces.js";
import type { Command } from "../command.js";
import { exists, loadSetFile, numberOption, onePositional, relativePath } from "../lifecycle-io.js";
import { rewriterFor } from "../rewriter.js";

function list(value: unknown): string[] {
  return typeof value === "string"
    ? value
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "" && s !== "none")
    : [];
}

export const perturbCommand: Command = {
  name: "perturb",
  summary: "write perturbed variants of a set's cases (typos, casing, rewrites) to measure robustness",
  usage:
    "SET.jsonl --out FILE [--transforms typos,casing,whitespace,punctuation] [--per-case 2] [--seed S]\n                   [--rewrite angry,polite,terse [--model M] [--config eval-gate.yml]] [--with-originals] [--force]",
  help: [
    "  SET.jsonl           the cases to vary",
    "  --out FILE          where to write the variants (a set file: list it under `sets:`)",
    `  --transforms LIST   any of ${TRANSFORMS.join(", ")}, or none (default: all)`,
    "  --per-case K        variants per case and transform (default: 2)",
    "  --seed S            the same seed gives the same variants, byte for byte (default: 1)",
    "  --rewrite STYLES    also ask a model to rewrite each case: angry, polite, terse, rambling,",
    "                      non-native, or any tone word (one rewrite per style, temperature 0),",
    "                      through the config's endpoint and key, as `run` calls the target",
    "                      (target.base_url, target.api_key_env; without a config OPENAI_BASE_URL",
    "                      and OPENAI_API_KEY). A rewrite that changes nothing or drops a number is",
    "                      rejected; when none is usable, nothing is written (exit 2)",
    "  --model M           the model that rewrites (default: the config's target.model)",
    "  --config FILE       the config whose target the rewrites use (default: eval-gate.yml, when it exists)",
    "  --with-originals    write the original cases too, so the file runs on its own",
    "  --force             overwrite --out when it exists",
    "",
    "A variant keeps its original's slice, expected value, graders and vars; its id is ORIGINAL~KIND-K",
    "and its metadata names the perturbation and the original. The report's summary then says how",
    "many variants flip (pass where the original fails, or the reverse).",
  ].join("\n"),
  options: {
    out: { type: "string" },
    transforms: { type: "string", default: TRANSFORMS.join(",") },
    "per-case": { type: "string", default: "2" },
    seed: { type: "string", default: "1" },
    rewrite: { type: "string" },
    model: { type: "string" },
    config: { type: "string" },
    "with-originals": { type: "boolean", default: false },
    force: { type: "boolean", default: false },
  },
  async run({ values, positionals }, ctx) {
    const setFile = onePositional("perturb", positionals, "set file");
    if (typeof values.out !== "string" || values.out === "") {
      throw new UserError("perturb needs --out", { fix: "e.g. --out evals/robust.jsonl" });
    }
    const transforms = list(values.transforms);
    for (const t of transforms) {
      if (!(TRANSFORMS as readonly string[]).includes(t)) {
        throw new UserError(`unknown transform \`${t}\``, {
          field: "--transforms",
          fix: `Use any of ${TRANSFORMS.join(", ")}, comma-separated, or none.`,
        });
      }
    }
    const styles = list(values.rewrite);
    if (styles.some((s) => !/^[a-z][a-z-]{0,30}$/i.test(s))) {
      throw new UserError(`--rewrite "${String(values.rewrite)}" is not a list of style words`, {
        field: "--rewrite",
        fix: "e.g. --rewrite angry,polite,terse",
      });
    }
    if (transforms.length === 0 && styles.length === 0) {
      throw new UserError("nothing to do: no transform and no rewrite", {
        fix: "Drop `--transforms none`, or add --rewrite.",
      });
    }
    const perCase = numberOption("per-case", values["per-case"], "count", 1);
    const seed = parseSeed(values.seed as string);
    const out = relativePath(ctx.cwd, values.out);
    if (!values.force && (await exists(ctx.cwd, out))) {
      throw new UserError(`${out} exists`, { field: "--out", fix: "Pick a new file, or pass --force." });
    }
    const set = await loadSetFile(ctx.cwd, setFile);
    const rewriter =
      styles.length > 0
        ? await rewriterFor(ctx.cwd, ctx.env, {
            ...(typeof values.config === "string" ? { config: values.config } : {}),
            ...(typeof values.model === "string" ? { model: values.model } : {}),
          })
        : null;

    const made = perturbCases(set.cases, { transforms: transforms as TransformName[], seed, perCase });
    if (rewriter) {
      ctx.err(
        `rewrites by ${rewriter.model} at ${rewriter.endpoint} (key from ${rewriter.keyEnv}${rewriter.configPath ? `, as ${rewriter.configPath} says` : ""})\n`,
      );
    }
    const rewritten = rewriter
      ? await rewriteCases(set.cases, styles, rewriter.rewrite, {
          model: rewriter.model,
          onDone: (done, total) => {
            if (done === total || done % 25 === 0) ctx.err(`${done}/${total} rewrites\n`);
          },
        })
      : { cases: [], skipped: [], asked: 0 };
    // A file of variants that holds none of what was asked for is not written: say why instead.
    if (rewriter && rewritten.cases.length === 0) {
      throw new UserError(
        rewritten.asked === 0
          ? "--rewrite found no user message to rewrite"
          : `--rewrite made no usable rewrite: all ${rewritten.asked} were rejected (${rejectionCounts(rewritten.skipped, 0)})`,
        {
          field: "--rewrite",
          fix: `Nothing was written. Check what ${rewriter.model} at ${rewriter.endpoint} answers to a rewrite instruction (it must return the rewritten message only, every number kept), or leave out --rewrite.`,
        },
      );
    }
    if (made.cases.length + rewritten.cases.length === 0) {
      throw new UserError("no variant could be made", {
        field: "--transforms",
        fix: "Nothing was written: no case has text a transform can change (e.g. no word of four letters or more for typos).",
      });
    }

    const cases = [...(values["with-originals"] ? set.cases : []), ...made.cases, ...rewritten.cases];
    await writeAtomic(resolve(ctx.cwd, out), cases.map((c) => `${caseLine(c)}\n`).join(""));
    const lines = [
      `eval-gate perturb: ${made.cases.length + rewritten.cases.length} variant(s) of ${set.cases.length} case(s) -> ${out} (seed ${seed})`,
    ];
    const counts = new Map<string, number>();
    for (const c of [...made.cases, ...rewritten.cases]) {
      const kind = String(c.metadata?.perturbation);
      counts.set(kind, (counts.get(kind) ?? 0) + 1);
    }
    for (const [kind, n] of counts) lines.push(`  ${kind}: ${n}`);
    if (made.skipped.length > 0) {
      lines.push(
        `Skipped ${made.skipped.length} variant(s) that could not differ from their original (e.g. no word to misspell).`,
      );
    }
    if (rewritten.skipped.length > 0) {
      lines.push(
        `Rejected ${rewritten.skipped.length} of ${rewritten.asked} rewrites: ${rejectionCounts(rewritten.skipped)}.`,
      );
    }
    lines.push(
      "Variants keep their original's expected value; list the file under `sets:` next to the originals' set.",
    );
    ctx.out(`${lines.join("\n")}\n`);
    return 0;
  },
};
