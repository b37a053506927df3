// `eval-gate check`: what can be known about an eval set before any model is called.
// - Power: per slice, the smallest drop the gate can see (power.ts), and the slices under
//   `gate.min_slice_n`.
// - Leakage: a case's text found in a prompt file (text/leaks.ts).
// - Overlap: the same case in two sets (an anchor case in the holdout makes the holdout no longer
//   held out).
// A set with `visibility: aggregate` is never quoted: its cases are named by line only.

import { DEFAULT_GRADERS, isUnlabelled, unlabelledCounts } from "../config/labels.js";
import type { SetCase } from "../config/sets.js";
import { AGGREGATE_SLICE } from "../config/sets.js";
import { clusterKey } from "../gate/slice-stats.js";
import { fitNoise, mdeAlpha, minimumDetectableDrop } from "../stats/power.js";
import { findLeaks, type Leak, type LeakOptions, type PromptText } from "../text/leaks.js";
import { caseText, type NearDuplicateOptions, NearDuplicates, normalizeText } from "../text/words.js";
import type { EvalSet, GraderSpec } from "../types.js";
import { isVariant } from "./perturb.js";

export interface Overlap {
  /** The set listed first in the config, and the other one. */
  a: string;
  b: string;
  /** Case ids; null in a set with `visibility: aggregate`, which is named by line only. */
  id_a: string | null;
  id_b: string | null;
  line_a: number;
  line_b: number;
  /** `exact`: the same words; `near`: word-shingle Jaccard similarity at the near-duplicate threshold. */
  kind: "exact" | "near";
  similarity: number;
}

/** A perturbed variant and its original (or two variants of one original) are meant to be alike. */
function sameFamily(x: SetCase, y: SetCase): boolean {
  const root = (c: SetCase) => (isVariant(c) ? (c.metadata?.original as string) : null);
  return root(x) === y.id || root(y) === x.id || (root(x) !== null && root(x) === root(y));
}

/** Cases of two different sets with the same (or nearly the same) user text. */
export function setOverlap(sets: readonly EvalSet[], options: NearDuplicateOptions = {}): Overlap[] {
  const docs = sets.flatMap((set) => set.cases.map((c) => ({ set, c: c as SetCase, text: caseText(c) })));
  const finder = new NearDuplicates(
    docs.map((d) => d.text),
    options,
  );
  const out: Overlap[] = [];
  docs.forEach((d, i) => {
    for (const m of finder.matches(i)) {
      const e = docs[m.index] as (typeof docs)[number];
      if (e.set === d.set || sameFamily(e.c, d.c)) continue;
      out.push({
        a: e.set.name,
        b: d.set.name,
        id_a: e.set.visibility === "aggregate" ? null : e.c.id,
        id_b: d.set.visibility === "aggregate" ? null : d.c.id,
        line_a: e.c.line,
        line_b: d.c.line,
        kind: normalizeText(e.text) === normalizeText(d.text) ? "exact" : "near",
        similarity: m.similarity,
      });
    }
    finder.add(i);
  });
  return out;
}

export interface SliceCheck {
  set: string;
  slice: string;
  /** The labelled cases, which a run grades. */
  n: number;
  /** Cases that wait for a label (labels.ts): a run leaves them out of n until they have one. */
  unlabelled: number;
  aggregate: boolean;
  undersampled: boolean;
  /** The base pass rate the MDE assumes, and where it came from. */
  base_rate: number;
  base_rate_source: "report" | "assumed";
  /** Units of the paired test: clusters of cases that share an origin (`n` without any). */
  clusters: number;
  /** The per-request noise the MDE assumes (mean p(1 - p) over cases), and where it came from. */
  noise: number;
  noise_source: "report" | "assumed";
  /** Minimum detectable drop, 0..1; null when no drop up to the base rate is detectable. */
  mde: number | null;
}

export interface CheckOptions {
  alpha: number;
  minSliceN: number;
  /** Default 0.8. */
  power?: number;
  /** Base pass rates by `set\u0000slice` (from a report); others are assumed. */
  baseRates?: ReadonlyMap<string, number>;
  /** The noise a report's run fitted, by `set\u0000slice`; others assume every case a coin with the base rate. */
  noise?: ReadonlyMap<string, { noise: number; design_effect: number }>;
  /** The config's test design; defaults: statistical, single runs, no floor. */
  mode?: "statistical" | "strict";
  repeats?: number;
  floor?: number | null;
  /** Default 0.9. */
  assumedBaseRate?: number;
  leaks?: LeakOptions;
  nearDuplicates?: NearDuplicateOptions;
  /** The config's graders, for cases that name none (whether a case needs an expected value). */
  graders?: readonly GraderSpec[];
}

export interface CheckResult {
  /** Tests in the run's Holm family: one per slice, two with a floor (its floor test too). */
  family: number;
  alpha: number;
  alpha_per_slice: number;
  power: number;
  slices: SliceCheck[];
  leaks: Leak[];
  overlaps: Overlap[];
  /**
   * Cases that still wait for a person's label, per set: no expected value where their graders need
   * one, or `metadata.needs_label` without one (labels.ts). A run leaves them out.
   */
  needs_label: { set: string; count: number }[];
}

export const sliceKey = (set: string, slice: string) => `${set}\u0000${slice}`;

export function checkEvalSets(
  sets: readonly EvalSet[],
  prompts: readonly PromptText[],
  options: CheckOptions,
): CheckResult {
  const power = options.power ?? 0.8;
  const assumed = options.assumedBaseRate ?? 0.9;
  const graders = options.graders ?? DEFAULT_GRADERS;
  const groups: {
    set: string;
    slice: string;
    n: number;
    unlabelled: number;
    clusters: number;
    aggregate: boolean;
  }[] = [];
  for (const set of sets) {
    const aggregate = set.visibility === "aggregate";
    const bySlice = new Map<string, { n: number; unlabelled: number; keys: Set<string> }>();
    for (const c of set.cases) {
      const slice = aggregate ? AGGREGATE_SLICE : c.slice;
      const original = isVariant(c as SetCase) ? ((c as SetCase).metadata?.original as string) : undefined;
      const key = clusterKey({ id: c.id, cluster: c.cluster, original });
      const entry = bySlice.get(slice) ?? { n: 0, unlabelled: 0, keys: new Set<string>() };
      bySlice.set(slice, entry);
      // A run grades the labelled cases only: the others are in no slice's n.
      if (isUnlabelled(c, graders)) {
        entry.unlabelled++;
        continue;
      }
      entry.n++;
      entry.keys.add(key);
    }
    for (const [slice, e] of [...bySlice.entries()].sort((a, b) =>
      a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
    )) {
      groups.push({
        set: set.name,
        slice,
        n: e.n,
        unlabelled: e.unlabelled,
        clusters: e.keys.size,
        aggregate,
      });
    }
  }
  // A slice without a labelled case is in no run's family.
  const tested = groups.filter((g) => g.n > 0).length;
  const floorTests = options.floor != null && options.floor > 0 ? tested : 0;
  const family = tested + floorTests;
  const level = mdeAlpha(options.alpha, family);
  const slices = groups.map((g): SliceCheck => {
    const key = sliceKey(g.set, g.slice);
    const known = options.baseRates?.get(key);
    const base = known ?? assumed;
    const measured = options.noise?.get(key);
    // Without a measured run: every case a coin with the base rate (the most noise there can be),
    // and the cases of a cluster moving as one (the most they can).
    const noise = fitNoise({
      base,
      caseVariance: measured?.noise ?? null,
      designEffect: measured?.design_effect ?? g.n / Math.max(1, g.clusters),
    });
    const design = {
      cases: g.n,
      clusters: g.clusters,
      repeats: options.repeats ?? 1,
      level,
      mode: options.mode ?? "statistical",
    };
    return {
      ...g,
      undersampled: g.n < options.minSliceN,
      base_rate: base,
      base_rate_source: known === undefined ? "assumed" : "report",
      noise: noise.noise,
      noise_source: measured === undefined ? "assumed" : "report",
      mde: minimumDetectableDrop(design, noise, power),
    };
  });
  const needs_label = unlabelledCounts(sets, graders);
  return {
    family,
    alpha: options.alpha,
    alpha_per_slice: level,
    power,
    slices,
    leaks: findLeaks({ prompts, sets }, options.leaks),
    overlaps: setOverlap(sets, options.nearDuplicates),
    needs_label,
  };
}
