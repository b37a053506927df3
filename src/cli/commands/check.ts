import { resolve } from "node:path";
import { writeAtomic } from "../../adapters/files/files.js";
import { resolvePath, resolveTarget } from "../../core/config/target.js";
import { UserError } from "../../core/errors.js";
import { checkEvalSets, sliceKey } from "../../core/lifecycle/check.js";
import { renderCheckReport } from "../../core/lifecycle/check-text.js";
import type { PromptText } from "../../core/text/leaks.js";
import type { Command } from "../command.js";
import { loadProject, numberOption, readTextFile, relativePath } from "../lifecycle-io.js";

interface Measured {
  rates: Map<string, number>;
  noise: Map<string, { noise: number; design_effect: number }>;
}

/** Base pass rates, and the noise the run fitted, per slice from a report: only the fields needed, each checked. */
function measured(text: string, file: string): Measured {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UserError(`not valid JSON (${(e as Error).message})`, {
      file,
      fix: "Pass the report eval-gate wrote.",
    });
  }
  const slices = (value as { slices?: unknown } | null)?.slices;
  if (!Array.isArray(slices)) {
    throw new UserError("not an eval-gate report (no `slices`)", {
      file,
      fix: "Pass the report eval-gate wrote.",
    });
  }
  const rates = new Map<string, number>();
  const noise = new Map<string, { noise: number; design_effect: number }>();
  for (const s of slices as Record<string, unknown>[]) {
    if (typeof s?.set !== "string" || typeof s.slice !== "string") continue;
    const key = sliceKey(s.set, s.slice);
    const rate = typeof s.base_score === "number" ? s.base_score : s.head_score;
    if (typeof rate === "number" && rate >= 0 && rate <= 1) rates.set(key, rate);
    const fitted = s.noise;
    const effect = typeof s.design_effect === "number" ? s.design_effect : 1;
    if (
      typeof fitted === "number" &&
      fitted >= 0 &&
      fitted <= 0.25 &&
      effect >= 1 &&
      Number.isFinite(effect)
    ) {
      noise.set(key, { noise: fitted, design_effect: effect });
    }
  }
  return { rates, noise };
}

export const checkCommand: Command = {
  name: "check",
  summary: "check sets before a run: slice sizes, the smallest drop each slice can see, leaks, overlaps",
  usage: "[--config eval-gate.yml] [--report FILE] [--prompt FILE]... [--power 0.8] [--json FILE]",
  help: [
    "  --config FILE     the config file (default: eval-gate.yml)",
    "  --report FILE     a JSON report of an earlier run: its base pass rates and measured noise replace",
    "                    the assumed 90% and the assumed noise",
    "  --prompt FILE     another file the model sees (few-shot examples, a RAG corpus...) to scan for",
    "                    eval text; target.system and target.tools always are (repeatable)",
    "  --power X         the power the minimum detectable drop is computed for (default: 0.8)",
    "  --json FILE       also write the findings as JSON",
    "",
    "Cases without a label (no expected value where their graders need one, or metadata.needs_label)",
    "are counted and left out of n: a run does not grade them. They do not change the exit code.",
    "",
    "Exit codes: 0 clean, 1 leaks into prompts or the same case in two sets, 2 bad config or input.",
  ].join("\n"),
  options: {
    config: { type: "string", default: "eval-gate.yml" },
    report: { type: "string" },
    prompt: { type: "string", multiple: true },
    power: { type: "string", default: "0.8" },
    json: { type: "string" },
  },
  async run({ values }, ctx) {
    const power = numberOption("power", values.power, "probability");
    const project = await loadProject(ctx.cwd, values.config as string, { graders: true });
    const { config, configPath, lineOf, source } = project;
    // The target's files must exist and parse, as for a run; their text is what leaks are looked for in.
    await resolveTarget(config, configPath, source, ctx.env, lineOf);
    const prompts: PromptText[] = [];
    for (const p of [config.target.system, config.target.tools]) {
      if (!p) continue;
      const file = resolvePath(configPath, p);
      prompts.push({ file, text: (await source.read(file)) ?? "" });
    }
    for (const p of (values.prompt as string[] | undefined) ?? []) {
      prompts.push({
        file: relativePath(ctx.cwd, p),
        text: await readTextFile(ctx.cwd, p, "prompt file", "--prompt"),
      });
    }
    const fromReport =
      typeof values.report === "string"
        ? measured(
            await readTextFile(ctx.cwd, values.report, "report", "--report"),
            relativePath(ctx.cwd, values.report),
          )
        : undefined;
    const rates = fromReport?.rates;
    // The same MDE as a run's report: the config's mode, repeats and floor (its tests join the family).
    const result = checkEvalSets(project.sets, prompts, {
      alpha: config.gate.alpha,
      minSliceN: config.gate.min_slice_n,
      power,
      mode: config.gate.mode,
      // Under `repeats: auto` the single-run MDE: reruns only add power (bench:stats), so it is the
      // conservative figure, not the design's own.
      repeats: config.repeats === "auto" ? 1 : config.repeats,
      floor: config.gate.floor,
      graders: config.graders,
      ...(fromReport ? { baseRates: fromReport.rates, noise: fromReport.noise } : {}),
    });
    if (typeof values.json === "string") {
      await writeAtomic(
        resolve(ctx.cwd, values.json),
        `${JSON.stringify({ config: configPath, ...result }, null, 2)}\n`,
      );
    }
    ctx.out(
      renderCheckReport(result, {
        config: configPath,
        sets: project.sets.length,
        cases: project.sets.reduce((n, s) => n + s.cases.length, 0),
        minSliceN: config.gate.min_slice_n,
        fromReport: rates !== undefined,
      }),
    );
    return result.leaks.length + result.overlaps.length > 0 ? 1 : 0;
  },
};
