import { resolve } from "node:path";
import { writeAtomic } from "../../adapters/files/files.js";
import { resolvePath } from "../../core/config/target.js";
import { UserError } from "../../core/errors.js";
import { renderRotateReport } from "../../core/lifecycle/report-text.js";
import { rotateSet } from "../../core/lifecycle/rotation.js";
import { parseSeed, parseTraces } from "../../core/lifecycle/traces.js";
import type { Command } from "../command.js";
import {
  existingCases,
  loadExisting,
  loadSetFile,
  numberOption,
  onePositional,
  readTextFile,
  relativePath,
} from "../lifecycle-io.js";
import { checkSliced, TRACE_HELP, TRACE_OPTIONS, traceFields } from "../trace-flags.js";

export const rotateCommand: Command = {
  name: "rotate",
  summary: "replace a share of the rotation set with fresh traces, keeping its slice proportions",
  usage:
    "FRESH_TRACES.jsonl [--set rotation] [--share 0.2] [--seed S] [--out FILE] [--dry-run]\n                  [--hard-share 0.4] [--exclude FILES] [--config eval-gate.yml] [--json FILE]",
  help: [
    "  FRESH_TRACES.jsonl   recent production traces, one JSON object per line",
    "  --set NAME|FILE      the set to rotate: a set of the config, or a JSONL file (default: rotation)",
    "  --share X            the share of each slice's cases replaced, 0..1 (default: 0.2, a fifth)",
    "  --out FILE           write the new set here instead of over the set's file",
    "  --dry-run            print what would leave and come in; write nothing",
    "  --json FILE          also write the report as JSON",
    ...TRACE_HELP,
    "",
    "Per slice, round(share × n) cases leave (chosen by the seed) and as many fresh traces of the",
    "same slice come in; ids of any set and near-duplicates of any case are never drawn. The lines",
    "that stay are kept byte for byte; the new cases are appended with expected: null.",
  ].join("\n"),
  options: {
    ...TRACE_OPTIONS,
    set: { type: "string", default: "rotation" },
    share: { type: "string", default: "0.2" },
    out: { type: "string" },
    "dry-run": { type: "boolean", default: false },
    json: { type: "string" },
  },
  async run({ values, positionals }, ctx) {
    const freshFile = onePositional("rotate", positionals, "file of fresh traces");
    const share = numberOption("share", values.share, "share");
    const hardShare = numberOption("hard-share", values["hard-share"], "share");
    const seed = parseSeed(values.seed as string);
    const fields = traceFields(values);
    const { sets, project } = await loadExisting(ctx.cwd, values);

    const name = values.set as string;
    let file: string;
    let hidden = false;
    if (/\.jsonl?$/i.test(name)) {
      file = relativePath(ctx.cwd, name);
    } else {
      const spec = project?.config.sets[name];
      if (!project || !spec) {
        throw new UserError(
          project ? `the config has no set \`${name}\`` : `no config to find the set \`${name}\` in`,
          {
            field: "--set",
            fix: project
              ? `Sets are: ${Object.keys(project.config.sets).join(", ")}; or pass a JSONL file.`
              : "Pass --config, or --set with the set's JSONL file.",
          },
        );
      }
      file = resolvePath(project.configPath, spec.path);
      hidden = spec.visibility === "aggregate";
    }
    hidden ||= Object.values(project?.config.sets ?? {}).some(
      (spec) => spec.visibility === "aggregate" && resolvePath(project?.configPath ?? "", spec.path) === file,
    );
    const set = await loadSetFile(ctx.cwd, file, hidden ? "aggregate" : "full");
    const others = sets.filter((s) => s.path !== file);
    const fresh = parseTraces(
      await readTextFile(ctx.cwd, freshFile, "traces file"),
      relativePath(ctx.cwd, freshFile),
      fields,
    );
    checkSliced(fresh, fields, values, relativePath(ctx.cwd, freshFile), ctx);
    const result = rotateSet(set, fresh.traces, existingCases([set, ...others]), { share, hardShare, seed });

    const out = typeof values.out === "string" ? relativePath(ctx.cwd, values.out) : file;
    const dryRun = values["dry-run"] === true;
    if (!dryRun) await writeAtomic(resolve(ctx.cwd, out), result.text);
    if (typeof values.json === "string") {
      const { text: _text, ...report } = result;
      // An aggregate-only set: counts only, no case id and no slice name.
      const shown = hidden
        ? {
            left: report.left.length,
            came: report.came.length,
            replaced: report.slices.reduce((n, x) => n + x.replaced, 0),
            planned: report.slices.reduce((n, x) => n + x.planned, 0),
          }
        : report;
      await writeAtomic(
        resolve(ctx.cwd, values.json),
        `${JSON.stringify({ ...shown, seed, share, file: out }, null, 2)}\n`,
      );
    }
    ctx.out(renderRotateReport(result, { file: out, share, seed, hidden, dryRun }));
    return 0;
  },
};
