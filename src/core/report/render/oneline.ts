import { type Report, SLICE_STATUSES, type SliceStatus } from "../../report-types.js";
import { plainText } from "./escape.js";
import { percent, plural, STATUS_WORD, worstFirst, worstSlice } from "./format.js";
import { unlabelledTotal } from "./unlabelled.js";

/** Every status but `unchanged`, worst first. */
const COUNTED: SliceStatus[] = SLICE_STATUSES.filter((s) => s !== "unchanged");

const WORSE: SliceStatus[] = ["regressed", "below_floor", "dropped", "below_floor_unproven"];

/**
 * The run in one line, for the end of a log and the check's failure message:
 * `eval-gate: fail — anchor/refund 90% → 45% (regressed); 2 of 12 slices regressed, 1 dropped`.
 */
export function resultLine(report: Report): string {
  const head = `eval-gate: ${report.verdict}`;
  if (report.verdict === "error" || report.verdict === "skipped" || report.slices.length === 0) {
    const first = report.reasons[0];
    const more = report.reasons.length - 1;
    if (!first) return head;
    return `${head} — ${plainText(first, 300)}${more > 0 ? ` (and ${more} more reason${more === 1 ? "" : "s"})` : ""}`;
  }
  const slices = worstFirst(report.slices);
  const first = slices[0] as (typeof slices)[number];
  const worse = WORSE.includes(first.status);
  // Nothing got worse: name the lowest score instead, as the `worst-slice` output does.
  const worst = worse ? first : (worstSlice(slices) ?? first);
  const name = plainText(`${worst.set}/${worst.slice}`, 120);
  const scores =
    worst.base_score === null
      ? `${percent(worst.head_score)}`
      : `${percent(worst.base_score)} → ${percent(worst.head_score)}`;
  // Head only, every slice has no baseline: said once, not counted as a status.
  const headOnly = report.base === null;
  const counts = COUNTED.filter((s) => !(headOnly && s === "no_baseline"))
    .map((s) => [s, slices.filter((x) => x.status === s).length] as const)
    .filter(([, n]) => n > 0);
  const total = slices.length;
  const all = `${total} slice${total === 1 ? "" : "s"}`;
  const tally =
    counts.length === 0
      ? `${all}, ${headOnly ? "no baseline (head only)" : "none changed"}`
      : counts
          .map(([s, n], i) =>
            i === 0 ? `${n} of ${total} slices ${STATUS_WORD[s]}` : `${n} ${STATUS_WORD[s]}`,
          )
          .join(", ");
  const baseline = headOnly && counts.length > 0 ? " (no baseline: head only)" : "";
  const lead = worse ? `${name} ${scores} (${STATUS_WORD[worst.status]})` : `lowest ${name} ${scores}`;
  const unlabelled = unlabelledTotal(report);
  const notGraded = unlabelled > 0 ? `; ${plural(unlabelled, "case")} not graded (no expected value)` : "";
  return `${head} — ${lead}; ${tally}${baseline}${notGraded}`;
}
