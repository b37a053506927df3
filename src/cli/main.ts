import { relative, resolve, sep } from "node:path";
import { parseArgs } from "node:util";
import { DiskCache } from "../adapters/disk-cache.js";
import { writeAtomic } from "../adapters/files.js";
import { headSha, repositoryRoot, resolveCommit, revisionSource, workspaceSource } from "../adapters/git.js";
import { makeProvider } from "../adapters/providers.js";
import { describeError, isUserError, UserError, UserErrors } from "../core/errors.js";
import { evaluate } from "../core/evaluate.js";
import { systemClock } from "../core/ports.js";
import { renderTerminal } from "../core/render/terminal.js";
import { checkFails } from "../core/report.js";

type FailOn = "regression" | "review" | "never";

const HELP = `eval-gate: gate a change on your own LLM eval set, per slice.

Usage:
  eval-gate run [--config eval-gate.yml] [--base REF] [--json FILE] [--no-cache]
                [--cache-dir DIR] [--fail-on regression|review|never]

  run     Runs the eval set on the working tree (head) and, with --base, on the target
          files as they are at REF (base), then compares them per slice.

Options:
  --config FILE    the config file (default: eval-gate.yml)
  --base REF       a git ref or SHA to compare against (default: head only)
  --json FILE      where to write the JSON report (default: .eval-gate/report.json)
  --no-cache       ask every response fresh instead of using the on-disk cache
  --cache-dir DIR  the response cache (default: .eval-gate/cache)
  --fail-on WHEN   regression (default), review or never
  -h, --help       this help

Exit codes: 0 pass or review, 1 fail, 2 error (bad config or input, unreachable provider).
`;

/** The CLI: the same pipeline as the action, a terminal table, progress on stderr. Returns the exit code. */
export async function main(argv: string[], env: Record<string, string | undefined>): Promise<number> {
  const err = (s: string) => process.stderr.write(s);
  try {
    const { command, options } = parse(argv);
    if (options.help || command === undefined) {
      process.stdout.write(HELP);
      return command === undefined && !options.help ? 2 : 0;
    }
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
        help: { type: "boolean", short: "h", default: false },
      },
    });
    const failOn = values["fail-on"];
    if (failOn !== "regression" && failOn !== "review" && failOn !== "never") {
      throw new UserError(`--fail-on is "${failOn}"`, { fix: "Use regression, review or never." });
    }
    return { command: positionals[0], options: { ...values, "fail-on": failOn as FailOn } };
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
  const { report, notes } = await evaluate(
    {
      configPath,
      head: { source: workspaceSource(root), sha: await headSha(root) },
      base,
      env,
      allowedEndpoints: null,
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
  const jsonPath = resolve(cwd, options.json);
  await writeAtomic(jsonPath, `${JSON.stringify(report, null, 2)}\n`);
  const color = Boolean(process.stdout.isTTY) && !env.NO_COLOR;
  process.stdout.write(`${renderTerminal(report, { color, width: process.stdout.columns ?? 100 })}\n`);
  err(`report: ${relative(cwd, jsonPath)}\n`);
  if (report.verdict === "error") return 2;
  return checkFails(report.verdict, options["fail-on"]) ? 1 : 0;
}
