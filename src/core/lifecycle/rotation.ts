// `eval-gate rotate`: the monthly refresh of the rotation set (seed 000: "rotate 20% with fresh
// traces monthly"). Each slice keeps its size, so the set's slice proportions do not drift and a
// change in its score is not a change in its mix: round(share × n) of a slice's cases leave, chosen
// by the seed, and as many fresh traces of the same slice come in. The file is edited, not
// rewritten: the lines that stay are kept byte for byte, so the pull request's diff shows only
// what left and what came in.

import type { NearDuplicateOptions } from "../text/words.js";
import type { Case } from "../types.js";
import {
  choose,
  drawStratified,
  type ExistingCase,
  type SlicePool,
  screenTraces,
  streamFor,
} from "./sample.js";
import { type Trace, traceToCase } from "./traces.js";

export interface RotateOptions {
  /** Share of each slice replaced, 0..1 (default 0.2). */
  share: number;
  /** Share of the incoming traces drawn from hard ones (as `sample`). */
  hardShare: number;
  seed: number;
  nearDuplicates?: NearDuplicateOptions;
}

export interface SliceRotation {
  slice: string;
  n: number;
  /** round(share × n): how many were meant to leave. */
  planned: number;
  /** How many left (and came in): fewer than planned when the slice has too few fresh traces. */
  replaced: number;
  fresh_available: number;
}

export interface RotateResult {
  /** The new file. */
  text: string;
  left: { slice: string; id: string; line: number }[];
  came: { slice: string; id: string; hard: boolean }[];
  slices: SliceRotation[];
  duplicates: number;
  near_existing: number;
  excluded: number;
  /** Fresh traces of slices the set does not have (never drawn: they would change its mix). */
  other_slices: number;
}

export function rotateSet(
  set: { cases: readonly Case[]; text: string },
  fresh: readonly Trace[],
  existing: readonly ExistingCase[],
  options: RotateOptions,
): RotateResult {
  const { share, seed } = options;
  if (!(share >= 0 && share <= 1)) throw new RangeError(`share must be in [0, 1], got ${share}`);
  const bySlice = new Map<string, Case[]>();
  for (const c of set.cases) {
    const list = bySlice.get(c.slice);
    if (list) list.push(c);
    else bySlice.set(c.slice, [c]);
  }
  const slices = [...bySlice.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const screened = screenTraces(fresh, existing, options.nearDuplicates);
  let otherSlices = 0;
  for (const [slice, pool] of screened.pools) {
    if (!bySlice.has(slice)) otherSlices += pool.hard.length + pool.easy.length;
  }
  const empty: SlicePool = { hard: [], easy: [] };
  const counts = new Map<string, number>();
  const rows: SliceRotation[] = slices.map((slice) => {
    const n = (bySlice.get(slice) as Case[]).length;
    const pool = screened.pools.get(slice) ?? empty;
    const available = pool.hard.length + pool.easy.length;
    const planned = Math.round(share * n);
    const replaced = Math.min(planned, available);
    counts.set(slice, replaced);
    return { slice, n, planned, replaced, fresh_available: available };
  });

  const leaving = slices.flatMap((slice) =>
    choose(bySlice.get(slice) as Case[], counts.get(slice) as number, streamFor(seed, "rotate-out", slice))
      .sort((a, b) => a.line - b.line)
      .map((c) => ({ slice, id: c.id, line: c.line })),
  );
  const { drawn } = drawStratified(screened.pools, counts, options.hardShare, seed, "rotate-in");
  const incoming = drawn.flatMap((d) => d.traces);

  const gone = new Set(leaving.map((l) => l.line));
  const lines = set.text.split(/\r?\n/);
  // A final newline leaves one empty string at the end, which is not a line of its own.
  if (lines.length > 0 && lines[lines.length - 1] === "") lines.pop();
  const kept = lines.filter((_, i) => !gone.has(i + 1));
  const added = incoming.map((t) => JSON.stringify(traceToCase(t)));
  const eol = set.text.includes("\r\n") ? "\r\n" : "\n";
  const text = [...kept, ...added].map((l) => `${l}${eol}`).join("");

  return {
    text,
    left: leaving,
    came: incoming.map((t) => ({ slice: t.slice, id: t.id, hard: t.hard })),
    slices: rows,
    duplicates: screened.duplicates,
    near_existing: screened.nearExisting,
    excluded: screened.excluded,
    other_slices: otherSlices,
  };
}
