// eval-gate beside promptfoo, the most used open-source eval runner, on the same cases against the
// same server (the suite's, in a process of its own; or `--server URL --latency MS`). Each tool
// runs as a process from start to exit. `npm run bench:peer`; promptfoo is installed on first use
// into bench/.peer (outside the project's dependencies: it is ~1.4 GB and only this script needs
// it). `--quick` for a smaller run.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  commitPrPrompt,
  flags,
  git,
  makeCases,
  makeRepo,
  measure,
  median,
  PR_PROMPT,
  prEvent,
  pushEvent,
  root,
  runAction,
  runFloor,
  SYSTEM_PROMPT,
  saveRun,
} from "./lib.mjs";
import { externalServer, startServer } from "./server.mjs";

// The last promptfoo line that runs on Node 20 (0.122 needs Node 22); pinned so runs compare.
const PROMPTFOO = "promptfoo@0.121.20";
const opts = flags();
const quick = Boolean(opts.quick);
const peerDir = join(root, "bench/.peer");
const entry = join(peerDir, "node_modules/promptfoo/dist/src/entrypoint.js");
if (!existsSync(entry)) {
  console.log(`installing ${PROMPTFOO} into bench/.peer (once) ...`);
  mkdirSync(peerDir, { recursive: true });
  writeFileSync(join(peerDir, "package.json"), '{ "private": true }\n');
  execFileSync("npm", ["install", "--no-audit", "--no-fund", "--prefix", peerDir, PROMPTFOO], {
    stdio: "inherit",
  });
}
const version = JSON.parse(
  readFileSync(join(peerDir, "node_modules/promptfoo/package.json"), "utf8"),
).version;

const work = mkdtempSync(join(tmpdir(), "eval-gate-peer-"));

/** A promptfoo project over the same cases: system prompt(s), the user turn, a `contains` assert. */
function promptfooProject(name, cases, serverUrl, prompts) {
  const dir = join(work, name);
  mkdirSync(dir, { recursive: true });
  const tests = cases.map((c) =>
    JSON.stringify({ vars: { input: c.input, expected: c.expected }, metadata: { slice: c.slice } }),
  );
  writeFileSync(join(dir, "tests.jsonl"), `${tests.join("\n")}\n`);
  const chat = (system) =>
    JSON.stringify([
      { role: "system", content: system.trimEnd() },
      { role: "user", content: "{{input}}" },
    ]);
  writeFileSync(
    join(dir, "promptfooconfig.yaml"),
    [
      "prompts:",
      ...prompts.map((p, i) => `  - id: p${i}\n    raw: ${JSON.stringify(chat(p))}`),
      "providers:",
      "  - id: openai:chat:bench-model",
      `    config: { apiBaseUrl: ${JSON.stringify(serverUrl)}, apiKey: sk-bench, temperature: 0 }`,
      "tests: file://tests.jsonl",
      "defaultTest:",
      "  assert: [{ type: contains, value: '{{expected}}' }]",
      "",
    ].join("\n"),
  );
  return dir;
}

/** Runs `promptfoo eval` in `dir` (its cache and database in `state`); returns measure()'s result. */
async function promptfoo(dir, state, concurrency, extra = []) {
  const env = {
    PATH: process.env.PATH,
    HOME: state,
    NO_COLOR: "1",
    PROMPTFOO_DISABLE_TELEMETRY: "1",
    PROMPTFOO_DISABLE_UPDATE: "1",
    PROMPTFOO_DISABLE_SHARING: "1",
    PROMPTFOO_CONFIG_DIR: join(state, "config"),
    PROMPTFOO_CACHE_PATH: join(state, "cache"),
  };
  const args = [
    entry,
    "eval",
    "-c",
    "promptfooconfig.yaml",
    "-j",
    String(concurrency),
    "--no-table",
    "--no-progress-bar",
  ];
  const run = await measure(process.execPath, [...args, ...extra], { cwd: dir, env });
  if (run.code !== 0 && run.code !== 100)
    throw new Error(`promptfoo exited ${run.code}:\n${run.stderr.slice(-2000)}`);
  return run;
}

const rows = [];
function row(figure, ours, theirs, note = "") {
  rows.push({ figure, "eval-gate": ours, promptfoo: theirs, note });
  console.log(`${figure.padEnd(48)} ${String(ours).padStart(12)} ${String(theirs).padStart(12)}  ${note}`);
}

try {
  const N = quick ? 300 : 1000;
  const L = Number(opts.latency ?? 50);
  const C = 32;
  const limit = (N * L) / C;
  const cases = makeCases(N);
  const server = opts.server ? externalServer(opts.server) : await startServer(work, { latencyMs: L });
  console.log(
    `eval-gate beside promptfoo ${version} on ${process.platform}/${process.arch}, node ${process.version}`,
  );
  console.log(`${N} cases, ${L} ms latency, concurrency ${C}; limit N·L/C = ${Math.round(limit)} ms\n`);
  console.log(`${"figure".padEnd(48)} ${"eval-gate".padStart(12)} ${"promptfoo".padStart(12)}`);
  const ratio = (ms) => `${(ms / limit).toFixed(2)}×`;

  // Cold runs, each from an empty cache, each with the floor beside it: the same requests from a
  // bare Node client, no tool, run right before or after eval-gate's (the order alternates), so
  // that a machine slowing down for a while slows both of a pair. The ratios are taken per run.
  const runs = quick ? 1 : 3;
  const floorRun = () => runFloor(work, server, N, C);
  const ourCold = [];
  const theirCold = [];
  const floors = [];
  let repo;
  let pfDir;
  let pfState;
  for (let i = 0; i < runs; i++) {
    repo = makeRepo(work, `eg-${i}`, cases, { concurrency: C });
    if (i % 2 === 1) floors.push(await floorRun());
    await server.reset();
    ourCold.push((await runAction(work, repo, server.url, pushEvent)).wall);
    if (i % 2 === 0) floors.push(await floorRun());
    pfDir = promptfooProject(`pf-${i}`, cases, server.url, [SYSTEM_PROMPT]);
    pfState = join(work, `pf-state-${i}`);
    theirCold.push((await promptfoo(pfDir, pfState, C)).wall);
  }
  const oc = median(ourCold);
  const tc = median(theirCold);
  row(`cold run, ${N} cases (ms, median of ${runs})`, Math.round(oc), Math.round(tc));
  row("cold run ÷ N·L/C", ratio(oc), ratio(tc), "the limit is 1.00×; the target ≤ 1.3×");
  const floor = median(floors);
  row(
    "the same requests from a bare Node client (ms)",
    Math.round(floor),
    Math.round(floor),
    `the floor for both tools, median of ${runs}`,
  );
  // Per run: each tool's cold run over the floor run beside eval-gate's; the median of the runs.
  const overFloor = (walls) => `${median(walls.map((w, i) => w / floors[i])).toFixed(2)}×`;
  row(
    "cold run ÷ bare client floor",
    overFloor(ourCold),
    overFloor(theirCold),
    `median of ${runs} runs, each over its own floor run; eval-gate's target ≤ 1.15×`,
  );

  // The same cases again, every answer in the tool's own cache.
  await server.reset();
  const ourWarm = await runAction(work, repo, server.url, pushEvent);
  const theirWarm = await promptfoo(pfDir, pfState, C);
  const warmSeen = (await server.stats())?.total;
  row(
    "cached rerun (ms)",
    Math.round(ourWarm.wall),
    Math.round(theirWarm.wall),
    warmSeen === undefined ? "" : `the server saw ${warmSeen} requests`,
  );

  // A PR after the push: base and head prompts on the same cases, the base's answers cached.
  const mainSha = git(repo, "rev-parse", "HEAD");
  commitPrPrompt(repo);
  await server.reset();
  const ourPr = await runAction(work, repo, server.url, prEvent(mainSha));
  const ourPaid = (await server.stats())?.total ?? ourPr.report.usage.requests;
  const pfPr = promptfooProject("pf-pr", cases, server.url, [SYSTEM_PROMPT, PR_PROMPT]);
  await server.reset();
  const pfPrOut = join(work, "pf-pr.json");
  await promptfoo(pfPr, pfState, C, ["-o", pfPrOut]);
  // Without the server's counter (`--server`), the answers promptfoo did not take from its cache.
  const theirPaid =
    (await server.stats())?.total ??
    JSON.parse(readFileSync(pfPrOut, "utf8")).results.results.filter((r) => !r.response?.cached).length;
  row("PR after a push: requests sent", ourPaid, theirPaid, `${N} is one side`);
  await server.close();

  // A server that allows R requests/s and answers 429 beyond.
  const R = 200;
  const limited = await startServer(work, { latencyMs: L, requestsPerSecond: R });
  const rlCases = makeCases(quick ? 400 : 1000);
  const rlRepo = makeRepo(work, "eg-rl", rlCases, { concurrency: 64 });
  const ourRl = await runAction(work, rlRepo, limited.url, pushEvent);
  const ourErr = ourRl.report.errors.runs;
  await limited.reset();
  const pfRl = promptfooProject("pf-rl", rlCases, limited.url, [SYSTEM_PROMPT]);
  const theirRl = await promptfoo(pfRl, join(work, "pf-rl-state"), 64, ["-o", join(work, "pf-rl.json")]);
  const theirStats = JSON.parse(readFileSync(join(work, "pf-rl.json"), "utf8")).results.stats;
  const rate = (n, ms) => Math.round((n / ms) * 1000);
  row(
    `throughput under a ${R} req/s limit (req/s)`,
    rate(rlCases.length, ourRl.wall),
    rate(rlCases.length, theirRl.wall),
    `errors: eval-gate ${ourErr}, promptfoo ${theirStats.errors}`,
  );
  await limited.close();

  // Peak memory on 10,000 cases against a fast server.
  const bigN = quick ? 3000 : 10000;
  const bigCases = makeCases(bigN);
  const fast = await startServer(work, { latencyMs: 2 });
  const ourBig = await runAction(
    work,
    makeRepo(work, "eg-big", bigCases, { concurrency: 64 }),
    fast.url,
    pushEvent,
  );
  const theirBig = await promptfoo(
    promptfooProject("pf-big", bigCases, fast.url, [SYSTEM_PROMPT]),
    join(work, "pf-big-state"),
    64,
  );
  row(
    `peak RSS, ${bigN} cases (MB)`,
    Math.round(ourBig.peakMB),
    Math.round(theirBig.peakMB),
    `wall: eval-gate ${(ourBig.wall / 1000).toFixed(1)} s, promptfoo ${(theirBig.wall / 1000).toFixed(1)} s`,
  );
  await fast.close();

  // Start-up: eval-gate failing fast on an empty workspace; promptfoo printing its version.
  const empty = join(work, "empty");
  mkdirSync(empty);
  git(empty, "init", "-q");
  const ours = [];
  const theirs = [];
  for (let i = 0; i < 5; i++) {
    ours.push(
      (
        await measure(process.execPath, [join(root, "dist/index.js")], {
          cwd: empty,
          env: { PATH: process.env.PATH, GITHUB_WORKSPACE: empty },
        })
      ).wall,
    );
    theirs.push(
      (
        await measure(process.execPath, [entry, "--version"], {
          cwd: empty,
          env: {
            PATH: process.env.PATH,
            HOME: empty,
            PROMPTFOO_DISABLE_TELEMETRY: "1",
            PROMPTFOO_DISABLE_UPDATE: "1",
          },
        })
      ).wall,
    );
  }
  const bare = [];
  for (let i = 0; i < 5; i++)
    bare.push(
      (await measure(process.execPath, ["-e", ""], { cwd: empty, env: { PATH: process.env.PATH } })).wall,
    );
  row(
    "start-up (ms, median of 5)",
    Math.round(median(ours)),
    Math.round(median(theirs)),
    `bare \`node -e ""\` here: ${Math.round(median(bare))} ms`,
  );
  row('bare `node -e ""` start-up (ms, median of 5)', Math.round(median(bare)), Math.round(median(bare)));

  saveRun("peer", { node: process.version, promptfoo: version, quick, rows });
} finally {
  rmSync(work, { recursive: true, force: true });
}
