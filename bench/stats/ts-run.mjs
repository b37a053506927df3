// Runs a TypeScript benchmark of bench/stats under Node 20, which cannot run .ts itself: bundles it
// with esbuild (a devDependency) to a temporary .mjs, then runs it with the arguments after the
// file. `node bench/stats/ts-run.mjs [--skip-ci] bench/stats/adaptive.ts --prs 200`
// --skip-ci bundles bench/stats/skip-ci.ts in place of the bootstrap interval (see there).
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { build } from "esbuild";

const argv = process.argv.slice(2);
const skipCi = argv[0] === "--skip-ci";
const [entry, ...args] = skipCi ? argv.slice(1) : argv;
const here = import.meta.dirname;
if (!entry) {
  console.error("usage: node bench/stats/ts-run.mjs FILE.ts [args...]");
  process.exit(2);
}
/** Resolves the stats module's `./bootstrap.js` to the stand-in. */
const skipBootstrap = {
  name: "skip-ci",
  setup(b) {
    b.onResolve({ filter: /^\.\/bootstrap\.js$/ }, (args) =>
      args.importer.endsWith(join("src", "core", "stats", "index.ts"))
        ? { path: join(here, "skip-ci.ts") }
        : undefined,
    );
  },
};

const dir = mkdtempSync(join(tmpdir(), "eval-gate-bench-stats-"));
try {
  const out = join(dir, "bench.mjs");
  // The code under test has no npm dependency on this path; keep any that appear external.
  await build({
    entryPoints: [resolve(entry)],
    bundle: true,
    platform: "node",
    format: "esm",
    outfile: out,
    packages: "external",
    logLevel: "warning",
    plugins: skipCi ? [skipBootstrap] : [],
  });
  const env = { ...process.env, ...(skipCi ? { EVAL_GATE_BENCH_SKIP_CI: "1" } : {}) };
  const { status } = spawnSync(process.execPath, [out, ...args], {
    stdio: "inherit",
    cwd: process.cwd(),
    env,
  });
  process.exitCode = status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
