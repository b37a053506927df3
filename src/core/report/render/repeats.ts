// How the renderers speak of repeats, fixed (`repeats: 3`) or adaptive (`repeats: auto`).
import type { Report } from "../../report-types.js";
import { inlineText, plainText } from "./escape.js";
import { plural } from "./format.js";

/** The k of the pass^k columns; none under auto, where a case's run count follows its data. */
export function passKOf(report: Report): number {
  return report.config.repeats === "auto" ? 1 : report.config.repeats;
}

/** The most runs a case can have had: whether a flipped case "passes less often" or "failed". */
export function mostRuns(report: Report): number {
  const c = report.config;
  return c.repeats === "auto" ? (c.max_repeats ?? 2) : c.repeats;
}

export function repeatsLabel(report: Report): string {
  const c = report.config;
  return c.repeats === "auto" ? `repeats auto (≤ ${c.max_repeats ?? "?"})` : `repeats ${c.repeats}`;
}

/**
 * Under auto, what the reruns cost per slice, the costliest first and at most `limit` of them:
 * one bounded line, for the legend (Markdown) or the terminal (plain).
 */
export function extraRunsNote(report: Report, limit: number, style: "markdown" | "plain"): string {
  if (report.config.repeats !== "auto" || report.base === null) return "";
  const text = style === "markdown" ? inlineText : plainText;
  const spent = report.slices
    .filter((s) => (s.extra_runs ?? 0) > 0)
    .sort((a, b) => (b.extra_runs ?? 0) - (a.extra_runs ?? 0));
  const rule = `each case ran once a side, and again on both sides while they differed (at most ${report.config.max_repeats ?? "?"} runs)`;
  if (spent.length === 0) return `Repeats auto: ${rule}; no case differed.`;
  const shown = spent
    .slice(0, limit)
    .map(
      (s) => `${text(`${s.set}/${s.slice}`, 60)} +${s.extra_runs} (${plural(s.rerun_cases ?? 0, "case")})`,
    );
  const more = spent.length - Math.min(limit, spent.length);
  const total = spent.reduce((n, s) => n + (s.extra_runs ?? 0), 0);
  return `Repeats auto: ${rule}; ${plural(total, "extra run")}: ${shown.join(", ")}${more > 0 ? `, and ${plural(more, "more slice")}` : ""}.`;
}
