// `npm run bench:stats`: what `repeats: auto` buys, by simulation through the gate's own code
// (the runner's rerun rule `rerunSelected`, then compareSlices and decideVerdict), against single
// runs, `repeats: 2` (what 2× the requests buy spread evenly) and `repeats: 3`; and auto with
// `max_repeats: 8`. The noise model is in adaptive-noise.ts. A PR has 5 slices of 60 cases,
// alpha 0.05 over all of them (Holm); a drop PR drops one slice. Printed per design: the share of
// null PRs that fail (family-wise false-fail rate), the share of drop PRs whose dropped slice is
// `regressed` (power), and requests per PR relative to single runs.
//
// Two designs that must not be used are measured beside them, to show what the check catches:
// a one-sided rerun rule ("again while head looks better") and peeking (run every case again and
// test after each round, up to 5 looks, failing at the first look that fails: sequential testing
// without alpha spending).
//
// Flags: --prs N (PRs per cell, default 1000: ±1.1 points on a power of 85%), --seed S.

import { compareSlices } from "../../src/core/gate/compare.js";
import type { GateOptions } from "../../src/core/gate/options.js";
import { decideVerdict } from "../../src/core/gate/verdict.js";
import type { SliceDiff } from "../../src/core/report-types.js";
import { DEFAULT_MAX_REPEATS, rerunSelected } from "../../src/core/run/adaptive.js";
import type { CaseResult, CaseSideResult } from "../../src/core/types.js";
import { BASE_RATE, type Change, CONCENTRATION, type Rng, rng, sliceRates } from "./adaptive-noise.js";

const SLICES = 5;
const CASES = 60;
const ALPHA = 0.05;
const SETS = [{ name: "anchor", visibility: "full" as const }];

type Tally = { runs: number; passes: number };
type Rule = (base: Tally, head: Tally, rounds: number, max: number) => boolean;

interface Design {
  name: string;
  /** The runs of one case, both sides, given its per-request pass rates. */
  runCase(p: { base: number; head: number }, random: Rng): { base: CaseSideResult; head: CaseSideResult };
  /** compareSlices' `repeats`: pass^k only, 1 under auto. */
  repeats: number;
}

function fixed(k: number): Design {
  return {
    name: k === 1 ? "single run" : `repeats ${k}`,
    repeats: k,
    runCase: (p, random) => adaptiveCase(p, random, () => true, k),
  };
}

function adaptive(name: string, rule: Rule, max = DEFAULT_MAX_REPEATS): Design {
  return { name, repeats: 1, runCase: (p, random) => adaptiveCase(p, random, rule, max) };
}

/** Rounds of one run a side, as RunQueue schedules them: again while `rule` says so. */
function adaptiveCase(p: { base: number; head: number }, random: Rng, rule: Rule, max: number) {
  const base = { runs: 0, passes: 0, errors: 0 };
  const head = { runs: 0, passes: 0, errors: 0 };
  do {
    base.runs++;
    head.runs++;
    if (random() < p.base) base.passes++;
    if (random() < p.head) head.passes++;
  } while (base.runs < max && rule(base, head, base.runs, max));
  return { base, head };
}

/** The opposite of the gate's symmetric rule: rechecks only what looks better on head. */
const oneSided: Rule = (b, h, rounds, max) => rounds < max && h.passes * b.runs > b.passes * h.runs;

function judge(cases: CaseResult[], repeats: number): { slices: SliceDiff[]; fail: boolean } {
  const gate: GateOptions = { mode: "statistical", alpha: ALPHA, floor: null, min_slice_n: 12, repeats };
  const slices = compareSlices(SETS, cases, gate);
  const { verdict } = decideVerdict({ slices, errorRate: 0, maxErrorRate: 0, errorRuns: 0, hasBase: true });
  return { slices, fail: verdict === "fail" };
}

interface Outcome {
  fail: boolean;
  detected: boolean;
  requests: number;
}

function pr(design: Design, drop: number, change: Change, random: Rng): Outcome {
  const cases: CaseResult[] = [];
  let requests = 0;
  for (let s = 0; s < SLICES; s++) {
    sliceRates(CASES, s === 0 ? drop : 0, change, random).forEach((p, i) => {
      const { base, head } = design.runCase(p, random);
      requests += base.runs + head.runs;
      cases.push({ id: `c${i}`, set: "anchor", slice: `s${s}`, line: i + 1, base, head });
    });
  }
  const { slices, fail } = judge(cases, design.repeats);
  const dropped = slices.find((d) => d.slice === "s0");
  return { fail, detected: dropped?.status === "regressed", requests };
}

/** Every case one more run a side per look, tested after each; fails at the first look that fails. */
function peekingPr(looks: number, random: Rng): Outcome {
  const rates = Array.from({ length: SLICES }, () => sliceRates(CASES, 0, "broken", random));
  const tallies = rates.map((slice) =>
    slice.map(() => ({ base: { runs: 0, passes: 0, errors: 0 }, head: { runs: 0, passes: 0, errors: 0 } })),
  );
  for (let look = 1; look <= looks; look++) {
    const cases: CaseResult[] = [];
    for (let s = 0; s < SLICES; s++) {
      for (let i = 0; i < CASES; i++) {
        const p = rates[s]?.[i] as { base: number; head: number };
        const t = tallies[s]?.[i] as { base: CaseSideResult; head: CaseSideResult };
        t.base.runs++;
        t.head.runs++;
        if (random() < p.base) t.base.passes++;
        if (random() < p.head) t.head.passes++;
        cases.push({
          id: `c${i}`,
          set: "anchor",
          slice: `s${s}`,
          line: i + 1,
          base: { ...t.base },
          head: { ...t.head },
        });
      }
    }
    if (judge(cases, look).fail) return { fail: true, detected: false, requests: 2 * look * SLICES * CASES };
  }
  return { fail: false, detected: false, requests: 2 * looks * SLICES * CASES };
}

function cell(prs: number, run: (random: Rng) => Outcome, seed: number) {
  const random = rng(seed);
  let fails = 0;
  let detected = 0;
  let requests = 0;
  for (let i = 0; i < prs; i++) {
    const o = run(random);
    fails += Number(o.fail);
    detected += Number(o.detected);
    requests += o.requests;
  }
  return { fail: fails / prs, power: detected / prs, cost: requests / prs / (2 * SLICES * CASES) };
}

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}

const prs = flag("prs", 1000);
const seed = flag("seed", 1);
const started = performance.now();
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const se = (x: number) => `±${(100 * Math.sqrt((x * (1 - x)) / prs)).toFixed(1)}`;

console.log(
  `eval-gate adaptive repeats: ${prs} PRs per cell, ${SLICES} slices × ${CASES} cases, alpha ${ALPHA} (Holm), ` +
    `base rate ${BASE_RATE}, per-case rates Beta(${CONCENTRATION}·r, ${CONCENTRATION}·(1−r)), seed ${seed}\n`,
);
const header = [
  "design",
  "null false-fail",
  "power −5",
  "power −10",
  "power −15",
  "−15 diffuse",
  "requests null",
  "requests −15",
  "requests −15 diffuse",
];
console.log(`| ${header.join(" | ")} |\n|${header.map(() => "---").join("|")}|`);
const designs = [
  fixed(1),
  fixed(2),
  fixed(3),
  adaptive(`auto (max ${DEFAULT_MAX_REPEATS})`, rerunSelected),
  adaptive("auto (max 8)", rerunSelected, 8),
];
designs.forEach((design, d) => {
  const at = (drop: number, change: Change, k: number) =>
    cell(prs, (random) => pr(design, drop, change, random), seed * 1000 + d * 100 + k);
  const none = at(0, "broken", 0);
  const [five, ten, fifteen] = [0.05, 0.1, 0.15].map((drop, k) => at(drop, "broken", k + 1));
  const diffuse = at(0.15, "diffuse", 9);
  const f = fifteen as ReturnType<typeof cell>;
  console.log(
    `| ${design.name} | ${pct(none.fail)} ${se(none.fail)} | ${pct(five?.power ?? 0)} | ${pct(ten?.power ?? 0)} | ` +
      `${pct(f.power)} ${se(f.power)} | ${pct(diffuse.power)} | ${none.cost.toFixed(2)}× | ${f.cost.toFixed(2)}× | ${diffuse.cost.toFixed(2)}× |`,
  );
});
console.log("\nDesigns that break the test's guarantee, for contrast (null PRs):\n");
const skew = cell(prs, (random) => pr(adaptive("", oneSided), 0, "broken", random), seed * 1000 + 700);
console.log(
  `- one-sided rerun rule (again while head looks better): false-fail ${pct(skew.fail)} ${se(skew.fail)}, ${skew.cost.toFixed(2)}× requests`,
);
const peek = cell(prs, (random) => peekingPr(DEFAULT_MAX_REPEATS, random), seed * 1000 + 800);
console.log(
  `- peeking (all cases again and a test after each of ${DEFAULT_MAX_REPEATS} rounds, no alpha spending): false-fail ${pct(peek.fail)} ${se(peek.fail)}, ${peek.cost.toFixed(2)}× requests`,
);
console.log(`\n(${((performance.now() - started) / 1000).toFixed(1)} s)`);
