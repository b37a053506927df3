// `npm run bench:stats:e2e`: the adaptive-repeats simulation, end to end. N null PRs and N PRs that
// drop one slice by 15 points run through the bundled action (dist/index.js) as the Actions runner
// runs it, against the suite's OpenAI-compatible server on 127.0.0.1 with a noisy model: a case is
// answered right with its own probability per request, drawn from a generator seeded by the request
// (__tests__/support/noisy-model.ts), and the cases' probabilities follow bench/stats/adaptive-noise.ts.
// A PR has 5 slices of 60 cases; its head changes only the system prompt, which moves the model.
// Prints the verdicts, how often the dropped slice is `regressed`, and requests per PR.
//
// Flags: --prs N (each kind, default 20), --repeats auto|K (default auto), --seed S, --drop D.

import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { build } from "esbuild";

const root = fileURLToPath(new URL("../..", import.meta.url));
const flag = (name, fallback) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? process.argv[at + 1] : fallback;
};
const PRS = Number(flag("prs", 20));
const REPEATS = flag("repeats", "auto");
const SEED = Number(flag("seed", 1));
const DROP = Number(flag("drop", 0.15));
const SLICES = 5;
const CASES = 60;

// The suite's TypeScript helpers, bundled once for plain node.
const work = mkdtempSync(join(tmpdir(), "eval-gate-bench-e2e-"));
const lib = join(work, "lib.mjs");
await build({
  stdin: {
    contents: [
      'export * from "./__tests__/support/openai-server.ts";',
      'export * from "./__tests__/support/git-repo.ts";',
      'export * from "./__tests__/support/noisy-model.ts";',
      'export { runAction } from "./__tests__/e2e/harness.ts";',
      'export { rng, sliceRates } from "./bench/stats/adaptive-noise.ts";',
    ].join("\n"),
    resolveDir: root,
    loader: "ts",
  },
  bundle: true,
  platform: "node",
  format: "esm",
  outfile: lib,
  packages: "external",
  // The harness finds dist/ from its own folder, which the bundle has left.
  define: { "import.meta.dirname": JSON.stringify(join(root, "__tests__", "e2e")) },
  logLevel: "warning",
});
const h = await import(pathToFileURL(lib).href);

const worlds = new Map();
const server = await h.startOpenAIServer({ respond: h.noisyModel(worlds) });
const random = h.rng(SEED);

function files(world, side) {
  const cases = [];
  for (let s = 0; s < SLICES; s++) {
    for (let i = 0; i < CASES; i++) {
      const id = `s${s}-c${i}`;
      cases.push(JSON.stringify({ id, slice: `s${s}`, input: h.caseInput(id), expected: h.expectedOf(id) }));
    }
  }
  return {
    "eval-gate.yml": [
      "version: 1",
      "target: { model: noisy, system: prompts/system.md, params: { temperature: 1 } }",
      "sets: { anchor: evals/anchor.jsonl }",
      `repeats: ${REPEATS}`,
      "concurrency: 16",
      'graders: [{ type: contains, value: "{{expected}}" }]',
      "",
    ].join("\n"),
    "evals/anchor.jsonl": `${cases.join("\n")}\n`,
    "prompts/system.md": h.systemPrompt(world, side),
  };
}

/** One PR in a world of its own: slice s0 drops by `drop`, the others stay. */
async function pr(name, drop) {
  const rates = new Map();
  for (let s = 0; s < SLICES; s++) {
    h.sliceRates(CASES, s === 0 ? drop : 0, "broken", random).forEach((p, i) => {
      rates.set(`s${s}-c${i}`, p);
    });
  }
  worlds.set(name, (id, side) => rates.get(id)?.[side] ?? 0);
  const { repo, baseSha, headSha } = await h.makePullRequestRepo({
    base: files(name, "base"),
    head: { "prompts/system.md": h.systemPrompt(name, "head") },
  });
  const run = await h.runAction({
    workspace: repo.dir,
    eventName: "pull_request",
    event: h.pullRequestEvent({ baseSha, headSha, number: 1 }),
    env: { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: "sk-bench" },
    inputs: { comment: "false" },
  });
  repo.cleanup();
  const asked = server.requests().filter((r) => h.worldOf(r.body)?.world === name).length;
  server.clearRequests();
  if (!run.report) throw new Error(`no report for ${name}:\n${run.stdout.slice(-2000)}`);
  if (run.report.usage.requests !== asked)
    throw new Error(`${name}: the report counts ${run.report.usage.requests} requests, the server ${asked}`);
  const s0 = run.report.slices.find((s) => s.slice === "s0");
  return { verdict: run.outputs.verdict, detected: s0?.status === "regressed", requests: asked };
}

function summary(label, results) {
  const count = (v) => results.filter((r) => r.verdict === v).length;
  const requests = results.reduce((n, r) => n + r.requests, 0) / results.length;
  const single = 2 * SLICES * CASES;
  const detected = results.filter((r) => r.detected).length;
  return `| ${label} | ${count("pass")} | ${count("review")} | ${count("fail")} | ${count("error")} | ${detected}/${results.length} | ${Math.round(requests)} (${(requests / single).toFixed(2)}×) |`;
}

const started = performance.now();
try {
  const nulls = [];
  const drops = [];
  for (let i = 0; i < PRS; i++) {
    nulls.push(await pr(`null-${SEED}-${i}`, 0));
    drops.push(await pr(`drop-${SEED}-${i}`, DROP));
    process.stderr.write(`\r${2 * (i + 1)}/${2 * PRS} PRs`);
  }
  process.stderr.write("\n");
  console.log(
    `eval-gate end to end, dist/index.js: repeats ${REPEATS}, ${SLICES} slices × ${CASES} cases, seed ${SEED}\n`,
  );
  console.log("| PRs | pass | review | fail | error | s0 regressed | requests per PR (× single run) |");
  console.log("|---|---|---|---|---|---|---|");
  console.log(summary(`${PRS} null`, nulls));
  console.log(summary(`${PRS} drop ${Math.round(DROP * 100)} pts`, drops));
  console.log(`\n(${((performance.now() - started) / 1000).toFixed(0)} s)`);
} finally {
  await server.close();
  h.cleanupAll();
  rmSync(work, { recursive: true, force: true });
}
