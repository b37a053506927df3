import { changeSummary, definitionChanged } from "../config/definition.js";
import { REPORT_SCHEMA_URL, REPORT_VERSION } from "../report-id.js";
import type { DefinitionChanges, Report, SliceDiff, UnlabelledCases } from "../report-types.js";
import { withExtraRuns } from "../run/adaptive.js";
import type { JudgeTrust } from "../run/judges.js";
import type { CaseResult, Side, Visibility } from "../types.js";
import { compareSlices } from "./compare.js";
import { compareDimensions, droppedDimensions } from "./dimensions.js";
import { changedBehaviour, compareDrift } from "./drift.js";
import { DEFAULT_REVIEW_DROP, type GateOptions } from "./options.js";
import { overfittingSignal } from "./overfitting.js";
import type { RunStat, RunStats } from "./run-stats.js";
import { type Prices, summarizeUsage } from "./usage.js";
import { decideVerdict } from "./verdict.js";

/** Everything a run produced that the report is made of; a sharded run merges these. */
export interface Collected {
  configPath: string;
  sets: { name: string; visibility: Visibility }[];
  /** `review_drop` and `drift` are optional so partials written before them still merge. */
  gate: GateOptions & { max_error_rate: number; review_drop?: number; drift?: "report" | "fail" };
  /** Set under `repeats: auto`: the most runs a case could get on a side. */
  maxRepeats?: number;
  prices: { base: Prices | null; head: Prices | null };
  notes: string[];
  base: { ref: string; sha: string } | null;
  headSha: string;
  cases: CaseResult[];
  /** Every run's stat: a list, or held as columns while a run goes on (RunStats). */
  stats: RunStat[] | RunStats;
  aborted?: string;
  /** Judges used by the run and how their calibration went. */
  judges?: JudgeTrust[];
  /** `set\u0000slice` of slices graded by a judge under `min_kappa`: they cannot fail the check. */
  untrustedSlices?: string[];
  /** What the PR changes in the gate definition, on a run with a baseline. */
  definition?: DefinitionChanges;
  /**
   * Cases that wait for a label, per set: never run. Taken out before sharding, so every shard
   * carries the whole list and a merge keeps the first's.
   */
  unlabelled?: UnlabelledCases[];
}

/** Slices, verdict, errors and usage from the reduced cases: the same for one run or merged shards. */
export function buildReport(c: Collected): Report {
  const untrusted = new Set(c.untrustedSlices ?? []);
  // The cases a PR adds are compared in a family of their own and never gate.
  const gating = c.cases.filter((x) => !x.new);
  const added = c.cases.filter((x) => x.new);
  const compared = compareSlices(c.sets, gating, c.gate).map((s) =>
    untrusted.has(`${s.set}\u0000${s.slice}`) ? { ...s, judge_untrusted: true } : s,
  );
  // Under auto, what the reruns cost, slice by slice.
  const spent = <S extends SliceDiff>(slices: S[], cases: CaseResult[]) =>
    c.maxRepeats !== undefined ? withExtraRuns(slices, c.sets, cases) : slices;
  const slices = spent(compared, gating);
  const dimensions = compareDimensions(c.sets, gating, {
    ...c.gate,
    review_drop: c.gate.review_drop ?? DEFAULT_REVIEW_DROP,
  });
  const drift = c.base
    ? compareDrift(c.sets, gating, { alpha: c.gate.alpha, drift: c.gate.drift ?? "report" })
    : null;
  const stats = Array.isArray(c.stats) ? c.stats : [...c.stats];
  const gatingStats = stats.filter((r) => !r.added);
  const errored = gatingStats.filter((r) => r.error !== undefined);
  const errorRate = gatingStats.length > 0 ? errored.length / gatingStats.length : 0;
  const { verdict, reasons } = decideVerdict({
    slices,
    errorRate,
    maxErrorRate: c.gate.max_error_rate,
    errorRuns: errored.length,
    ...(c.aborted ? { aborted: c.aborted } : {}),
    hasBase: c.base !== null,
    ...(c.definition?.source === "base" && definitionChanged(c.definition)
      ? { definitionChanged: changeSummary(c.definition) }
      : {}),
    dimensionsDropped: droppedDimensions(dimensions),
    ...(drift?.mode === "fail" ? { behaviourChanged: changedBehaviour(drift) } : {}),
  });
  const hidden = new Set(c.sets.filter((s) => s.visibility === "aggregate").map((s) => s.name));
  const side = (s: Side) => stats.filter((r) => r.side === s);
  return {
    $schema: REPORT_SCHEMA_URL,
    schema: REPORT_VERSION,
    verdict,
    reasons: [...c.notes, ...reasons],
    base: c.base,
    head: { sha: c.headSha },
    config: {
      path: c.configPath,
      ...(c.maxRepeats !== undefined
        ? { repeats: "auto" as const, max_repeats: c.maxRepeats }
        : { repeats: c.gate.repeats }),
      alpha: c.gate.alpha,
      mode: c.gate.mode,
      floor: c.gate.floor,
      review_drop: c.gate.review_drop ?? DEFAULT_REVIEW_DROP,
    },
    slices,
    cases: c.cases.filter((x) => !hidden.has(x.set)),
    errors: {
      base: errored.filter((r) => r.side === "base").length,
      head: errored.filter((r) => r.side === "head").length,
      runs: errored.length,
      rate: errorRate,
      causes: topCauses(errored.filter((r) => !hidden.has(r.set)).map((r) => r.error as string)),
    },
    ...(c.judges && c.judges.length > 0 ? { judges: c.judges } : {}),
    usage: summarizeUsage(stats, c.prices.head),
    usage_by_side: {
      base: c.base ? summarizeUsage(side("base"), c.prices.base) : null,
      head: summarizeUsage(side("head"), c.prices.head),
    },
    ...(c.base ? { signals: { overfitting: overfittingSignal(slices, c.gate.alpha) } } : {}),
    ...(c.definition ? { definition: c.definition } : {}),
    ...(added.length > 0 ? { new_slices: spent(compareSlices(c.sets, added, c.gate), added) } : {}),
    ...(dimensions.rows.length > 0 ? { dimensions } : {}),
    ...(drift && drift.rows.length > 0 ? { drift } : {}),
    ...(c.unlabelled && c.unlabelled.length > 0 ? { unlabelled: c.unlabelled } : {}),
  };
}

/** The most frequent causes first; ties in a fixed order, so merged shards read the same. */
function topCauses(errors: string[], limit = 5): string[] {
  const counts = new Map<string, number>();
  for (const e of errors) counts.set(e, (counts.get(e) ?? 0) + 1);
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .slice(0, limit)
    .map(([cause, n]) => `${n}× ${cause}`);
}
