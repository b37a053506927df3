import { resolve } from "node:path";
import { writeAtomic } from "../../adapters/files/files.js";
import { UserError } from "../../core/errors.js";
import { renderSampleReport } from "../../core/lifecycle/report-text.js";
import { sampleTraces } from "../../core/lifecycle/sample.js";
import { parseSeed, parseTraces, traceToCase } from "../../core/lifecycle/traces.js";
import type { Command } from "../command.js";
import {
  existingCases,
  exists,
  loadExisting,
  numberOption,
  onePositional,
  readTextFile,
  relativePath,
} from "../lifecycle-io.js";
import { checkSliced, TRACE_HELP, TRACE_OPTIONS, traceFields } from "../trace-flags.js";

export const sampleCommand: Command = {
  name: "sample",
  summary: "draw a new eval set from production traces: stratified by slice, hard cases oversampled",
  usage:
    "TRACES.jsonl --out FILE [--size N | --per-slice K] [--min-per-slice M] [--hard-share 0.4]\n                  [--hard-field A,B] [--hard-if EXPR] [--exclude FILES] [--seed S] [--force]",
  help: [
    "  TRACES.jsonl         production traces, one JSON object per line",
    "  --out FILE           where to write the cases (JSONL; expected: null until a person labels them)",
    "  --size N             cases in all, split by slice in proportion to the usable traces (default: 100)",
    "  --per-slice K        instead: K cases from every slice (or all it has)",
    "  --min-per-slice M    with --size: at least M per slice where it has them (e.g. 12, gate.min_slice_n)",
    ...TRACE_HELP,
    "  --force              overwrite --out when it exists",
    "  --json FILE          also write the sampling report as JSON",
    "",
    "Near-duplicates (word-shingle Jaccard >= 0.9) are drawn once; no trace is drawn twice.",
  ].join("\n"),
  options: {
    ...TRACE_OPTIONS,
    out: { type: "string" },
    size: { type: "string" },
    "per-slice": { type: "string" },
    "min-per-slice": { type: "string", default: "0" },
    force: { type: "boolean", default: false },
    json: { type: "string" },
  },
  async run({ values, positionals }, ctx) {
    const tracesFile = onePositional("sample", positionals, "traces file");
    if (typeof values.out !== "string" || values.out === "") {
      throw new UserError("sample needs --out", { fix: "e.g. --out evals/draft.jsonl" });
    }
    if (values.size !== undefined && values["per-slice"] !== undefined) {
      throw new UserError("--size and --per-slice both given", {
        fix: "Use one: a total, or a number per slice.",
      });
    }
    const out = relativePath(ctx.cwd, values.out);
    if (!values.force && (await exists(ctx.cwd, out))) {
      throw new UserError(`${out} exists`, {
        field: "--out",
        fix: "Pick a new file (labels already written there would be lost), or pass --force.",
      });
    }
    const fields = traceFields(values);
    const hardShare = numberOption("hard-share", values["hard-share"], "share");
    const seed = parseSeed(values.seed as string);
    const perSlice =
      values["per-slice"] !== undefined
        ? numberOption("per-slice", values["per-slice"], "count", 1)
        : undefined;
    const size = perSlice === undefined ? numberOption("size", values.size ?? "100", "count", 1) : undefined;
    const minPerSlice = numberOption("min-per-slice", values["min-per-slice"], "count", 0);

    const parsed = parseTraces(
      await readTextFile(ctx.cwd, tracesFile, "traces file"),
      relativePath(ctx.cwd, tracesFile),
      fields,
    );
    checkSliced(parsed, fields, values, relativePath(ctx.cwd, tracesFile), ctx);
    const { sets, project } = await loadExisting(ctx.cwd, values);
    if (parsed.traces.length === 0) {
      throw new UserError("the traces file has no usable trace", {
        file: relativePath(ctx.cwd, tracesFile),
        fix: `Each line needs an id (--id-field ${fields.id}) and an input (--input-field ${fields.input}).`,
      });
    }
    const result = sampleTraces(parsed.traces, existingCases(sets), {
      ...(size !== undefined ? { size } : {}),
      ...(perSlice !== undefined ? { perSlice } : {}),
      minPerSlice,
      hardShare,
      seed,
    });
    if (result.cases.length === 0) {
      throw new UserError("no trace is left to draw", {
        fix: "Every usable trace is already in a set or a duplicate of one; export newer traces.",
      });
    }
    const text = result.cases.map((t) => `${JSON.stringify(traceToCase(t))}\n`).join("");
    await writeAtomic(resolve(ctx.cwd, out), text);
    if (typeof values.json === "string") {
      const { cases: _cases, ...report } = result;
      await writeAtomic(
        resolve(ctx.cwd, values.json),
        `${JSON.stringify({ ...report, seed, out, traces: parsed.traces.length, unusable: parsed.unusable.length }, null, 2)}\n`,
      );
    }
    ctx.out(
      renderSampleReport(result, {
        traces: parsed.traces.length + parsed.unusable.length,
        unusable: parsed.unusable.length,
        unsliced: parsed.unsliced,
        sliceField: [fields.slice, ...(fields.sliceFallback ?? [])].join("` or `"),
        defaultSlice: fields.defaultSlice,
        seed,
        hardShare,
        minSliceN: project?.config.gate.min_slice_n ?? 12,
        out,
      }),
    );
    return 0;
  },
};
