import { resolve } from "node:path";
import { readPartials } from "../../adapters/files/files.js";
import { UserError } from "../../core/errors.js";
import { buildReport } from "../../core/gate/assemble.js";
import { mergePartials } from "../../core/gate/shard.js";
import { unlabelledWarnings } from "../../core/report/render/unlabelled.js";
import { type Command, failOnOption, formatOption } from "../command.js";
import { finish } from "../finish.js";

export const mergeCommand: Command = {
  name: "merge",
  summary: "combine the shards' partial results into the one report and verdict",
  usage:
    "PARTIAL... [--json FILE] [--fail-on regression|review|never] [--format table|markdown|json] [--junit FILE]",
  help: [
    "  PARTIAL           partial result files, or folders holding them",
    "  --json FILE       where to write the JSON report (default: .eval-gate/report.json)",
    "  --fail-on WHEN    regression (default), review or never",
    "  --format FORMAT   stdout: table (default), markdown (the job summary's text) or json (the report)",
    "  --junit FILE      also write the results as JUnit XML (one testcase per case, failing on head only)",
  ].join("\n"),
  options: {
    json: { type: "string", default: ".eval-gate/report.json" },
    "fail-on": { type: "string", default: "regression" },
    format: { type: "string", default: "table" },
    junit: { type: "string" },
  },
  async run({ values, positionals }, ctx) {
    if (positionals.length === 0) {
      throw new UserError("merge needs the partial results", {
        fix: "eval-gate merge .eval-gate/partial-*.json",
      });
    }
    const partials = (await Promise.all(positionals.map((f) => readPartials(resolve(ctx.cwd, f))))).flat();
    const report = buildReport(mergePartials(partials));
    for (const w of unlabelledWarnings(report)) ctx.err(`warning: ${w}\n`);
    return finish(
      report,
      {
        json: values.json as string,
        failOn: failOnOption(values["fail-on"]),
        format: formatOption(values.format),
        ...(typeof values.junit === "string" ? { junit: values.junit } : {}),
      },
      ctx,
    );
  },
};
