// Rate limits told apart from quota noise: runs the bundled action (dist/index.js) as the Actions
// runner does against the suite's server in a process of its own, in three scenarios, and prints
// achieved throughput beside the ideal:
//   cap    a true limit of R requests/s (429 with retry-after-ms beyond it): ideal R;
//   noise  P of the requests answered 429 (retry-after 50 ms) at random, at L ms latency, C in
//          flight: ideal C·(1−P)/L cases/s (every slot busy, each case taking 1/(1−P) attempts);
//   spent  every request answered 429: the run must end in a reported fault, never a pass.
// `npm run bench:429` (builds first); `node bench/rate-limits.mjs --only noise --cases 500`.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { flags, line, makeCases, makeRepo, pushEvent, runAction, saveRun } from "./lib.mjs";
import { startServer } from "./server.mjs";

const opts = flags();
const N = Number(opts.cases ?? 1000);
const L = Number(opts.latency ?? 50);
const R = Number(opts.rps ?? 200);
const P = Number(opts.p429 ?? 0.3);
const only = typeof opts.only === "string" ? opts.only.split(",") : ["cap", "noise", "spent"];
const work = mkdtempSync(join(tmpdir(), "eval-gate-bench-429-"));
let failed = 0;
const results = [];

/** One run of the action against a server with `faults`; returns wall, report and the server's counts. */
async function scenario(name, faults, concurrency, cases) {
  const server = await startServer(work, faults);
  try {
    const repo = makeRepo(work, name, makeCases(cases), { concurrency });
    const run = await runAction(work, repo, server.url, pushEvent);
    const stats = await server.stats();
    return { ...run, stats };
  } finally {
    await server.close();
  }
}

function show(figure) {
  if (figure.ok === false) failed++;
  results.push(figure);
  console.log(line(figure));
}

try {
  console.log(
    `eval-gate rate-limit benchmark on ${process.platform}/${process.arch}, node ${process.version}\n`,
  );

  if (only.includes("cap")) {
    const C = 64;
    const run = await scenario("cap", { latencyMs: L, requestsPerSecond: R }, C, N);
    const rate = (run.report.usage.requests / run.wall) * 1000;
    const errors = run.report.errors.runs;
    show({
      name: `cap: ${N} cases, ${R} req/s allowed, ${C} in flight`,
      value: Math.round(rate),
      unit: "req/s",
      limit: `≥ 0.9 × ideal ${R} = ${0.9 * R}`,
      ok: rate >= 0.9 * R && errors === 0,
      note: `${(rate / R).toFixed(2)} of ideal; ${errors} errors; ${Math.round(run.wall)} ms; ${run.stats.byStatus[429] ?? 0} 429s`,
    });
  }

  if (only.includes("noise")) {
    const C = 32;
    const faults = { latencyMs: L, rate429: P, retryAfter: { ms: 50 }, seed: 7 };
    const run = await scenario("noise", faults, C, N);
    const rate = (N / run.wall) * 1000;
    const ideal = (C * (1 - P) * 1000) / L;
    const errors = run.report.errors.runs;
    // The requests alone, without the process's start and report: first request to last answer.
    const span = run.stats.lastAt - run.stats.firstAt + L;
    show({
      name: `noise: ${N} cases, ${Math.round(P * 100)}% random 429s, ${L} ms, ${C} in flight`,
      value: Math.round(rate),
      unit: "case/s",
      limit: `≥ 0.7 × ideal ${Math.round(ideal)} = ${Math.round(0.7 * ideal)}`,
      ok: rate >= 0.7 * ideal && errors === 0,
      note: `${(rate / ideal).toFixed(2)} of ideal; ${errors} errors; ${Math.round(run.wall)} ms, requests ${Math.round(span)} ms (ideal ${Math.round((N / ideal) * 1000)} ms); ${run.stats.byStatus[429] ?? 0} 429s of ${run.stats.total}`,
    });
    show({
      name: "  noise: share of the ideal",
      value: (rate / ideal).toFixed(2),
      unit: "×",
      limit: "≥ 0.7",
      ok: rate / ideal >= 0.7,
    });
  }

  if (only.includes("spent")) {
    const C = 32;
    const cases = Math.min(N, 200);
    const faults = { latencyMs: L, rate429: 1, retryAfter: { ms: 50 } };
    const run = await scenario("spent", faults, C, cases);
    const verdict = run.report.verdict;
    const why = run.report.errors.causes[0] ?? run.report.reasons[0] ?? "";
    show({
      name: `spent: ${cases} cases, every request answered 429`,
      value: verdict,
      unit: "",
      limit: "verdict error, step failed",
      ok: verdict === "error" && run.code !== 0,
      note: `exit ${run.code}; ${Math.round(run.wall)} ms; ${run.stats.total} requests${why ? `; ${String(why).slice(0, 120)}` : ""}`,
    });
  }

  saveRun("429", { node: process.version, quick: only.length < 3 || N !== 1000, results });
  console.log(failed === 0 ? "\nall targets met" : `\n${failed} target(s) missed`);
  process.exitCode = failed === 0 ? 0 : 1;
} finally {
  rmSync(work, { recursive: true, force: true });
}
