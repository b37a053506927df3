// The blocks the comment and the job summary share. Each is bounded in size by construction
// (a capped number of capped lines), so the layout can treat them as fixed costs.
import type { Report, Usage } from "../types.js";
import { inlineText } from "./escape.js";
import {
  deltaWithInterval,
  duration,
  integer,
  percent,
  plural,
  scoreChange,
  shortSha,
  statusLabel,
  VERDICT_ICON,
  worstSlice,
} from "./format.js";

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
  return `${headPart}${base} · config ${inlineText(c.path, 80)} · repeats ${c.repeats} · α = ${c.alpha} · ${c.mode} mode${floor}`;
}

/** Only http(s) links without characters that could end the Markdown link early. */
export function safeUrl(url: string | undefined): string | null {
  return url && /^https?:\/\/[^\s()<>[\]"'`]+$/.test(url) ? url : null;
}

export function footer(report: Report, runUrl: string | undefined): string {
  const url = safeUrl(runUrl);
  return `<sub>${comparedLine(report)}${url ? ` · [workflow run](${url})` : ""}</sub>`;
}

export function legend(report: Report): string {
  const parts: string[] = [];
  if (report.slices.some((s) => s.undersampled)) {
    parts.push("† fewer cases than `gate.min_slice_n`: only large changes can be told from noise.");
  }
  if (report.base !== null) {
    parts.push(
      report.config.mode === "strict"
        ? "Strict mode: any drop in a slice's score fails it."
        : `p (adj.): one-sided paired test in the direction of the change, Holm-adjusted over ${plural(report.slices.length, "slice")}; a drop regresses when it is under α = ${report.config.alpha}.`,
    );
  }
  return parts.length > 0 ? `<sub>${parts.join(" ")}</sub>` : "";
}

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
  ].join(" · ");
}

export function usageLine(report: Report): string {
  return `**Usage:** ${usageText(report.usage)}`;
}

export function usageBySide(report: Report): string {
  const sides: string[] = [];
  if (report.usage_by_side.base) sides.push(`- base: ${usageText(report.usage_by_side.base)}`);
  sides.push(`- head: ${usageText(report.usage_by_side.head)}`);
  return `${usageLine(report)}\n\n${sides.join("\n")}`;
}
