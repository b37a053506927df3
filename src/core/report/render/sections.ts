// The blocks the comment and the job summary share. Each is bounded in size by construction
// (a capped number of capped lines), so the layout can treat them as fixed costs.

import type { Report, Usage } from "../../report-types.js";
import { robustness } from "../robustness.js";
import { inlineText } from "./escape.js";
import {
  deltaWithInterval,
  duration,
  integer,
  percent,
  plural,
  points,
  pValue,
  scoreChange,
  shortSha,
  statusLabel,
  VERDICT_ICON,
  worstSlice,
} from "./format.js";
import { repeatsLabel } from "./repeats.js";

export const NO_BASELINE =
  "No baseline: only the head side ran, so only floors and errors can fail this check.";

/**
 * Whether the head side ran alone. A run that could not be done at all (a config error, say)
 * compared nothing, so it says nothing about a baseline either way.
 */
export function headOnly(report: Report): boolean {
  if (report.base !== null) return false;
  return !(report.slices.length === 0 && (report.verdict === "error" || report.verdict === "skipped"));
}

export function headline(report: Report, label?: string): string {
  const suffix = label ? ` · ${inlineText(label, 40)}` : "";
  return `## ${VERDICT_ICON[report.verdict]} eval-gate${suffix}: ${report.verdict}`;
}

/**
 * The reasons on one line (the comment) or as a list (the summary), at most `limit` of them. An
 * error's reason is the message that says what to fix, so it gets room to be read whole.
 */
export function reasons(report: Report, limit: number, style: "line" | "list"): string {
  if (report.reasons.length === 0) return "";
  const max = report.verdict === "error" ? 600 : 200;
  const shown = report.reasons.slice(0, limit).map((r) => inlineText(r, max));
  const more = report.reasons.length - shown.length;
  if (style === "line") {
    return `**Why:** ${shown.join(" · ")}${more > 0 ? ` · and ${integer(more)} more` : ""}`;
  }
  const items = shown.map((r) => `- ${r}`);
  if (more > 0) items.push(`- … and ${integer(more)} more`);
  return `**Why:**\n\n${items.join("\n")}`;
}

export function worstLine(report: Report): string {
  const w = worstSlice(report.slices);
  if (!w) return "";
  const delta = w.delta == null ? "" : `, ${deltaWithInterval(w)}`;
  return `**Worst slice:** ${inlineText(`${w.set} / ${w.slice}`, 100)}: ${scoreChange(w.base_score, w.head_score)}${delta} (${statusLabel(w.status)})`;
}

export function baselineNote(report: Report): string {
  return headOnly(report) ? `ℹ️ ${NO_BASELINE}` : "";
}

export function overrideNote(report: Report, label: string | null | undefined): string {
  if (!label) return "";
  return `🏷️ The **${inlineText(label, 60)}** label let the failing verdict pass the check; the \`verdict\` output stays \`${report.verdict}\`.`;
}

export function comparedLine(report: Report): string {
  const head = shortSha(report.head.sha);
  const headPart = head ? `head ${head}` : "head";
  const base = report.base
    ? ` vs base ${inlineText(report.base.ref, 60)}${shortSha(report.base.sha) ? ` (${shortSha(report.base.sha)})` : ""}`
    : headOnly(report)
      ? " (no baseline)"
      : "";
  const c = report.config;
  const floor = c.floor == null ? "" : ` · floor ${percent(c.floor)}`;
  return `${headPart}${base} · config ${inlineText(c.path, 80)} · ${repeatsLabel(report)} · α = ${c.alpha} · ${c.mode} mode${floor}`;
}

/** Only http(s) links without characters that could end the Markdown link early. */
export function safeUrl(url: string | undefined): string | null {
  return url && /^https?:\/\/[^\s()<>[\]"'`]+$/.test(url) ? url : null;
}

export function footer(report: Report, runUrl: string | undefined): string {
  const url = safeUrl(runUrl);
  return `<sub>${comparedLine(report)}${url ? ` · [workflow run](${url})` : ""}</sub>`;
}

export { legend } from "./legend.js";

export function errorsBlock(report: Report, maxCauses: number): string {
  const e = report.errors;
  if (e.runs <= 0) return "";
  const sides =
    report.base === null ? `head ${integer(e.head)}` : `base ${integer(e.base)}, head ${integer(e.head)}`;
  const lines = [
    "### 💥 Errors",
    `${plural(e.runs, "run")} ended in error (${sides}; ${percent(e.rate)} of all runs). An errored run is neither a pass nor a fail.`,
  ];
  const causes = e.causes.slice(0, maxCauses).map((c) => `- ${inlineText(c, 200)}`);
  if (causes.length > 0) {
    const more = e.causes.length - causes.length;
    if (more > 0) causes.push(`- … and ${plural(more, "more cause")}`);
    lines.push(`Top causes:\n\n${causes.join("\n")}`);
  }
  return lines.join("\n\n");
}

function usageText(u: Usage): string {
  return [
    `${plural(u.requests, "request")} (${integer(u.cached)} cached)`,
    `${integer(u.prompt_tokens)} prompt + ${integer(u.completion_tokens)} completion tokens`,
    `latency p50 ${duration(u.latency_ms_p50)}, p99 ${duration(u.latency_ms_p99)}`,
    ...(u.cost_usd !== null ? [dollars(u.cost_usd)] : []),
  ].join(" · ");
}

export function usageLine(report: Report): string {
  return `**Usage:** ${usageText(report.usage)}`;
}

function dollars(x: number): string {
  return `$${x < 1 ? x.toFixed(4) : x.toFixed(2)}`;
}

/** A relative change, `+12%`, or an em dash when there is nothing to compare. */
function change(base: number, head: number): string {
  if (base === 0) return head === 0 ? "0%" : "—";
  const pct = Math.round(((head - base) / base) * 100);
  return `${pct > 0 ? "+" : ""}${pct}%`;
}

/**
 * Both sides' monitoring signals with deltas: a prompt that doubles the output length or the
 * refusals shows here even when every slice passes.
 */
export function usageTable(report: Report): string {
  const head = report.usage_by_side.head;
  const base = report.usage_by_side.base;
  if (!base) return usageLine(report);
  const rows: [string, string, string, string][] = [
    [
      "requests (cached)",
      `${integer(base.requests)} (${integer(base.cached)})`,
      `${integer(head.requests)} (${integer(head.cached)})`,
      "",
    ],
    [
      "prompt tokens",
      integer(base.prompt_tokens),
      integer(head.prompt_tokens),
      change(base.prompt_tokens, head.prompt_tokens),
    ],
    [
      "completion tokens",
      integer(base.completion_tokens),
      integer(head.completion_tokens),
      change(base.completion_tokens, head.completion_tokens),
    ],
    [
      "latency p50 / p99",
      `${duration(base.latency_ms_p50)} / ${duration(base.latency_ms_p99)}`,
      `${duration(head.latency_ms_p50)} / ${duration(head.latency_ms_p99)}`,
      change(base.latency_ms_p50, head.latency_ms_p50),
    ],
    [
      "output length, mean / p90 (chars)",
      `${integer(base.output_chars_mean)} / ${integer(base.output_chars_p90)}`,
      `${integer(head.output_chars_mean)} / ${integer(head.output_chars_p90)}`,
      change(base.output_chars_mean, head.output_chars_mean),
    ],
    [
      "refusals",
      percent(base.refusal_rate),
      percent(head.refusal_rate),
      points(head.refusal_rate - base.refusal_rate),
    ],
  ];
  if (base.cost_usd !== null && head.cost_usd !== null) {
    rows.push(["cost", dollars(base.cost_usd), dollars(head.cost_usd), change(base.cost_usd, head.cost_usd)]);
  }
  const table = [
    "| usage | base | head | Δ |",
    "| :- | -: | -: | -: |",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n");
  return `**Usage**\n\n${table}`;
}

export function usageBySide(report: Report): string {
  return usageTable(report);
}

// --- The eval set's life cycle: signals read off the whole run ---

/** `p = 0.003` or `p < 0.001`. */
function pEquals(p: number): string {
  const t = pValue(p);
  return t.startsWith("<") ? `p &lt; ${t.slice(1)}` : `p = ${t}`;
}

/**
 * Seed 000's overfitting pattern, one line, built from the numbers alone (the note's text is not
 * rendered, so a report handed over as an artifact cannot put words here).
 */
export function overfittingBlock(report: Report): string {
  const o = report.signals?.overfitting;
  if (!o) return "";
  const movement = o.rotation.delta < 0 ? "fell" : "stayed flat";
  return `⚠️ **Overfitting?** The anchor set improved (${points(o.anchor.delta)}, pooled ${pEquals(o.anchor.p)}) while the rotation set ${movement} (${points(o.rotation.delta)}, pooled ${pEquals(o.rotation.p)}): the change may fit the anchor cases rather than the task.`;
}

/** How often a perturbed variant's head result differs from its original's, when the run had variants. */
export function robustnessLine(report: Report, maxKinds = 6): string {
  const r = robustness(report.cases);
  if (!r) return "";
  const kinds = r.by
    .slice(0, maxKinds)
    .map(
      (k) =>
        `${inlineText(k.perturbation, 30)} ${percent(k.flipped / k.variants)} (${integer(k.flipped)}/${integer(k.variants)})`,
    );
  const more = r.by.length - kinds.length;
  if (more > 0) kinds.push(`${integer(more)} more`);
  return `**Robustness:** ${percent(r.flipped / r.variants)} of ${plural(r.variants, "perturbed variant")} flip (pass where their original fails on head, or the reverse), over ${plural(r.originals, "original")}: ${kinds.join(" · ")}.`;
}
