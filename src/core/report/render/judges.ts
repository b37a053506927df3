import type { Report } from "../../report-types.js";
import { inlineText } from "./escape.js";

const pct = (x: number | null) => (x === null ? "—" : `${Math.round(x * 100)}%`);

/**
 * The judges of the run against the human labels: a judge below `min_kappa` is "not trusted" and
 * its slices cannot fail the check; a judge with no labels is marked unchecked.
 */
export function judgesSection(report: Report): string {
  const judges = report.judges ?? [];
  if (judges.length === 0) return "";
  const rows = judges.map((j) => {
    const who = `${inlineText(j.rubric, 60)}${j.model ? ` (${inlineText(j.model, 40)})` : ""}`;
    if (!j.stats) return `| ${who} | — | — | — | — | ⚪ not calibrated: add \`judge.calibration\` |`;
    const s = j.stats;
    const verdict = j.trusted
      ? "✅ trusted"
      : `⛔ judge not trusted (κ under ${j.min_kappa}): its slices cannot fail the check`;
    return `| ${who} | ${s.n} | ${pct(s.agreement)} | ${s.kappa.toFixed(2)} | ${pct(s.tpr)} / ${pct(s.tnr)} | ${verdict} |`;
  });
  const untrusted = report.slices.filter((s) => s.judge_untrusted).map((s) => `${s.set} / ${s.slice}`);
  return [
    "### Judges",
    "",
    "| judge | labels | agreement | κ | TPR / TNR | |",
    "| :- | -: | -: | -: | -: | :- |",
    ...rows,
    ...(untrusted.length > 0
      ? [
          "",
          `Graded by a judge that is not trusted: ${untrusted.map((x) => inlineText(x, 80)).join(", ")}. Run \`eval-gate calibrate\` to see every disagreement.`,
        ]
      : []),
  ].join("\n");
}
