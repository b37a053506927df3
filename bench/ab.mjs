// Two or more builds timed against each other in turns, so that a machine that slows down or
// speeds up while they run slows them alike: each round runs the bare client floor, then each
// build's cold run (push, nothing cached) and PR run (base side cached, 1,000 fresh requests),
// and with --noise each build's run against an endpoint answering 30% of requests 429. Prints each
// figure's median over the rounds and its ratio to the floor's median. The server is the suite's,
// in a process of its own, as in `npm run bench`.
//
// `node bench/ab.mjs before=/tmp/old/dist/index.js after=dist/index.js --rounds 6 [--noise]`
// (`git archive <commit> dist | tar -x -C /tmp/old` gives an older build).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  actionEnv,
  commitPrPrompt,
  flags,
  git,
  makeCases,
  makeRepo,
  measure,
  median,
  prEvent,
  pushEvent,
  runFloor,
} from "./lib.mjs";
import { startServer } from "./server.mjs";

const argv = process.argv.slice(2);
const builds = argv
  .filter((a) => !a.startsWith("--") && a.includes("="))
  .map((a) => {
    const [name, file] = [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)];
    return { name, file: resolve(file) };
  });
const opts = flags(argv.filter((a) => a.startsWith("--") || !a.includes("=")));
const rounds = Number(opts.rounds ?? 6);
const N = 1000;
const C = 32;
if (builds.length < 1) {
  console.error("usage: node bench/ab.mjs NAME=path/to/dist/index.js ... [--rounds 6] [--noise]");
  process.exit(2);
}

const work = mkdtempSync(join(tmpdir(), "eval-gate-bench-ab-"));
const server = await startServer(work, { latencyMs: 50 });
const noisy = opts.noise
  ? await startServer(work, { latencyMs: 50, rate429: 0.3, retryAfter: { ms: 50 }, seed: 7 })
  : null;

/** One run of `file` in the checkout `dir` against `url`; its wall time in ms. */
async function run(file, dir, url, event) {
  const runner = mkdtempSync(join(work, "runner-"));
  const { env } = actionEnv(runner, dir, url, event);
  const r = await measure(process.execPath, [file], { cwd: dir, env });
  if (r.code !== 0) throw new Error(`${file} exited ${r.code}:\n${r.stdout}\n${r.stderr}`);
  return r.wall;
}

try {
  for (const b of builds) {
    b.cold = makeRepo(work, `cold-${b.name}`, makeCases(N), { concurrency: C });
    b.pr = makeRepo(work, `pr-${b.name}`, makeCases(N), { concurrency: C });
    await run(b.file, b.pr, server.url, pushEvent);
    b.main = git(b.pr, "rev-parse", "HEAD");
    commitPrPrompt(b.pr);
    b.revision = 0;
    b.walls = { cold: [], pr: [], noise: [] };
  }
  const floors = [];
  for (let round = 0; round < rounds; round++) {
    floors.push(await runFloor(work, server, N, C));
    for (const b of builds) {
      rmSync(`${b.cold}-response-cache`, { recursive: true, force: true });
      b.walls.cold.push(await run(b.file, b.cold, server.url, pushEvent));
      commitPrPrompt(b.pr, `revision ${++b.revision}`);
      b.walls.pr.push(await run(b.file, b.pr, server.url, prEvent(b.main)));
      if (noisy) {
        rmSync(`${b.cold}-response-cache`, { recursive: true, force: true });
        // The same 429s for every build: reset draws the server's faults from its seed again.
        await noisy.reset();
        b.walls.noise.push(await run(b.file, b.cold, noisy.url, pushEvent));
      }
    }
  }
  const floor = median(floors);
  const ideal = (N / ((C * 0.7) / 50)) | 0;
  console.log(
    `${rounds} rounds; bare client floor ${Math.round(floor)} ms (${floors.map(Math.round).join(", ")})`,
  );
  for (const b of builds) {
    for (const [mode, walls] of Object.entries(b.walls)) {
      if (walls.length === 0) continue;
      const m = median(walls);
      const ratio =
        mode === "noise"
          ? `${(ideal / m).toFixed(3)} of the ideal ${ideal} ms`
          : `${(m / floor).toFixed(3)}× the floor`;
      console.log(
        `${b.name.padEnd(10)} ${mode.padEnd(6)} median ${Math.round(m)} ms, ${ratio} (${walls.map(Math.round).join(", ")})`,
      );
    }
  }
} finally {
  await server.close();
  await noisy?.close();
  rmSync(work, { recursive: true, force: true });
}
