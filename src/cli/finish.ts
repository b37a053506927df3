import { relative, resolve } from "node:path";
import { writeAtomic } from "../adapters/files/files.js";
import { type FittedReport, fitReport, reportJson, reportPieces } from "../core/report/fit.js";
import { renderJunit } from "../core/report/render/junit.js";
import { renderSummary } from "../core/report/render/summary.js";
import { renderTerminal } from "../core/report/render/terminal.js";
import { checkFails } from "../core/report/report.js";
import type { Report } from "../core/report-types.js";
import type { CommandContext, OutputFormat } from "./command.js";

export interface FinishOptions {
  json: string;
  failOn: "regression" | "review" | "never";
  /** stdout: `table` (the terminal table), `markdown` (the job summary's text) or `json` (the report). */
  format?: OutputFormat;
  /** Also write JUnit XML here. */
  junit?: string;
}

/** Writes the report (and JUnit XML), prints it as asked, and turns the verdict into the exit code. */
export async function finish(run: Report, options: FinishOptions, ctx: CommandContext): Promise<number> {
  // The same report the action writes: one a `post-report` step accepts.
  const report = fitReport(run);
  const jsonPath = resolve(ctx.cwd, options.json);
  await writeAtomic(jsonPath, reportPieces(report));
  ctx.out(stdoutText(report, options.format ?? "table", relative(ctx.cwd, jsonPath), ctx));
  ctx.err(`report: ${relative(ctx.cwd, jsonPath)}\n`);
  if (options.junit) {
    const junitPath = resolve(ctx.cwd, options.junit);
    await writeAtomic(junitPath, renderJunit(report));
    ctx.err(`JUnit XML: ${relative(ctx.cwd, junitPath)}\n`);
  }
  if (report.verdict === "error") return 2;
  return checkFails(report.verdict, options.failOn) ? 1 : 0;
}

function stdoutText(
  report: FittedReport,
  format: OutputFormat,
  jsonPath: string,
  ctx: CommandContext,
): string {
  if (format === "json") return reportJson(report);
  if (format === "markdown") return renderSummary(report);
  // Colour only for a person at a terminal who has not asked for none (https://no-color.org).
  const color = ctx.stdoutIsTTY && !ctx.env.NO_COLOR;
  return `${renderTerminal(report, { color, width: ctx.stdoutColumns, more: `see ${jsonPath}` })}\n`;
}
