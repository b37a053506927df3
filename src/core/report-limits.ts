// The one definition of how much a JSON report may hold. The reader (report/schema.ts) refuses a
// report past these limits, because a report handed over as an artifact is hostile input; the
// writer (report/fit.ts) cuts every report it writes to them, so the reader never refuses one of
// eval-gate's own. A new report field that can grow gets its limit here and is used by both.

/** Lengths in UTF-16 code units, as JavaScript (and zod's `max`) count them. */
export const TEXT_LIMITS = {
  /** A reason line of the verdict, a judge's or a signal's note. */
  reason: 2_000,
  /** A line of `errors.causes`. */
  cause: 1_000,
  /** A case id, a perturbed case's `original`, and a case's `cluster`. */
  id: 300,
  /** A set or slice name. */
  name: 200,
  /** A file path (the config, a set file). */
  path: 500,
  ref: 300,
  sha: 64,
  /** A model output as shown (a tool-using case's whole trajectory). */
  output: 100_000,
  /** A case's input (its last user message). */
  input: 100_000,
  /** A case's expected value: a string's length, any other value's length as compact JSON. */
  expected: 100_000,
  /** How a perturbed case was derived. */
  perturbation: 100,
  /** A judge's identity (its spec as canonical JSON) and its rubric. */
  judgeKey: 20_000,
  rubric: 20_000,
  /** A model name. */
  model: 200,
  /** A setting of the gate definition a PR changed: its key, or a value as JSON. */
  setting: 500,
  /** A dimension's name (`dimensionKey`: about 70 characters by construction). */
  dimension: 300,
} as const;

export const COUNT_LIMITS = {
  reasons: 100,
  causes: 20,
  judges: 100,
  cases: 100_000,
  // A slice holds at least one case, so as many slices as cases. In practice the byte limit binds
  // first (a slice takes about 700 bytes), and the writer keeps the worst slices when it does.
  slices: 100_000,
  /** Settings and grader files a PR changed in the gate definition, each. */
  settings: 10_000,
  /** Graders of one case (its dimensions). */
  caseDimensions: 100,
  /** Ids listed per set in `unlabelled` (its `count` counts them all): enough to find them, bounded. */
  unlabelledIds: 1_000,
  // Rows of `dimensions` (~450 bytes each) and `drift` (~300 bytes): together under 11 MB, so the
  // slices and cases keep most of the file; the writer keeps the rows that matter most first.
  dimensionRows: 10_000,
  driftRows: 20_000,
} as const;

/** The report file's size in bytes, as post-report reads it (its `stat` size). */
export const REPORT_BYTES = 50 * 1024 * 1024;

/** How a cut reads: visible to people, and says how much is gone. */
export function cutMarker(n: number): string {
  return `… [cut: ${n} more characters]`;
}

/**
 * `text` in at most `max` code units, marker included; never ends inside a surrogate pair, so a
 * cut emoji does not leave half a character that renders as garbage (or breaks strict UTF-8).
 */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  // The marker's count has at most as many digits as the whole length: reserve for that.
  let keep = Math.max(0, max - cutMarker(text.length).length);
  if (keep > 0 && isHighSurrogate(text.charCodeAt(keep - 1))) keep--;
  const cut = `${text.slice(0, keep)}${cutMarker(text.length - keep)}`;
  return cut.length <= max ? cut : text.slice(0, isHighSurrogate(text.charCodeAt(max - 1)) ? max - 1 : max);
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/** What the `expected` limit measures: a string's length, anything else's compact JSON length. */
export function expectedSize(value: unknown): number {
  if (typeof value === "string") return value.length;
  try {
    return JSON.stringify(value)?.length ?? 0;
  } catch {
    // Nested too deeply to serialize: never within the limit.
    return Number.POSITIVE_INFINITY;
  }
}

/** Limits on a case's free text; the byte budget asks for tighter ones when the report is too big. */
export interface CaseTextLimits {
  output: number;
  input: number;
  expected: number;
  reason: number;
}
