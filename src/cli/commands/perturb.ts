import { resolve } from "node:path";
import { writeAtomic } from "../../adapters/files.js";
import { openAIEndpoint } from "../../adapters/openai-http.js";
import { parseCompletion } from "../../adapters/openai-provider.js";
import { UserError } from "../../core/errors.js";
import {
  caseLine,
  perturbCases,
  type RewriteFn,
  rewriteCases,
  TRANSFORMS,
  type TransformName,
} from "../../core/lifecycle/perturb.js";
import { parseSeed } from "../../core/lifecycle/traces.js";
import { backoffMs, defaultRetryPolicy, RetryableError } from "../../core/retry.js";
import { OPENAI_DEFAULT_URL } from "../../core/target.js";
import type { Command } from "../command.js";
import { exists, loadSetFile, numberOption, onePositional, relativePath } from "../lifecycle-io.js";

const REWRITE_ATTEMPTS = 5;

/** One rewrite per call through any OpenAI-compatible endpoint, at temperature 0, with retries. */
function rewriter(env: Record<string, string | undefined>, model: string): RewriteFn {
  const apiKey = env.OPENAI_API_KEY;
  if (!apiKey) {
    throw new UserError("OPENAI_API_KEY is not set", {
      field: "--rewrite",
      fix: "Export OPENAI_API_KEY (and OPENAI_BASE_URL for another OpenAI-compatible endpoint), or leave out --rewrite.",
    });
  }
  const post = openAIEndpoint({
    baseURL: env.OPENAI_BASE_URL || OPENAI_DEFAULT_URL,
    apiKey,
    timeoutMs: 60_000,
  });
  return async (instruction, text) => {
    const body = {
      model,
      temperature: 0,
      messages: [
        { role: "system", content: instruction },
        { role: "user", content: text },
      ],
    };
    for (let attempt = 1; ; attempt++) {
      try {
        return parseCompletion(await post("chat/completions", body)).content;
      } catch (e) {
        if (!(e instanceof RetryableError) || attempt >= REWRITE_ATTEMPTS) throw e;
        const wait = backoffMs(
          attempt,
          { ...defaultRetryPolicy, maxDelayMs: 10_000 },
          Math.random,
          e.retryAfterMs,
        );
        await new Promise((r) => setTimeout(r, wait));
      }
    }
  };
}

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
    "SET.jsonl --out FILE [--transforms typos,casing,whitespace,punctuation] [--per-case 2] [--seed S]\n                   [--rewrite angry,polite,terse --model M] [--with-originals] [--force]",
  help: [
    "  SET.jsonl           the cases to vary",
    "  --out FILE          where to write the variants (a set file: list it under `sets:`)",
    `  --transforms LIST   any of ${TRANSFORMS.join(", ")}, or none (default: all)`,
    "  --per-case K        variants per case and transform (default: 2)",
    "  --seed S            the same seed gives the same variants, byte for byte (default: 1)",
    "  --rewrite STYLES    also ask a model to rewrite each case: angry, polite, terse, rambling,",
    "                      non-native, or any tone word (one rewrite per style, temperature 0;",
    "                      needs OPENAI_API_KEY, and OPENAI_BASE_URL for another endpoint)",
    "  --model M           the model that rewrites (required with --rewrite)",
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
    if (styles.length > 0 && typeof values.model !== "string") {
      throw new UserError("--rewrite needs --model", { field: "--model", fix: "e.g. --model gpt-4o-mini" });
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
    const rewrite = styles.length > 0 ? rewriter(ctx.env, values.model as string) : null;

    const made = perturbCases(set.cases, { transforms: transforms as TransformName[], seed, perCase });
    const rewritten = rewrite
      ? await rewriteCases(set.cases, styles, rewrite, {
          model: values.model as string,
          onDone: (done, total) => {
            if (done === total || done % 25 === 0) ctx.err(`${done}/${total} rewrites\n`);
          },
        })
      : { cases: [], skipped: [] };

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
      const reasons = [...new Set(rewritten.skipped.map((s) => s.reason))].slice(0, 3).join("; ");
      lines.push(
        `Skipped ${rewritten.skipped.length} rewrite(s) that changed the request or nothing (${reasons}).`,
      );
    }
    lines.push(
      "Variants keep their original's expected value; list the file under `sets:` next to the originals' set.",
    );
    ctx.out(`${lines.join("\n")}\n`);
    return 0;
  },
};
