// What a run keeps while it runs. Each case is reduced as soon as its last run is in (both sides,
// every sample, the reruns of `repeats: auto` too), and its runs, with their outputs, grades and
// trajectories, are let go: a run holds the runs of the cases in flight, not of the whole set.

import type { RunOf } from "../run/runner.js";
import type { Case, CaseResult, EvalSet, Run, Side } from "../types.js";
import { type ReduceOptions, reduceCase } from "./reduce.js";
import { type RunStat, RunStats } from "./run-stats.js";
import { looksLikeRefusal } from "./usage.js";

/** What the report keeps of one run: its numbers, not its texts. */
export function toRunStat(run: Run): RunStat {
  return {
    side: run.side,
    set: run.set,
    cached: run.cached,
    ...(run.error !== undefined ? { error: run.error } : {}),
    ...(run.usage ? { usage: run.usage } : {}),
    ...(run.latencyMs !== undefined ? { latencyMs: run.latencyMs } : {}),
    ...(run.output !== undefined ? { outputChars: run.output.length } : {}),
    refusal: run.output !== undefined && looksLikeRefusal(run.output, run.refusal),
  };
}

/** Distinct lists shared between cases at most: beyond, the map would cost more than it saves. */
const MAX_SHARED = 10_000;

export interface CollectOptions extends ReduceOptions {
  /** Called with each case as it is reduced; what it returns is kept in its place. */
  keep?: (result: CaseResult) => CaseResult;
}

export class CaseCollector {
  /** The runs of the cases still running, by case index. */
  private readonly pending = new Map<number, Run[]>();
  private readonly results: (CaseResult | undefined)[];
  /** One list per distinct value, shared by the cases that have it: dimensions and their tallies. */
  private readonly lists = new Map<string, unknown[]>();
  readonly stats = new RunStats();

  constructor(
    private readonly sets: EvalSet[],
    private readonly sides: Side[],
    private readonly options: CollectOptions = {},
  ) {
    this.results = new Array(sets.reduce((n, s) => n + s.cases.length, 0));
  }

  /** Runs held now: those of the cases not done yet. */
  get held(): number {
    let n = 0;
    for (const runs of this.pending.values()) n += runs.length;
    return n;
  }

  /** Takes a run; `last` when no run of its case comes after it. */
  add(run: Run, of: RunOf, last: boolean): void {
    const stat = toRunStat(run);
    this.stats.push(of.set.added ? { ...stat, added: true } : stat);
    let runs = this.pending.get(of.index);
    if (!runs) {
      runs = [];
      this.pending.set(of.index, runs);
    }
    runs.push(run);
    if (!last) return;
    this.pending.delete(of.index);
    this.results[of.index] = this.reduce(of.set, of.c, runs);
  }

  /** Every case in plan order; a case that got no run (a run cut short) is reduced from none. */
  cases(): CaseResult[] {
    const out: CaseResult[] = [];
    let index = 0;
    for (const set of this.sets) {
      for (const c of set.cases) {
        out.push(this.results[index] ?? this.reduce(set, c, this.pending.get(index) ?? []));
        index++;
      }
    }
    return out;
  }

  private reduce(set: EvalSet, c: Case, runs: Run[]): CaseResult {
    const result = reduceCase(set, c, runs, this.sides, this.options);
    if (result.dimensions) {
      result.dimensions = this.shared(result.dimensions);
      for (const side of [result.base, result.head]) {
        if (side?.dim_passes) side.dim_passes = this.shared(side.dim_passes);
        if (side?.dim_scores) side.dim_scores = this.shared(side.dim_scores);
      }
    }
    return this.options.keep ? this.options.keep(result) : result;
  }

  /**
   * The list equal to `list` that an earlier case holds, if any: most cases share a few (one
   * grader that passed, once). Past MAX_SHARED distinct lists, new ones are kept as they are.
   */
  private shared<X>(list: X[]): X[] {
    const key = JSON.stringify(list);
    const known = this.lists.get(key);
    if (known) return known as X[];
    if (this.lists.size < MAX_SHARED) this.lists.set(key, list);
    return list;
  }
}
