// The performance benchmark: runs the bundled action (dist/index.js) as the Actions runner does,
// against an OpenAI-compatible server in a process of its own on 127.0.0.1, and prints each figure
// beside its limit. `npm run bench` (builds first); `node bench/run.mjs --quick` for a smaller
// run; `--server URL --latency MS` points the latency-bound figures at a server you run yourself;
// `--big` adds the peak memory of a 100,000-case run (about 35 s more).

import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  commitPrPrompt,
  flags,
  git,
  line,
  makeCases,
  makeRepo,
  measure,
  median,
  prEvent,
  pushEvent,
  root,
  runAction,
  runFloor,
  saveRun,
} from "./lib.mjs";
import { externalServer, startServer } from "./server.mjs";

const opts = flags();
const quick = Boolean(opts.quick);
const work = mkdtempSync(join(tmpdir(), "eval-gate-bench-"));
const results = [];
function report(figure) {
  results.push(figure);
  console.log(line(figure));
}

try {
  const N = quick ? 300 : 1000;
  const L = Number(opts.latency ?? 50);
  const C = 32;
  const COLD_RUNS = quick ? 1 : 5;
  const server = opts.server ? externalServer(opts.server) : await startServer(work, { latencyMs: L });
  console.log(`eval-gate benchmark on ${process.platform}/${process.arch}, node ${process.version}`);
  console.log(
    `server: ${opts.server ? `${opts.server} (yours)` : "the suite's, in a process of its own"}, ${L} ms\n`,
  );

  // 1. Cold runs: N cases, no cache, L ms per request, C in flight; each in a fresh repository.
  // Each is paired with the floor, a bare client sending the same requests to the same server as a
  // process, run right after it: a machine that slows down for a while slows both of a pair, so
  // the ratio is taken per pair, and the median of the pairs' ratios is the figure.
  const limit = (N * L) / C;
  const floorRun = () => runFloor(work, server, N, C);
  const colds = [];
  const floors = [];
  let repo;
  for (let i = 0; i < COLD_RUNS; i++) {
    repo = makeRepo(work, `cold-${i}`, makeCases(N), { concurrency: C });
    // Which of a pair goes first alternates, so neither always meets the machine as the other left it.
    if (i % 2 === 1) floors.push(await floorRun());
    await server.reset();
    const cold = await runAction(work, repo, server.url, pushEvent);
    if (cold.report.usage.requests !== N)
      throw new Error(`cold run made ${cold.report.usage.requests} requests`);
    colds.push(cold.wall);
    if (i % 2 === 0) floors.push(await floorRun());
  }
  const coldMedian = median(colds);
  report({
    name: `cold run, ${N} cases (push, head only)`,
    value: Math.round(coldMedian),
    unit: "ms",
    limit: `≤ 1.3 × N·L/C = ${Math.round(1.3 * limit)} ms`,
    ok: coldMedian / limit <= 1.3,
    note: `${(coldMedian / limit).toFixed(2)}× the limit ${Math.round(limit)} ms; median of ${COLD_RUNS}: ${colds.map((x) => Math.round(x)).join(", ")} ms`,
  });
  const floor = median(floors);
  report({
    name: "  the same requests from a bare Node client",
    value: Math.round(floor),
    unit: "ms",
    limit: "(no grading, config or cache: the floor here)",
    ok: null,
    note: `${(floor / limit).toFixed(2)}× N·L/C; median of ${COLD_RUNS}: ${floors.map((x) => Math.round(x)).join(", ")} ms`,
  });
  const coldRatios = colds.map((x, i) => x / floors[i]);
  const coldRatio = median(coldRatios);
  report({
    name: "  cold run ÷ bare client floor",
    value: coldRatio.toFixed(2),
    unit: "×",
    limit: "≤ 1.15",
    ok: coldRatio <= 1.15,
    note: `median of ${COLD_RUNS} pairs: ${coldRatios.map((x) => x.toFixed(2)).join(", ")}; eval-gate adds ${Math.round(coldMedian - floor)} ms to the same requests`,
  });

  // 2. The same run again: everything from the on-disk cache.
  await server.reset();
  const warm = await runAction(work, repo, server.url, pushEvent);
  const warmAsked = warm.report.usage.requests;
  report({
    name: `cached rerun, ${N} cases`,
    value: Math.round(warm.wall),
    unit: "ms",
    limit: "< 1000 ms",
    ok: warm.wall < 1000 && warmAsked === 0,
    note: `${warmAsked} requests sent`,
  });

  // 3. A PR after that push: the base side is main's prompt (cached); only the head side is asked.
  // Each of the runs changes the PR's prompt again, so its head side is never cached.
  const mainSha = git(repo, "rev-parse", "HEAD");
  commitPrPrompt(repo);
  const prWalls = [];
  const prFloors = [];
  let pr;
  const paid = [];
  const seen = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    if (i > 0) commitPrPrompt(repo, `revision ${i}`);
    if (i % 2 === 1) prFloors.push(await floorRun());
    await server.reset();
    pr = await runAction(work, repo, server.url, prEvent(mainSha));
    paid.push(pr.report.usage.requests);
    seen.push((await server.stats())?.total);
    prWalls.push(pr.wall);
    if (i % 2 === 0) prFloors.push(await floorRun());
  }
  report({
    name: "PR after a push: requests made",
    value: Math.max(...paid),
    unit: "req",
    limit: `= ${N} (one side)`,
    ok: paid.every((x) => x === N) && seen.every((x) => x === undefined || x === N),
    note: `each of ${COLD_RUNS} PR runs: ${paid.join(", ")} requests; ${pr.report.usage.cached} of ${pr.report.usage.cached + pr.report.usage.requests} from cache${seen[0] !== undefined ? `; the server saw ${seen.join(", ")}` : ""}`,
  });
  const prRatios = prWalls.map((x, i) => x / prFloors[i]);
  const prRatio = median(prRatios);
  report({
    name: "  PR run (base cached) ÷ bare client floor",
    value: prRatio.toFixed(2),
    unit: "×",
    limit: "≤ 1.2",
    ok: prRatio <= 1.2,
    note: `median of ${COLD_RUNS} pairs: ${prRatios.map((x) => x.toFixed(2)).join(", ")}; PR runs ${prWalls.map((x) => Math.round(x)).join(", ")} ms`,
  });
  await server.close();

  // 4. A rate-limited server: R requests/s, 429 beyond; adaptive concurrency should hold ~R.
  const R = 200;
  const limited = await startServer(work, { latencyMs: L, requestsPerSecond: R });
  const rl = makeRepo(work, "ratelimit", makeCases(quick ? 400 : 1000), { concurrency: 64 });
  const rlRun = await runAction(work, rl, limited.url, pushEvent);
  const rate = (rlRun.report.usage.requests / rlRun.wall) * 1000;
  const s429 = (await limited.stats()).byStatus[429] ?? 0;
  report({
    name: `throughput under a ${R} req/s limit`,
    value: Math.round(rate),
    unit: "req/s",
    limit: `≥ 0.9·R = ${0.9 * R}`,
    ok: rate >= 0.9 * R && rlRun.report.errors.runs === 0,
    note: `${rlRun.report.errors.runs} errors, ${s429} 429s answered`,
  });
  await limited.close();

  // 5. Peak memory of the whole process: 10,000 cases, and with --big also 100,000 (about 35 s
  // more). The cost a case is the peak over the process's own start-up (the bundle loaded, no run).
  const bare = join(work, "bare");
  mkdirSync(bare);
  git(bare, "init", "-q");
  const startup = await measure(process.execPath, [join(root, "dist/index.js")], {
    cwd: bare,
    env: { PATH: process.env.PATH, GITHUB_WORKSPACE: bare },
  });
  const fast = await startServer(work, { latencyMs: 2 });
  const sizes = quick ? [3000] : opts.big ? [10000, 100000] : [10000];
  for (const n of sizes) {
    const big = makeRepo(work, `big-${n}`, makeCases(n), { concurrency: 64 });
    const bigRun = await runAction(work, big, fast.url, pushEvent);
    const limit = n > 10000 ? 300 : 120;
    report({
      name: `peak RSS, ${n} cases`,
      value: Math.round(bigRun.peakMB),
      unit: "MB",
      limit: `< ${limit} MB`,
      ok: bigRun.peakMB < limit,
      note: `${Math.round(bigRun.wall)} ms wall`,
    });
    const perCase = ((bigRun.peakMB - startup.peakMB) * 1024) / n;
    report({
      name: `  memory a case, ${n} cases`,
      value: Number(perCase.toFixed(2)),
      unit: "KB",
      limit: "(peak − start-up) / N",
      ok: null,
      note: `start-up ${Math.round(startup.peakMB)} MB`,
    });
  }
  if (!opts.big && !quick) console.log("  (--big adds 100,000 cases: < 300 MB, about 35 s)");
  await fast.close();

  // 6. Cold start: the bundle loading and failing fast on a workspace with no config.
  const empty = join(work, "empty");
  mkdirSync(empty);
  git(empty, "init", "-q");
  const starts = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    spawnSync(process.execPath, [join(root, "dist/index.js")], {
      cwd: empty,
      stdio: "ignore",
      env: { PATH: process.env.PATH, GITHUB_WORKSPACE: empty },
    });
    starts.push(performance.now() - t);
  }
  const start = median(starts);
  const bareStarts = [];
  for (let i = 0; i < 7; i++) {
    const t = performance.now();
    spawnSync(process.execPath, ["-e", ""], { cwd: empty, stdio: "ignore", env: { PATH: process.env.PATH } });
    bareStarts.push(performance.now() - t);
  }
  const bareStart = median(bareStarts);
  report({
    name: "dist/index.js cold start (median of 7)",
    value: Math.round(start),
    unit: "ms",
    limit: "< 300 ms",
    ok: start < 300,
    note: `bare \`node -e ""\` here: ${Math.round(bareStart)} ms; eval-gate adds ${Math.round(start - bareStart)} ms`,
  });
  report({
    name: '  bare `node -e ""` start-up (median of 7)',
    value: Math.round(bareStart),
    unit: "ms",
    limit: "(Node alone on this machine)",
    ok: null,
  });

  saveRun("run", {
    node: process.version,
    quick,
    big: Boolean(opts.big),
    server: opts.server ?? "suite",
    setup: { cases: N, latency_ms: L, concurrency: C },
    results,
  });
  const failed = results.filter((r) => r.ok === false);
  console.log(failed.length === 0 ? "\nall targets met" : `\n${failed.length} target(s) missed`);
  process.exitCode = failed.length === 0 ? 0 : 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
