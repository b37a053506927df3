// "Behaviour changed": the drift measures (output length, refusals, latency, tool calls) that moved
// beyond noise and beyond the minimum size. Shown only when one did; a capped list of short lines.
import { describeChange } from "../../gate/drift.js";
import type { DriftDiff, Report } from "../../report-types.js";
import { inlineText, plainText } from "./escape.js";
import { byText, integer, plural, pValue } from "./format.js";

export interface BehaviourLimits {
  /** Lines at most. */
  lines: number;
}

export const COMMENT_BEHAVIOUR: BehaviourLimits = { lines: 10 };
export const SUMMARY_BEHAVIOUR: BehaviourLimits = { lines: 200 };

/** Largest evidence first; names keep the order stable. */
function byEvidence(a: DriftDiff, b: DriftDiff): number {
  return (a.p_adjusted ?? 2) - (b.p_adjusted ?? 2) || byText(a.set, b.set) || byText(a.slice, b.slice);
}

function line(r: DriftDiff): string {
  const p = pValue(r.p_adjusted).replace("<", "&lt;");
  return `- ${inlineText(`${r.set} / ${r.slice}`, 60)}: ${inlineText(describeChange(r), 120)} · ${plural(r.n, "case")}, p (adj.) ${p}`;
}

export function behaviourSection(report: Report, limits: BehaviourLimits): string {
  const d = report.drift;
  const changed = (d?.rows ?? []).filter((r) => r.changed).sort(byEvidence);
  if (!d || changed.length === 0) return "";
  const shown = changed.slice(0, limits.lines).map(line);
  if (changed.length > shown.length)
    shown.push(`- … and ${integer(changed.length - shown.length)} more (see the JSON report)`);
  const effect =
    d.mode === "fail"
      ? "It fails the check (`gate.drift: fail`)."
      : "Informative: it does not change the verdict (`gate.drift: fail` would fail the check).";
  const a = d.min_absolute;
  const rule = `Changed: the exact paired sign test over the cases, Holm-adjusted over the ${plural(d.rows.length, "slice measure")} of the run (latency apart, α shared 3:1), is under α = ${report.config.alpha}, and the change is at least ${Math.round(d.min_relative * 100)}% and ${a.output_chars} characters, ${a.latency_ms} ms or ${a.tool_calls} tool calls a case (refusals: ${Math.round(d.min_points * 100)} points). ${effect}`;
  return ["### 🔀 Behaviour changed", shown.join("\n"), `<sub>${rule}</sub>`].join("\n\n");
}

/** One line for the terminal, or "" when nothing changed. */
export function behaviourLine(report: Report, max = 3): string {
  const changed = (report.drift?.rows ?? []).filter((r) => r.changed).sort(byEvidence);
  if (changed.length === 0) return "";
  const parts = changed
    .slice(0, max)
    .map((r) => `${plainText(`${r.set}/${r.slice}`, 60)} ${describeChange(r)}`);
  if (changed.length > max) parts.push(`and ${changed.length - max} more`);
  return `behaviour changed: ${parts.join("; ")}`;
}
