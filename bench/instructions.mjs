// The CPU a run costs, counted in instructions rather than timed: the same run gives the same count
// within about 1%, however busy or slow the machine is, so a change of a few milliseconds shows
// where wall times vary by tens. Each process runs under valgrind's callgrind, which counts every
// instruction of every thread; the count is cut where the server sees the first request and where
// it answers the last, so the three phases of a run show apart:
//   before   process start to the first request (Node's start, the bundle, config, sets, cache);
//   during   the requests (sending, answers, grading, the cache, results);
//   after    the last answer to the process's exit (statistics, report, summary, exit).
// The bare Node client of `npm run bench` (bench/floor.mjs) is counted the same way beside it.
// Processes under callgrind run about 50 times slower, so this takes about 2 minutes.
//
// `npm run bench:instructions` (builds first; needs valgrind);
// `node bench/instructions.mjs --cases 200 --dist /path/to/other/dist/index.js` to compare a build.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import {
  actionEnv,
  commitPrPrompt,
  flags,
  git,
  makeCases,
  makeRepo,
  prEvent,
  pushEvent,
  root,
} from "./lib.mjs";
import { bundleServer } from "./server.mjs";

const opts = flags();
const N = Number(opts.cases ?? 1000);
const C = 32;
const dist = typeof opts.dist === "string" ? opts.dist : join(root, "dist/index.js");

if (spawnSync("valgrind", ["--version"]).status !== 0) {
  console.error("bench/instructions.mjs needs valgrind (e.g. `apt-get install valgrind`); nothing was run.");
  process.exit(1);
}

const work = mkdtempSync(join(tmpdir(), "eval-gate-bench-instructions-"));
// The suite's server in this process: its answers are where the counts are cut, and its own
// instructions are not counted (only the measured process runs under callgrind).
const { startOpenAIServer, echoLastUser } = await import(pathToFileURL(await bundleServer(work)).href);
let measured = null;
let answered = 0;
let expected = 0;
const cut = (label) => {
  if (measured)
    spawnSync("callgrind_control", [`--dump=${label}`, String(measured.pid)], { stdio: "ignore" });
};
const server = await startOpenAIServer({
  faults: { latencyMs: 20 },
  respond: (req) => {
    answered++;
    if (answered === 1) cut("first-request");
    if (answered === expected) cut("last-answer");
    return echoLastUser(req);
  },
});

/** Runs `args` under callgrind; returns the instructions before the first request, during and after. */
function count(args, options) {
  return new Promise((resolve, reject) => {
    const out = join(work, `callgrind-${Date.now()}`);
    answered = 0;
    measured = spawn(
      "valgrind",
      ["--tool=callgrind", `--callgrind-out-file=${out}.%p`, process.execPath, ...args],
      {
        ...options,
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    measured.stderr.on("data", (d) => {
      stderr += d;
    });
    measured.on("error", reject);
    measured.on("exit", (code) => {
      const pid = measured.pid;
      measured = null;
      const total = Number(/Collected : (\d+)/.exec(stderr)?.[1]);
      // callgrind writes out.PID.1 at the first cut, out.PID.2 at the second, out.PID at exit.
      const parts = new Map();
      for (const file of readdirSync(work).filter((f) => f.startsWith(`${out.split("/").pop()}.${pid}`))) {
        const text = readFileSync(join(work, file), "utf8");
        parts.set(
          file.split(".").length === 2 ? "exit" : file.split(".").pop(),
          Number(/\n(?:summary|totals): (\d+)/.exec(text)?.[1]),
        );
        rmSync(join(work, file));
      }
      if (code !== 0 || !(total > 0) || parts.size !== 3) {
        reject(
          new Error(
            `the run under callgrind failed (exit ${code}, ${parts.size} parts):\n${stderr.slice(-2000)}`,
          ),
        );
        return;
      }
      resolve({ before: parts.get("1"), during: parts.get("2"), after: parts.get("exit"), total });
    });
  });
}

function show(name, c) {
  const m = (x) => (x / 1e6).toFixed(0).padStart(7);
  console.log(`${name.padEnd(34)} ${m(c.before)} ${m(c.during)} ${m(c.after)} ${m(c.total)}`);
}

try {
  console.log(`instructions (millions) under callgrind, node ${process.version}, ${N} cases, ${C} in flight`);
  console.log(
    `${"".padEnd(34)} ${"before".padStart(7)} ${"during".padStart(7)} ${"after".padStart(7)} ${"total".padStart(7)}`,
  );
  expected = N;
  show(
    "bare Node client (floor)",
    await count([join(root, "bench/floor.mjs"), server.url, N, C], {
      cwd: work,
      env: { PATH: process.env.PATH },
    }),
  );

  const repo = makeRepo(work, "repo", makeCases(N), { concurrency: C });
  const cache = `${repo}-response-cache`;
  const run = (event) => {
    const runner = mkdtempSync(join(work, "runner-"));
    const { env } = actionEnv(runner, repo, server.url, event);
    return count([dist], { cwd: repo, env });
  };
  rmSync(cache, { recursive: true, force: true });
  show("cold run (push, head only)", await run(pushEvent));
  // The push's answers stay cached: the PR's base side comes from the cache, its head is new.
  const mainSha = git(repo, "rev-parse", "HEAD");
  commitPrPrompt(repo);
  show("PR run, base side cached", await run(prEvent(mainSha)));
  console.log(
    "\nThe floor sends the same requests with none of the config, grading, cache or report;" +
      "\nits 'before' is Node's own start-up with the http module.",
  );
} finally {
  await server.close();
  rmSync(work, { recursive: true, force: true });
}
