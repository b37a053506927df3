import { UserError } from "../errors.js";
import { seedFromString } from "../stats/index.js";
import type { EvalSet } from "../types.js";
import type { Collected } from "./assemble.js";
import { clusterKey } from "./slice-stats.js";

export interface Shard {
  index: number;
  count: number;
}

/** Parses `i/N` (1-based), as the `shard` input and `--shard` take it. */
export function parseShard(text: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (!m || count < 1 || index < 1 || index > count) {
    throw new UserError(`shard "${text}" is not of the form i/N with 1 ≤ i ≤ N`, {
      field: "shard",
      fix: "Use e.g. `shard: 2/4` (in a matrix, the matrix value and the shard count).",
      cli: { field: "--shard", fix: "Pass e.g. `--shard 2/4`: the second of four shares." },
    });
  }
  return { index, count };
}

/**
 * A deterministic share of every set: a case belongs to the shard its set and id hash to, so each
 * shard runs the same cases on both sides and every case runs in exactly one shard.
 */
export function selectShard(sets: EvalSet[], shard: Shard): EvalSet[] {
  return sets.map((s) => ({
    ...s,
    cases: s.cases.filter((c) => seedFromString(`${s.name}\u0000${c.id}`) % shard.count === shard.index - 1),
  }));
}

export const PARTIAL_SCHEMA = "eval-gate/partial@1";

/** One shard's results, uploaded as an artifact and merged into the one report. */
export interface Partial {
  schema: typeof PARTIAL_SCHEMA;
  shard: Shard;
  collected: Collected;
}

/**
 * A shard's result for the merge step. Cases of an aggregate-only set (a holdout) keep their
 * outcome but lose their id and text: the artifact shows no more of them than the report does.
 * They keep a hash of their cluster (cluster, original, or id), since a cluster's cases may run in
 * different shards and the merged run must test it as one unit, as an unsharded run does.
 */
export function toPartial(collected: Collected, shard: Shard): Partial {
  const hidden = new Set(collected.sets.filter((s) => s.visibility === "aggregate").map((s) => s.name));
  return {
    schema: PARTIAL_SCHEMA,
    shard,
    collected: {
      ...collected,
      cases: collected.cases.map((c) =>
        hidden.has(c.set)
          ? {
              id: `#${c.line}`,
              set: c.set,
              slice: c.slice,
              line: c.line,
              base: c.base,
              head: c.head,
              // Named by type and place for a holdout's own graders (caseDimensions), so safe to keep.
              ...(c.dimensions ? { dimensions: c.dimensions } : {}),
              cluster: `#${seedFromString(`cluster\u0000${c.set}\u0000${clusterKey(c)}`).toString(16)}`,
            }
          : c,
      ),
      stats: Array.from(collected.stats, (s) =>
        hidden.has(s.set) && s.error ? { ...s, error: "a run of an aggregate-only set failed" } : s,
      ),
    },
  };
}

/**
 * Combines every shard of one run into what an unsharded run would have collected: the same
 * cases in the same order (set by set, line by line), so slices, tests and intervals come out the
 * same. Refuses partials of different runs, a missing shard, or a shard given twice.
 */
export function mergePartials(partials: { file: string; value: unknown }[]): Collected {
  if (partials.length === 0) {
    throw new UserError("no partial results to merge", {
      field: "merge",
      fix: "Download every shard's artifact first.",
      cli: {
        field: "eval-gate merge",
        fix: "Pass the files `eval-gate run --shard i/N` wrote (.eval-gate/partial-i-of-N.json), or folders holding them.",
      },
    });
  }
  const parsed = partials.map(({ file, value }) => {
    const p = value as Partial;
    if (p?.schema !== PARTIAL_SCHEMA || !p.collected || !Array.isArray(p.collected.cases)) {
      throw new UserError("not an eval-gate partial result", {
        file,
        fix: "Pass the files the shards wrote.",
      });
    }
    return { file, p };
  });
  const first = (parsed[0] as { file: string; p: Partial }).p;
  const count = first.shard.count;
  const seen = new Map<number, string>();
  for (const { file, p } of parsed) {
    const same =
      p.shard.count === count &&
      p.collected.configPath === first.collected.configPath &&
      p.collected.headSha === first.collected.headSha &&
      (p.collected.base?.sha ?? null) === (first.collected.base?.sha ?? null);
    if (!same)
      throw new UserError("this partial comes from another run (config, commits or shard count differ)", {
        file,
      });
    const other = seen.get(p.shard.index);
    if (other)
      throw new UserError(`shard ${p.shard.index}/${count} is given twice (also ${other})`, { file });
    seen.set(p.shard.index, file);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !seen.has(i));
  if (missing.length > 0) {
    throw new UserError(`shard(s) ${missing.map((i) => `${i}/${count}`).join(", ")} missing`, {
      field: "merge",
      fix: "Merge after every shard of the matrix has uploaded its partial result.",
      cli: {
        field: "eval-gate merge",
        fix: "Run the missing shares with `eval-gate run --shard i/N` and pass every partial result.",
      },
    });
  }
  const order = new Map(first.collected.sets.map((s, i) => [s.name, i]));
  const all = parsed.flatMap(({ p }) => p.collected.cases);
  // The base's cases of a set, then the ones a PR adds (their lines are of another file).
  all.sort(
    (a, b) =>
      (order.get(a.set) ?? 0) - (order.get(b.set) ?? 0) ||
      Number(a.new ?? false) - Number(b.new ?? false) ||
      a.line - b.line,
  );
  return {
    ...first.collected,
    cases: all,
    stats: parsed.flatMap(({ p }) => [...p.collected.stats]),
    ...(parsed.find(({ p }) => p.collected.aborted)?.p.collected.aborted
      ? { aborted: parsed.find(({ p }) => p.collected.aborted)?.p.collected.aborted as string }
      : {}),
  };
}
