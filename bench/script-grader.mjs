// The cost of one script grade, before (worker threads, the runner as of a git revision) and after
// (the runner in src/): cold (a fresh runner's first grade: start-up and module load included) and
// warm (grades on a started runner, one at a time and 16 in flight).
// `node bench/script-grader.mjs [--before REV] [--calls N] [--colds N] [--rounds N]`; runs in seconds.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";
import { build } from "esbuild";
import { flags, git, root } from "./lib.mjs";

const options = flags();
const calls = Number(options.calls ?? 2000);
const colds = Number(options.colds ?? 7);
const rounds = Number(options.rounds ?? 3);
const work = mkdtempSync(join(tmpdir(), "eval-gate-bench-script-"));
const RUNNER = "src/adapters/scripts/script-runner.ts";
const OLD_RUNNER = "src/adapters/script-runner.ts";

/** The last revision whose runner used worker threads: the parent of the commit that dropped them. */
function beforeRevision() {
  if (typeof options.before === "string") return options.before;
  const dropped = git(root, "log", "-1", "--format=%H", "-S", "new Worker(", "--", RUNNER, OLD_RUNNER);
  return dropped ? `${dropped}^` : "HEAD";
}

/** Bundles one version of the script runner (RUNNER) into a module of its own and imports it. */
async function loadRunner(name, source) {
  const out = await build({
    stdin: {
      contents: source,
      resolveDir: join(root, dirname(RUNNER)),
      sourcefile: "script-runner.ts",
      loader: "ts",
    },
    bundle: true,
    platform: "node",
    format: "esm",
    write: false,
    logLevel: "warning",
  });
  const file = join(work, `${name}.mjs`);
  writeFileSync(file, out.outputFiles[0].text);
  return import(pathToFileURL(file).href);
}

const repo = join(work, "repo");
mkdirSync(join(repo, "graders"), { recursive: true });
const script = join(repo, "graders", "grade.mjs");
writeFileSync(
  script,
  "export function grade({ case: c, output }) { return { pass: output.includes(c.expected), reason: 'checked' }; }\n",
);
const args = {
  case: { id: "c1", expected: "refund" },
  output: "Your refund is on its way.",
  toolCalls: [],
  trajectory: [],
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function measure({ createScriptRunner }) {
  const make = () => createScriptRunner({ readableRoot: repo, log: () => {} });
  const cold = [];
  for (let i = 0; i < colds; i++) {
    const runner = make();
    const t = performance.now();
    await runner.run(script, "grade", args, 10_000);
    cold.push(performance.now() - t);
    await runner.close();
  }
  const runner = make();
  for (let i = 0; i < 200; i++) await runner.run(script, "grade", args, 10_000);
  let t = performance.now();
  for (let i = 0; i < calls; i++) await runner.run(script, "grade", args, 10_000);
  const sequential = (performance.now() - t) / calls;
  t = performance.now();
  let next = 0;
  const lane = async () => {
    while (next++ < calls) await runner.run(script, "grade", args, 10_000);
  };
  await Promise.all(Array.from({ length: 16 }, lane));
  const inFlight = (performance.now() - t) / calls;
  await runner.close();
  return { cold: median(cold), sequential, inFlight };
}

const revision = beforeRevision();
const runners = [];
try {
  // Before src/adapters was grouped by port, the runner sat at OLD_RUNNER.
  const show = (path) =>
    execFileSync("git", ["show", `${revision}:${path}`], { cwd: root, encoding: "utf8" });
  let old;
  try {
    old = show(RUNNER);
  } catch {
    old = show(OLD_RUNNER);
  }
  const name = `before (${git(root, "rev-parse", "--short", revision)}, worker threads)`;
  runners.push([name, await loadRunner("before", old)]);
} catch (e) {
  console.log(`before: no runner at ${revision} (${e.message.split("\n")[0]})`);
}
const now = readFileSync(join(root, RUNNER), "utf8");
runners.push(["after (work tree, child processes)", await loadRunner("after", now)]);

// Rounds alternate the runners, so that neither gets the machine's quiet or busy moments alone.
const results = runners.map(() => []);
for (let round = 0; round < rounds; round++) {
  for (const [i, [, module]] of runners.entries()) results[i].push(await measure(module));
}

const range = (xs, unit, scale = 1) => {
  const sorted = xs.map((x) => x * scale).sort((a, b) => a - b);
  const digits = unit === "ms" ? 1 : 0;
  return `${median(sorted).toFixed(digits)} ${unit} (${sorted[0].toFixed(digits)}–${sorted.at(-1).toFixed(digits)})`;
};
console.log(
  `Node ${process.version}, ${calls} warm grades of a one-line script per round, median (range) of ${rounds} rounds`,
);
console.log(
  "runner".padEnd(40),
  "cold first grade".padEnd(26),
  "warm, 1 at a time".padEnd(22),
  "warm, 16 in flight",
);
for (const [i, [name]] of runners.entries()) {
  const r = results[i];
  console.log(
    name.padEnd(40),
    range(
      r.map((x) => x.cold),
      "ms",
    ).padEnd(26),
    range(
      r.map((x) => x.sequential),
      "µs",
      1000,
    ).padEnd(22),
    range(
      r.map((x) => x.inFlight),
      "µs",
      1000,
    ),
  );
}
rmSync(work, { recursive: true, force: true });
