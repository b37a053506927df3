import { relative, resolve, sep } from "node:path";
import { parseArgs } from "node:util";
import { DiskCache } from "../adapters/disk-cache.js";
import { readPartials, writeAtomic } from "../adapters/files.js";
import { headSha, repositoryRoot, resolveCommit, revisionSource, workspaceSource } from "../adapters/git.js";
import { makeProvider } from "../adapters/providers.js";
import { buildReport } from "../core/assemble.js";
import { describeError, isUserError, UserError, UserErrors } from "../core/errors.js";
import { evaluate } from "../core/evaluate.js";
import { systemClock } from "../core/ports.js";
import { renderTerminal } from "../core/render/terminal.js";
import { checkFails } from "../core/report.js";
import { mergePartials, parseShard, toPartial } from "../core/shard.js";
import type { Report } from "../core/types.js";

type FailOn = "regression" | "review" | "never";

const HELP = `eval-gate: gate a change on your own LLM eval set, per slice.

Usage:
  eval-gate run [--config eval-gate.yml] [--base REF] [--json FILE] [--no-cache]
                [--cache-dir DIR] [--fail-on regression|review|never] [--shard i/N]
  eval-gate merge PARTIAL... [--json FILE] [--fail-on regression|review|never]

  run     Runs the eval set on the working tree (head) and, with --base, on the target
          files as they are at REF (base), then compares them per slice.
          With --shard i/N, runs a deterministic share of the cases and writes a partial
          result (--partial FILE, default .eval-gate/partial-i-of-N.json) instead.
  merge   Combines the partial results of every shard into the one report and verdict,
          the same as an unsharded run.

Options:
  --config FILE    the config file (default: eval-gate.yml)
  --base REF       a git ref or SHA to compare against (default: head only)
  --json FILE      where to write the JSON report (default: .eval-gate/report.json)
  --no-cache       ask every response fresh instead of using the on-disk cache
  --cache-dir DIR  the response cache (default: .eval-gate/cache)
  --fail-on WHEN   regression (default), review or never
  --shard i/N      run the i-th of N shards
  --partial FILE   where a shard writes its partial result
  -h, --help       this help

Exit codes: 0 pass or review, 1 fail, 2 error (bad config or input, unreachable provider).
`;

/** The CLI: the same pipeline as the action, a terminal table, progress on stderr. Returns the exit code. */
export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const err = (s: string) => process.stderr.write(s);
  try {
    const { command, options, positionals } = parse(argv);
    if (options.help || command === undefined) {
      process.stdout.write(HELP);
      return command === undefined && !options.help ? 2 : 0;
    }
    if (command === "merge") return await mergeCommand(positionals.slice(1), options, env, err);
    if (command !== "run")
      throw new UserError(`unknown command "${command}"`, { fix: "Run `eval-gate --help`." });
    return await runCommand(options, env, err);
  } catch (e) {
    if (isUserError(e)) {
      const lines = e instanceof UserErrors ? e.errors.map((x) => x.format()) : [describeError(e)];
      err(`${lines.map((l) => `error: ${l}`).join("\n")}\n`);
      return 2;
    }
    err(`eval-gate failed: ${describeError(e)}\n`);
    return 2;
  }
}

type Options = ReturnType<typeof parse>["options"];

function parse(argv: string[]) {
  try {
    const { values, positionals } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        config: { type: "string", default: "eval-gate.yml" },
        base: { type: "string" },
        json: { type: "string", default: ".eval-gate/report.json" },
        "no-cache": { type: "boolean", default: false },
        "cache-dir": { type: "string", default: ".eval-gate/cache" },
        "fail-on": { type: "string", default: "regression" },
        shard: { type: "string" },
        partial: { type: "string" },
        help: { type: "boolean", short: "h", default: false },
      },
    });
    const failOn = values["fail-on"];
    if (failOn !== "regression" && failOn !== "review" && failOn !== "never") {
      throw new UserError(`--fail-on is "${failOn}"`, { fix: "Use regression, review or never." });
    }
    return { command: positionals[0], positionals, options: { ...values, "fail-on": failOn as FailOn } };
  } catch (e) {
    if (isUserError(e)) throw e;
    throw new UserError((e as Error).message, { fix: "Run `eval-gate --help`." });
  }
}

async function runCommand(
  options: Options,
  env: Record<string, string | undefined>,
  err: (s: string) => void,
) {
  const cwd = process.cwd();
  const root = (await repositoryRoot(cwd)) ?? cwd;
  const configPath = relative(root, resolve(cwd, options.config)).split(sep).join("/");
  let base = null;
  if (options.base) {
    if (!(await repositoryRoot(cwd)))
      throw new UserError("--base needs a git checkout", { fix: "Run it inside your repository." });
    const sha = await resolveCommit(root, options.base);
    base = { source: revisionSource(root, sha), ref: options.base, sha };
  }
  const cache = options["no-cache"] ? undefined : new DiskCache(resolve(cwd, options["cache-dir"]));
  const tty = Boolean(process.stderr.isTTY);
  let last = 0;
  const shard = options.shard ? parseShard(options.shard) : undefined;
  const { report, notes, collected } = await evaluate(
    {
      configPath,
      head: { source: workspaceSource(root), sha: await headSha(root) },
      base,
      env,
      allowedEndpoints: null,
      ...(shard ? { shard } : {}),
    },
    {
      providerFor: (target, config) => makeProvider(target, config, env),
      ...(cache ? { cache } : {}),
      clock: systemClock,
      onProgress: (p) => {
        if (p.kind === "start")
          err(`eval-gate: ${p.total} run(s)${base ? ` on ${options.base} and the working tree` : ""}\n`);
        if (p.kind !== "run") return;
        const now = Date.now();
        if (p.done === p.total || now - last > (tty ? 100 : 2000)) {
          last = now;
          err(tty ? `\r${p.done}/${p.total} runs` : `${p.done}/${p.total} runs\n`);
          if (tty && p.done === p.total) err("\n");
        }
      },
    },
  );
  await cache?.close();
  for (const note of notes) err(`note: ${note}\n`);
  if (shard) {
    const file = resolve(cwd, options.partial ?? `.eval-gate/partial-${shard.index}-of-${shard.count}.json`);
    await writeAtomic(file, JSON.stringify(toPartial(collected, shard)));
    err(
      `shard ${shard.index}/${shard.count}: ${collected.cases.length} case(s); partial result: ${relative(cwd, file)}\n`,
    );
    return report.verdict === "error" ? 2 : 0;
  }
  return finish(report, options, env, err);
}

async function mergeCommand(
  files: string[],
  options: Options,
  env: Record<string, string | undefined>,
  err: (s: string) => void,
) {
  if (files.length === 0)
    throw new UserError("merge needs the partial results", {
      fix: "eval-gate merge .eval-gate/partial-*.json",
    });
  const partials = (await Promise.all(files.map((f) => readPartials(resolve(process.cwd(), f))))).flat();
  const report = buildReport(mergePartials(partials));
  return finish(report, options, env, err);
}

/** Writes the report, prints the table, and turns the verdict into the exit code. */
async function finish(
  report: Report,
  options: Options,
  env: Record<string, string | undefined>,
  err: (s: string) => void,
) {
  const cwd = process.cwd();
  const jsonPath = resolve(cwd, options.json);
  await writeAtomic(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  const color = Boolean(process.stdout.isTTY) && !env.NO_COLOR;
  process.stdout.write(`${renderTerminal(report, { color, width: process.stdout.columns ?? 100 })}\n`);
  err(`report: ${relative(cwd, jsonPath)}\n`);
  if (report.verdict === "error") return 2;
  return checkFails(report.verdict, options["fail-on"]) ? 1 : 0;
}
