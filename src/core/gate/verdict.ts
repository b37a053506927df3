import type { SliceDiff, Verdict } from "../report-types.js";

export interface VerdictInput {
  slices: SliceDiff[];
  errorRate: number;
  maxErrorRate: number;
  errorRuns: number;
  aborted?: string;
  hasBase: boolean;
  /** What the PR changes in the base's gate definition, when it changes anything: worth a review. */
  definitionChanged?: string;
  /** Dimensions (`set/slice · grader`) whose drop asks for review (dimensions.ts). */
  dimensionsDropped?: string[];
  /** Behaviour changes that fail the check: given only under `gate.drift: fail` (drift.ts). */
  behaviourChanged?: string[];
}

/** error > fail > review > pass, with one line per reason for people. */
export function decideVerdict(input: VerdictInput): { verdict: Verdict; reasons: string[] } {
  const reasons: string[] = [];
  const name = (s: SliceDiff) => `${s.set}/${s.slice}`;
  if (input.aborted) reasons.push(`The run was stopped: ${input.aborted}`);
  if (input.errorRate > input.maxErrorRate + 1e-12) {
    reasons.push(
      `${input.errorRuns} run(s) ended in error (${pct(input.errorRate)}), above gate.max_error_rate ${pct(input.maxErrorRate)}`,
    );
  }
  if (reasons.length > 0) return { verdict: "error", reasons };

  // A slice graded by an untrusted judge may ask for review, never fail the check.
  const trusted = input.slices.filter((s) => !s.judge_untrusted);
  const regressed = trusted.filter((s) => s.status === "regressed");
  const below = trusted.filter((s) => s.status === "below_floor");
  const dropped = input.slices.filter((s) => s.status === "dropped");
  const unjudged = input.slices.filter(
    (s) => s.judge_untrusted && (s.status === "regressed" || s.status === "below_floor"),
  );
  // A head score under the floor that noise alone could explain asks for a look, not a failure.
  const nearFloor = input.slices.filter((s) => s.status === "below_floor_unproven");
  if (regressed.length > 0) reasons.push(`Regressed: ${regressed.map(name).join(", ")}`);
  if (below.length > 0) reasons.push(`Below the floor: ${below.map(name).join(", ")}`);
  const behaviour = input.behaviourChanged ?? [];
  if (behaviour.length > 0) reasons.push(`Behaviour changed (gate.drift: fail): ${behaviour.join(", ")}`);
  // The base's definition judged the PR; what it changes there takes effect on merge, unjudged.
  const changed = input.definitionChanged
    ? `This PR changes the eval set (${input.definitionChanged}); the base branch's definition judged it, so review the changes`
    : null;
  if (reasons.length > 0) return { verdict: "fail", reasons: changed ? [...reasons, changed] : reasons };
  if (dropped.length > 0) {
    reasons.push(
      `Dropped (significant before Holm's correction, not after): ${dropped.map(name).join(", ")}`,
    );
  }
  if (unjudged.length > 0) {
    reasons.push(
      `Failing, but graded by a judge under judge.min_kappa, so only a review: ${unjudged.map(name).join(", ")}`,
    );
  }
  if (nearFloor.length > 0) {
    reasons.push(`Under the floor, within noise of it: ${nearFloor.map(name).join(", ")}`);
  }
  const dimensions = input.dimensionsDropped ?? [];
  if (dimensions.length > 0) reasons.push(`Dimension dropped: ${dimensions.join(", ")}`);
  if (changed) reasons.push(changed);
  if (reasons.length > 0) return { verdict: "review", reasons };
  const improved = input.slices.filter((s) => s.status === "improved");
  if (!input.hasBase) reasons.push("No baseline: only floors and errors were checked");
  else if (improved.length > 0)
    reasons.push(`No slice regressed; improved: ${improved.map(name).join(", ")}`);
  else reasons.push("No slice regressed");
  return { verdict: "pass", reasons };
}

/** The slice with the lowest head score (ties: the larger drop); slices no case reached are skipped. */
export function worstSlice(slices: SliceDiff[]): SliceDiff | undefined {
  return slices
    .filter((s) => s.n > 0)
    .sort((a, b) => a.head_score - b.head_score || (a.delta ?? 0) - (b.delta ?? 0))[0];
}

function pct(x: number): string {
  return `${(x * 100).toFixed(x > 0 && x < 0.01 ? 2 : 1)}%`;
}
