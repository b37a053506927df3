// The gate's error rates and power by simulation, through compareSlices and decideVerdict on
// simulated PRs (noise model: core.ts). Prints a Markdown table; the README's is this output.
//   npm run bench:stats -- [--prs 400] [--seed 1]
// Each cell is a share of simulated PRs; its Monte Carlo standard error is at most sqrt(0.25/prs).
// The same simulated cases are judged under each gate setting of a row group (floor on and off,
// Tarone on and off), so the differences between those rows are not Monte Carlo noise.
import { parseArgs } from "node:util";
import { type Design, judge, type Noise, requestsOf, rng, simulateCases, simulatePr } from "./core.js";

const { values } = parseArgs({
  options: { prs: { type: "string", default: "400" }, seed: { type: "string", default: "1" } },
});
const prs = Number(values.prs);
const seed = Number(values.seed);

const NOISE: Record<string, Noise> = {
  mixed: { base: 0.9, concentration: 2, flip: 0.02 },
  flaky: { base: 0.9, concentration: 20, flip: 0 },
};
const COLUMNS = [
  { noise: "mixed", repeats: 1 },
  { noise: "mixed", repeats: 3 },
  { noise: "mixed", repeats: "auto" },
  { noise: "flaky", repeats: 1 },
  { noise: "flaky", repeats: 3 },
  { noise: "flaky", repeats: "auto" },
] as const;
const FLOOR = 0.85;

type Cells = Record<string, string>;

function share(hits: number): string {
  return `${((100 * hits) / prs).toFixed(1)}%`;
}

function column(noiseName: keyof typeof NOISE, repeats: Design["repeats"], seedOffset: number): Cells {
  const noise = NOISE[noiseName] as Noise;
  const design: Design = { slices: 5, cases: 60, repeats, noise, gate: {} };
  const random = rng(seed * 1000 + seedOffset);
  const count = { fail: 0, failFloor: 0, review: 0, reviewFloor: 0, failNoTarone: 0, requests: 0 };
  const mdes: number[] = [];
  for (let i = 0; i < prs; i++) {
    const cases = simulateCases(design, random);
    count.requests += requestsOf(cases);
    const plain = judge(design, cases);
    const floor = judge({ ...design, gate: { floor: FLOOR } }, cases);
    const noTarone = judge({ ...design, gate: { tarone: false } }, cases);
    if (plain.verdict === "fail") count.fail++;
    if (plain.verdict === "review") count.review++;
    if (floor.verdict === "fail") count.failFloor++;
    if (floor.verdict === "review") count.reviewFloor++;
    if (noTarone.verdict === "fail") count.failNoTarone++;
    mdes.push(plain.slices[0]?.mde ?? 1);
  }
  const caught = (drop: number, gate: Design["gate"] = {}) => {
    let hits = 0;
    for (let i = 0; i < prs; i++) {
      if (simulatePr({ ...design, drop, gate }, random).slices[0]?.status === "regressed") hits++;
    }
    return hits;
  };
  const mde = mdes.sort((a, b) => a - b)[Math.floor(mdes.length / 2)] as number;
  // Tarone on and off on the same PRs: one simulation, judged twice.
  let drop15 = 0;
  let drop15NoTarone = 0;
  let requests15 = 0;
  const at15: Design = { ...design, drop: 0.15 };
  for (let i = 0; i < prs; i++) {
    const cases = simulateCases(at15, random);
    requests15 += requestsOf(cases);
    if (judge(at15, cases).slices[0]?.status === "regressed") drop15++;
    if (judge({ ...at15, gate: { tarone: false } }, cases).slices[0]?.status === "regressed")
      drop15NoTarone++;
  }
  return {
    fail: share(count.fail),
    failFloor: share(count.failFloor),
    review: share(count.review),
    reviewFloor: share(count.reviewFloor),
    drop5: share(caught(0.05)),
    drop10: share(caught(0.1)),
    drop15: share(drop15),
    mde: `${(100 * mde).toFixed(1)} pts`,
    atMde: share(caught(mde)),
    failNoTarone: share(count.failNoTarone),
    drop15NoTarone: share(drop15NoTarone),
    ...clustered(noise, repeats, random),
    requests: `${Math.round(count.requests / prs)} · ${Math.round(requests15 / prs)}`,
  };
}

/** One slice of 15 originals with 4 variants each, whose runs share their draw 90% of the time. */
function clustered(noise: Noise, repeats: Design["repeats"], random: () => number): Cells {
  const design: Design = {
    slices: 1,
    cases: 60,
    repeats,
    noise,
    gate: {},
    clusters: { size: 4, shared: 0.9 },
  };
  let used = 0;
  let ignored = 0;
  for (let i = 0; i < prs; i++) {
    const cases = simulateCases(design, random);
    if (judge(design, cases).slices[0]?.status === "regressed") used++;
    const unlabelled = cases.map(({ original: _o, perturbation: _p, ...c }) => c);
    if (judge(design, unlabelled).slices[0]?.status === "regressed") ignored++;
  }
  return { clusterUsed: share(used), clusterIgnored: share(ignored) };
}

const ROWS: [string, string][] = [
  ["fail", "null PR fails (family-wise false-fail rate), no floor"],
  ["failFloor", `null PR fails, floor ${FLOOR}`],
  ["review", "null PR gets `review`, no floor"],
  ["reviewFloor", `null PR gets \`review\`, floor ${FLOOR}`],
  ["drop5", "5-point drop on one slice: slice regressed"],
  ["drop10", "10-point drop: slice regressed"],
  ["drop15", "15-point drop: slice regressed"],
  ["mde", "MDE the report shows (median over null PRs)"],
  ["atMde", "a drop of that MDE: slice regressed (target 80%)"],
  ["failNoTarone", "Tarone off: null PR fails"],
  ["drop15NoTarone", "Tarone off: 15-point drop regressed"],
  ["clusterUsed", "clustered variants, null: slice regressed (α 5%)"],
  ["clusterIgnored", "the same, clusters ignored (before)"],
  ["requests", "requests per PR: null · 15-point drop (single runs: 600)"],
];

const started = Date.now();
const cells = COLUMNS.map((c, i) => column(c.noise, c.repeats, i));
const header = COLUMNS.map((c) => `${c.repeats === 1 ? "single runs" : `repeats ${c.repeats}`}, ${c.noise}`);
const lines = [
  `| ${["", ...header].join(" | ")} |`,
  `| ${["---", ...header.map(() => "---:")].join(" | ")} |`,
  ...ROWS.map(([key, label]) => `| ${[label, ...cells.map((c) => c[key] ?? "")].join(" | ")} |`),
];
console.log(lines.join("\n"));
console.log(
  `\n${prs} simulated PRs a cell (Monte Carlo standard error at most ${(50 / Math.sqrt(prs)).toFixed(1)} points; ` +
    `about 1 point at 5%), seed ${seed}, ${((Date.now() - started) / 1000).toFixed(0)} s. ` +
    "5 slices of 60 cases, base 0.9, alpha 0.05; mixed: κ = 2, flip 0.02; flaky: κ = 20, flip 0 (bench/stats/core.ts).",
);
