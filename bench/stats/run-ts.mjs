// Node 20 cannot run TypeScript: this bundles a bench/stats entry with esbuild (a devDependency)
// into a temporary .mjs and runs it with the remaining arguments.
//   node bench/stats/run-ts.mjs bench/stats/gate.ts --prs 500
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error("usage: node bench/stats/run-ts.mjs FILE.ts [args...]");
  process.exit(2);
}
// Inside the checkout, so the bundle's packages (left external) resolve from node_modules.
const cache = fileURLToPath(new URL("../../node_modules/.cache", import.meta.url));
mkdirSync(cache, { recursive: true });
const dir = mkdtempSync(join(cache, "eval-gate-stats-"));
try {
  const out = join(dir, "bench.mjs");
  await build({
    entryPoints: [resolve(entry)],
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node20",
    outfile: out,
    packages: "external",
    logLevel: "warning",
  });
  const { status } = spawnSync(process.execPath, [out, ...args], { stdio: "inherit" });
  process.exitCode = status ?? 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
