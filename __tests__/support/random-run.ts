/**
 * Random runs for property tests of the report writer: what a run collects (cases, outputs,
 * reasons, errors, judges), drawn from a seeded PRNG so a failure names a seed that reproduces it.
 * Text is hostile on purpose: controls, quotes, markup, multi-byte and astral characters, lone
 * surrogates (optional), and now and then far past every limit of the report.
 */
import type { Collected } from "../../src/core/gate/assemble.js";
import type { RunStat } from "../../src/core/gate/run-stats.js";
import type { DefinitionChanges } from "../../src/core/report-types.js";
import { calibrationStats } from "../../src/core/run/calibration.js";
import type { JudgeTrust } from "../../src/core/run/judges.js";
import type { Behaviour, CaseResult, CaseSideResult, Side } from "../../src/core/types.js";
import type { Rng } from "./prng.js";

const PIECES = [
  "a",
  "refund ",
  "\u0000",
  "\u001b[31m",
  '"',
  "\\",
  "\n",
  "é",
  "中",
  "😀",
  "𝕏",
  "\u202e",
  "<!-- eval-gate:x -->",
  "@team ",
  "#12 ",
  "| --- |",
  "`",
];
const LONE = ["\ud800", "\udfff"];

/** No unpaired surrogate: in `u` mode a pair is one code point, so only a lone half is `Cs`. */
export function wellFormed(text: string): boolean {
  return !/\p{Cs}/u.test(text);
}

export interface TextOptions {
  /** Include unpaired surrogates (which JSON.stringify escapes, and a cut must not create). */
  lone: boolean;
  /** How often a text runs far past its limit (default 0.05). */
  huge?: number;
  /** How often a text is of any length up to its limit (default 0.15); else it is short. */
  long?: number;
}

export class RandomText {
  constructor(
    readonly rng: Rng,
    readonly options: TextOptions,
  ) {}

  int(max: number): number {
    return Math.floor(this.rng() * (max + 1));
  }

  pick<X>(items: readonly X[]): X {
    return items[this.int(items.length - 1)] as X;
  }

  chance(p: number): boolean {
    return this.rng() < p;
  }

  /** About `length` code units of hostile text; long ones repeat a random stretch, for speed. */
  text(length: number): string {
    const pool = this.options.lone ? [...PIECES, ...LONE] : PIECES;
    let stretch = "";
    while (stretch.length < Math.min(length, 500)) stretch += this.pick(pool);
    const text = stretch.repeat(Math.ceil(length / Math.max(1, stretch.length))).slice(0, length);
    // A slice through an emoji would make a lone surrogate the options may not allow.
    const code = text.charCodeAt(text.length - 1);
    return code >= 0xd800 && code <= 0xdbff ? text.slice(0, -1) : text;
  }

  /** Mostly short, sometimes far past `limit`. */
  sized(limit: number): string {
    const r = this.rng();
    const huge = this.options.huge ?? 0.05;
    if (r < huge) return this.text(limit + this.int(limit * 3));
    if (r < huge + (this.options.long ?? 0.15)) return this.text(this.int(limit));
    return this.text(this.int(40));
  }
}

export interface RunShape {
  cases: number;
  /** Distinct slices to spread the cases over (at most one a case). */
  slices: number;
  /** Share of runs that end in error. */
  errorRate: number;
  withBase: boolean;
  /** `text`: expected values are strings only (cheap to draw, for runs of many cases). */
  expected?: "any" | "text";
}

/** A run as `buildReport` takes it, every text drawn from `t`. */
export function randomCollected(t: RandomText, shape: RunShape): Collected {
  const repeats = t.pick([1, 1, 3]);
  const setNames = ["anchor", "rotation", t.sized(200)];
  const cases: CaseResult[] = [];
  const stats: RunStat[] = [];
  // Graders as dimensions: a few shared ones (so slices have rows), now and then a hostile name.
  const dimensionPool = ['contains: "{{expected}}"', "judge: The answer is polite… #a1b2c3", t.sized(300)];
  for (let i = 0; i < shape.cases; i++) {
    const set = t.pick(setNames);
    const dimensions = t.chance(0.7)
      ? [...new Set(Array.from({ length: 1 + t.int(2) }, () => t.pick(dimensionPool)))]
      : [];
    const side = (s: Side): CaseSideResult => {
      let errors = 0;
      let passes = 0;
      for (let k = 0; k < repeats; k++) {
        const error = t.chance(shape.errorRate);
        if (error) errors++;
        else if (t.chance(0.7)) passes++;
        stats.push({
          side: s,
          set,
          cached: t.chance(0.5),
          ...(error ? { error: t.sized(1_000) } : { outputChars: t.int(500), latencyMs: t.int(900) }),
          refusal: t.chance(0.05),
        });
      }
      const runs = repeats - errors;
      return {
        runs,
        passes,
        errors,
        ...(dimensions.length > 0
          ? {
              dim_passes: dimensions.map(() => passes + t.int(runs - passes)),
              dim_scores: dimensions.map(() => (runs > 0 ? t.rng() : 0)),
            }
          : {}),
        ...(runs > 0 ? { behaviour: randomBehaviour(t, runs) } : {}),
      };
    };
    cases.push({
      id: t.chance(0.9) ? `case-${i}` : `${t.sized(300)}-${i}`,
      set,
      slice: t.chance(0.95) ? `slice-${i % Math.max(1, shape.slices)}` : t.sized(200),
      line: i + 1,
      file: t.sized(500),
      base: shape.withBase ? side("base") : null,
      head: side("head"),
      ...(t.chance(0.8) ? { base_output: t.sized(100_000), head_output: t.sized(100_000) } : {}),
      ...(t.chance(0.8) ? { base_reason: t.sized(2_000), head_reason: t.sized(2_000) } : {}),
      ...(t.chance(0.5)
        ? { expected: shape.expected === "text" ? t.sized(100_000) : randomExpected(t) }
        : {}),
      input: t.sized(100_000),
      ...(t.chance(0.1) ? { original: t.sized(300), perturbation: t.sized(100) } : {}),
      // A few clusters of several cases, and now and then a name past the limit.
      ...(t.chance(0.2) ? { cluster: t.chance(0.9) ? `cluster-${t.int(4)}` : t.sized(400) } : {}),
      ...(shape.withBase && t.chance(0.1) ? { new: true } : {}),
      ...(dimensions.length > 0 ? { dimensions } : {}),
    });
  }
  return {
    configPath: t.sized(500),
    sets: setNames.map((name, i) => ({ name, visibility: i === 2 && t.chance(0.3) ? "aggregate" : "full" })),
    gate: {
      mode: t.pick(["statistical", "strict"] as const),
      alpha: 0.05,
      floor: t.chance(0.3) ? 0.8 : null,
      min_slice_n: t.int(20),
      repeats,
      max_error_rate: t.pick([0, 0.1, 1]),
      review_drop: t.pick([0, 0.01, 0.2]),
      drift: t.pick(["report", "fail"] as const),
    },
    prices: { base: null, head: t.chance(0.5) ? { prompt: 0.15, completion: 0.6 } : null },
    notes: Array.from({ length: t.chance(0.1) ? 150 : t.int(3) }, () => t.sized(2_000)),
    base: shape.withBase ? { ref: t.sized(300), sha: t.sized(64) } : null,
    headSha: t.sized(64),
    cases,
    stats,
    ...(t.chance(0.1) ? { aborted: t.sized(2_000) } : {}),
    ...(t.chance(0.3)
      ? { judges: Array.from({ length: t.chance(0.2) ? 130 : t.int(3) }, () => randomJudge(t)) }
      : {}),
    ...(t.chance(0.2) ? { untrustedSlices: cases.slice(0, 3).map((c) => `${c.set}\u0000${c.slice}`) } : {}),
    ...(shape.withBase && t.chance(0.5) ? { definition: randomDefinition(t) } : {}),
  };
}

/** What a case's outputs did: lengths from none to huge, refusals, tool calls, some runs cached. */
function randomBehaviour(t: RandomText, outputs: number): Behaviour {
  const timed = t.int(outputs);
  return {
    outputs,
    chars: outputs * t.pick([0, t.int(500), t.int(300_000)]),
    refusals: t.chance(0.1) ? t.int(outputs) : 0,
    tool_calls: t.chance(0.3) ? t.int(8 * outputs) : 0,
    timed,
    latency_ms: timed * t.int(5_000),
  };
}

/** What a PR changed in the definition: the PR's own names, values and ids, of any size. */
function randomDefinition(t: RandomText): DefinitionChanges {
  const ids = () => Array.from({ length: t.chance(0.1) ? 2_000 : t.int(5) }, () => t.sized(300));
  return {
    source: t.pick(["base", "head"] as const),
    settings: Array.from({ length: t.chance(0.05) ? 12_000 : t.int(4) }, () => ({
      key: t.sized(500),
      base: t.chance(0.2) ? null : t.sized(500),
      head: t.chance(0.2) ? null : t.sized(500),
    })),
    files: Array.from({ length: t.int(3) }, () => ({
      path: t.sized(500),
      change: t.pick(["added", "removed", "changed"] as const),
    })),
    cases: Array.from({ length: t.int(6) }, () => ({
      set: t.sized(200),
      slice: t.sized(200),
      added: t.int(50),
      removed: t.int(50),
      changed: t.int(50),
      ids: t.chance(0.2) ? null : { added: ids(), removed: ids(), changed: ids() },
    })),
  };
}

/** Any JSON: strings, numbers, wide objects, and now and then a deep nest. */
function randomExpected(t: RandomText): unknown {
  const r = t.rng();
  if (r < 0.4) return t.sized(100_000);
  if (r < 0.6) return { label: t.sized(50), score: t.rng(), tags: [t.text(5), null, true] };
  if (r < 0.8) return Array.from({ length: t.int(6_000) }, (_, i) => ({ [`k${i}`]: t.text(3) }));
  let deep: unknown = t.text(4);
  for (let d = t.int(3_000); d > 0; d--) deep = [deep];
  return deep;
}

function randomJudge(t: RandomText): JudgeTrust {
  const pairs = Array.from({ length: t.int(40) }, () => ({ human: t.chance(0.6), judge: t.chance(0.6) }));
  return {
    key: t.sized(20_000),
    rubric: t.sized(20_000),
    model: t.chance(0.5) ? t.sized(200) : null,
    stats: t.chance(0.8) ? calibrationStats(pairs) : null,
    min_kappa: 0.6,
    trusted: t.chance(0.5),
    disagreements: t.int(40),
  };
}
