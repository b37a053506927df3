// `eval-gate sample`: production traces in, a first draft of an eval set out (seed 000 §2-§3).
// Stratified by slice, deliberately skewed towards the traces that went badly (95% of traffic is
// easy, and a set drawn at its natural rate hides exactly the failures it exists to catch), with
// near-duplicates and cases already in a set left out, and reproducible from its seed.

import { createRng, seedFromString } from "../stats/index.js";
import { type NearDuplicateOptions, NearDuplicates } from "../text/words.js";
import { type Allocation, apportion } from "./allocate.js";
import type { Trace } from "./traces.js";

/** A case some set already holds: its id is taken, and its text is not drawn again. */
export interface ExistingCase {
  set: string;
  id: string;
  text: string;
}

export interface SlicePool {
  hard: Trace[];
  easy: Trace[];
}

export interface Screened {
  /** Usable traces per slice, in file order; slices in name order. */
  pools: Map<string, SlicePool>;
  /** Dropped as the same as an earlier trace (same id, or near-duplicate text). */
  duplicates: number;
  /** Dropped as a near-duplicate of a case some set already holds. */
  nearExisting: number;
  /** Dropped because a set already holds a case with the trace's id. */
  excluded: number;
}

function byName(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Leaves out what must not be drawn: ids any set holds, a second trace with an id already seen,
 * and near-duplicates of an existing case or of an earlier trace. The first of a group of
 * near-duplicate traces stays, and is hard when any of the group is (the retry of a question that
 * went badly is the same hard case).
 */
export function screenTraces(
  traces: readonly Trace[],
  existing: readonly ExistingCase[],
  options: NearDuplicateOptions = {},
): Screened {
  const taken = new Set(existing.map((e) => e.id));
  const finder = new NearDuplicates([...existing.map((e) => e.text), ...traces.map((t) => t.text)], options);
  existing.forEach((_, i) => {
    finder.add(i);
  });
  const offset = existing.length;
  const seenIds = new Set<string>();
  const kept = new Map<number, Trace>();
  let duplicates = 0;
  let nearExisting = 0;
  let excluded = 0;
  traces.forEach((t, i) => {
    if (taken.has(t.id)) {
      excluded++;
      return;
    }
    if (seenIds.has(t.id)) {
      duplicates++;
      return;
    }
    seenIds.add(t.id);
    const matches = finder.matches(offset + i);
    if (matches.some((m) => m.index < offset)) {
      nearExisting++;
      return;
    }
    const first = matches[0];
    if (first) {
      duplicates++;
      const keeper = kept.get(first.index - offset) as Trace;
      if (t.hard) {
        keeper.hard = true;
        keeper.hardBecause = [...new Set([...keeper.hardBecause, ...t.hardBecause])];
      }
      return;
    }
    finder.add(offset + i);
    kept.set(i, { ...t, hardBecause: [...t.hardBecause] });
  });
  const pools = new Map<string, SlicePool>();
  for (const t of [...kept.values()].sort((a, b) => a.line - b.line)) {
    let pool = pools.get(t.slice);
    if (!pool) {
      pool = { hard: [], easy: [] };
      pools.set(t.slice, pool);
    }
    (t.hard ? pool.hard : pool.easy).push(t);
  }
  const sorted = new Map([...pools.entries()].sort((a, b) => byName(a[0], b[0])));
  return { pools: sorted, duplicates, nearExisting, excluded };
}

/** `m` of `items`, uniformly without replacement (a partial Fisher-Yates shuffle). */
export function choose<T>(items: readonly T[], m: number, rng: () => number): T[] {
  const a = [...items];
  const take = Math.min(m, a.length);
  for (let i = 0; i < take; i++) {
    const j = i + Math.floor(rng() * (a.length - i));
    [a[i], a[j]] = [a[j] as T, a[i] as T];
  }
  return a.slice(0, take);
}

/** A seeded stream of its own for each use and slice, so one slice's draw never moves another's. */
export function streamFor(seed: number, ...parts: string[]): () => number {
  return createRng(seedFromString(`${seed}\u0000${parts.join("\u0000")}`));
}

export interface Drawn {
  slice: string;
  traces: Trace[];
  hard: number;
}

/**
 * Draws `counts` traces per slice, `hardShare` of them hard overall: the hard total is spread over
 * the slices in proportion to their counts (largest remainder), moved to other slices where one
 * has too few hard traces, and topped up with hard traces where one has too few easy ones.
 */
export function drawStratified(
  pools: ReadonlyMap<string, SlicePool>,
  counts: ReadonlyMap<string, number>,
  hardShare: number,
  seed: number,
  salt: string,
): { drawn: Drawn[]; hardTarget: number } {
  const slices = [...counts.keys()].filter((s) => (counts.get(s) ?? 0) > 0).sort(byName);
  const total = slices.reduce((n, s) => n + (counts.get(s) as number), 0);
  const hardTarget = Math.round(hardShare * total);
  const hardCounts = apportion(
    hardTarget,
    slices.map((s) => {
      const pool = pools.get(s) as SlicePool;
      const k = counts.get(s) as number;
      return {
        key: s,
        weight: k,
        min: Math.max(0, k - pool.easy.length),
        max: Math.min(k, pool.hard.length),
      };
    }),
  );
  const drawn = slices.map((slice, i) => {
    const pool = pools.get(slice) as SlicePool;
    const k = counts.get(slice) as number;
    const h = (hardCounts[i] as Allocation).count;
    const picked = [
      ...choose(pool.hard, h, streamFor(seed, salt, slice, "hard")),
      ...choose(pool.easy, k - h, streamFor(seed, salt, slice, "easy")),
    ].sort((a, b) => a.line - b.line);
    return { slice, traces: picked, hard: h };
  });
  return { drawn, hardTarget };
}

export interface SampleOptions {
  /** Cases in all, split in proportion to each slice's usable traces. */
  size?: number;
  /** Instead of `size`: this many from every slice (fewer where a slice has fewer). */
  perSlice?: number;
  /** With `size`: every slice gets at least this many (where it has them) before the split. */
  minPerSlice?: number;
  /** Share of the sample drawn from hard traces, 0..1. */
  hardShare: number;
  seed: number;
  nearDuplicates?: NearDuplicateOptions;
}

export interface SliceSample {
  slice: string;
  /** Usable traces (after duplicates and exclusions). */
  available: number;
  hard_available: number;
  /** The exact share before rounding (proportional allocation only). */
  quota: number | null;
  drawn: number;
  hard_drawn: number;
}

export interface SampleResult {
  /** The cases to write, by slice then by their line in the traces file. */
  cases: Trace[];
  slices: SliceSample[];
  requested: number;
  hard_target: number;
  duplicates: number;
  near_existing: number;
  excluded: number;
  allocation: "proportional" | "per-slice";
}

export function sampleTraces(
  traces: readonly Trace[],
  existing: readonly ExistingCase[],
  options: SampleOptions,
): SampleResult {
  const { hardShare, seed } = options;
  if (!(hardShare >= 0 && hardShare <= 1))
    throw new RangeError(`hardShare must be in [0, 1], got ${hardShare}`);
  const screened = screenTraces(traces, existing, options.nearDuplicates);
  const slices = [...screened.pools.keys()];
  const available = (s: string) => {
    const p = screened.pools.get(s) as SlicePool;
    return p.hard.length + p.easy.length;
  };
  const counts = new Map<string, number>();
  const quotas = new Map<string, number>();
  let requested: number;
  if (options.perSlice !== undefined) {
    requested = options.perSlice * slices.length;
    for (const s of slices) counts.set(s, Math.min(options.perSlice, available(s)));
  } else {
    requested = options.size ?? 0;
    const floor = options.minPerSlice ?? 0;
    const allocation = apportion(
      requested,
      slices.map((s) => ({
        key: s,
        weight: available(s),
        min: Math.min(floor, available(s)),
        max: available(s),
      })),
    );
    for (const a of allocation) {
      counts.set(a.key, a.count);
      quotas.set(a.key, a.quota);
    }
  }
  const { drawn, hardTarget } = drawStratified(screened.pools, counts, hardShare, seed, "sample");
  const bySlice = new Map(drawn.map((d) => [d.slice, d]));
  return {
    cases: drawn.flatMap((d) => d.traces),
    slices: slices.map((s) => {
      const pool = screened.pools.get(s) as SlicePool;
      const d = bySlice.get(s);
      return {
        slice: s,
        available: pool.hard.length + pool.easy.length,
        hard_available: pool.hard.length,
        quota: quotas.get(s) ?? null,
        drawn: d?.traces.length ?? 0,
        hard_drawn: d?.hard ?? 0,
      };
    }),
    requested,
    hard_target: hardTarget,
    duplicates: screened.duplicates,
    near_existing: screened.nearExisting,
    excluded: screened.excluded,
    allocation: options.perSlice !== undefined ? "per-slice" : "proportional",
  };
}
