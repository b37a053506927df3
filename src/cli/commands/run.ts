import { relative, resolve, sep } from "node:path";
import type { DiskCache } from "../../adapters/cache/disk-cache.js";
import { writeAtomic } from "../../adapters/files/files.js";
import {
  headSha,
  repositoryRoot,
  resolveCommit,
  revisionSource,
  workspaceSource,
} from "../../adapters/files/git.js";
import { graderSetup } from "../../adapters/graders/grader-setup.js";
import { type Interrupt, listenForInterrupt } from "../../adapters/process/interrupt.js";
import { makeProvider } from "../../adapters/providers/providers.js";
import { UserError } from "../../core/errors.js";
import { evaluate } from "../../core/evaluate.js";
import { parseShard, toPartial } from "../../core/gate/shard.js";
import { systemClock } from "../../core/ports.js";
import { unlabelledWarnings } from "../../core/report/render/unlabelled.js";
import { closeLocalCache, openLocalCache } from "../cache.js";
import { type Command, type CommandContext, failOnOption, formatOption, listOption } from "../command.js";
import { finish } from "../finish.js";

export const runCommand: Command = {
  name: "run",
  summary: "run the eval set on the working tree and, with --base, on a git ref; compare per slice",
  usage:
    "[--config eval-gate.yml] [--base REF] [--json FILE] [--no-cache] [--cache-dir DIR]\n                [--fail-on regression|review|never] [--shard i/N [--partial FILE]]\n                [--set NAME] [--slice NAME] [--case ID] [--format table|markdown|json] [--junit FILE]",
  help: [
    "  --config FILE     the config file (default: eval-gate.yml)",
    "  --base REF        a git ref or SHA to compare against; its target files are read with git",
    "                    (default: the head side only)",
    "  --json FILE       where to write the JSON report (default: .eval-gate/report.json)",
    "  --no-cache        ask every response fresh instead of using the on-disk cache",
    "  --cache-dir DIR   the response cache (default: .eval-gate/cache)",
    "  --fail-on WHEN    regression (default), review or never",
    "  --shard i/N       run the i-th of N deterministic shares and write a partial result",
    "  --partial FILE    where a shard writes it (default: .eval-gate/partial-i-of-N.json)",
    "  --set NAME        run only these sets (repeat the option, or separate with commas)",
    "  --slice NAME      run only these slices",
    "  --case ID         run only these case ids",
    "  --format FORMAT   stdout: table (default; colour on a terminal unless NO_COLOR is set),",
    "                    markdown (the job summary's text) or json (the report)",
    "  --junit FILE      also write the results as JUnit XML (one testcase per case, failing on head only)",
    "",
    "Exit codes: 0 pass or review, 1 fail, 2 error (bad config or input, unreachable provider),",
    "130 interrupted (Ctrl-C; 143 for SIGTERM): the answers received so far stay in the cache.",
  ].join("\n"),
  options: {
    config: { type: "string", default: "eval-gate.yml" },
    base: { type: "string" },
    json: { type: "string", default: ".eval-gate/report.json" },
    "no-cache": { type: "boolean", default: false },
    "cache-dir": { type: "string", default: ".eval-gate/cache" },
    "fail-on": { type: "string", default: "regression" },
    shard: { type: "string" },
    partial: { type: "string" },
    set: { type: "string", multiple: true },
    slice: { type: "string", multiple: true },
    case: { type: "string", multiple: true },
    format: { type: "string", default: "table" },
    junit: { type: "string" },
  },
  async run({ values }, ctx) {
    const v = values as Record<string, string | boolean | undefined>;
    const failOn = failOnOption(v["fail-on"]);
    const format = formatOption(v.format);
    const filter = {
      sets: listOption(values.set),
      slices: listOption(values.slice),
      cases: listOption(values.case),
    };
    const inRepo = await repositoryRoot(ctx.cwd);
    const root = inRepo ?? ctx.cwd;
    const configPath = relative(root, resolve(ctx.cwd, v.config as string))
      .split(sep)
      .join("/");
    let base = null;
    if (typeof v.base === "string") {
      if (!inRepo)
        throw new UserError("--base needs a git checkout", { fix: "Run it inside your repository." });
      const sha = await resolveCommit(root, v.base);
      base = { source: revisionSource(root, sha), ref: v.base, sha };
    }
    const cache = v["no-cache"] ? undefined : await openLocalCache(root, v["cache-dir"] as string, ctx.cwd);
    const shard = typeof v.shard === "string" ? parseShard(v.shard) : undefined;
    const tty = Boolean(process.stderr.isTTY);
    let last = 0;
    const interrupt = listenForInterrupt();
    const evaluation = await evaluate(
      {
        configPath,
        head: { source: workspaceSource(root), sha: await headSha(root) },
        base,
        env: ctx.env,
        allowedEndpoints: null,
        ...(shard ? { shard } : {}),
        filter,
      },
      {
        providerFor: (target, config) => makeProvider(target, config, ctx.env),
        graders: graderSetup({
          env: ctx.env,
          repoRoot: root,
          ...(cache ? { cache } : {}),
        }),
        ...(cache ? { cache } : {}),
        clock: systemClock,
        onProgress: (p) => {
          if (p.kind === "start")
            ctx.err(`eval-gate: ${p.total} run(s)${base ? ` on ${v.base} and the working tree` : ""}\n`);
          if (p.kind !== "run") return;
          const now = Date.now();
          if (p.done === p.total || now - last > (tty ? 100 : 2000)) {
            last = now;
            ctx.err(tty ? `\r${p.done}/${p.total} runs` : `${p.done}/${p.total} runs\n`);
            if (tty && p.done === p.total) ctx.err("\n");
          }
        },
        signal: interrupt.signal,
      },
    )
      // A git or grader process that shared the Ctrl-C fails too: the interrupt is the cause.
      .catch((e) => {
        if (interrupt.received) return null;
        throw e;
      })
      .finally(() => interrupt.dispose());
    if (evaluation === null || (interrupt.received && evaluation.collected.aborted))
      return cancelled(interrupt, cache, ctx);
    const { report, notes, warnings, collected } = evaluation;
    await closeLocalCache(cache, ctx);
    for (const note of notes) ctx.err(`${warnings.includes(note) ? "warning" : "note"}: ${note}\n`);
    for (const w of unlabelledWarnings(report)) ctx.err(`warning: ${w}\n`);
    if (shard) {
      const file = resolve(
        ctx.cwd,
        (v.partial as string | undefined) ?? `.eval-gate/partial-${shard.index}-of-${shard.count}.json`,
      );
      await writeAtomic(file, JSON.stringify(toPartial(collected, shard)));
      ctx.err(
        `shard ${shard.index}/${shard.count}: ${collected.cases.length} case(s); partial result: ${relative(ctx.cwd, file)}\n`,
      );
      return report.verdict === "error" ? 2 : 0;
    }
    const junit = typeof v.junit === "string" ? { junit: v.junit } : {};
    return finish(report, { json: v.json as string, failOn, format, ...junit }, ctx);
  },
};

/** No report from a part of the cases: what came is flushed to the cache, and the exit code says why. */
async function cancelled(interrupt: Interrupt, cache: DiskCache | undefined, ctx: CommandContext) {
  await cache?.close();
  const kept = cache
    ? `${cache.writes} new answer(s) kept in ${relative(ctx.cwd, cache.dir) || "."}; a rerun asks only for the rest`
    : "--no-cache: the answers received are not kept";
  ctx.err(`\ncancelled: ${kept}\n`);
  if (cache?.problem) ctx.err(`warning: ${cache.problem}\n`);
  return interrupt.exitCode;
}
