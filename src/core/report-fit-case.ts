import { clip, expectedSize, TEXT_LIMITS as T } from "./report-limits.js";
import type { CaseResult } from "./types.js";

/** Limits on a case's free text; the byte budget asks for tighter ones when the report is too big. */
export interface CaseTextLimits {
  output: number;
  input: number;
  expected: number;
  reason: number;
}

/**
 * A case with its texts cut (a limit of 0 leaves the text out). Its id and names are only ever cut
 * to their own limits, since they say which case this is. Keys keep their order. A case with
 * nothing to cut comes back as it is, not as a copy: a large report is not held twice.
 */
export function fitCase(c: CaseResult, limits: CaseTextLimits): CaseResult {
  const out: CaseResult = {
    ...c,
    id: clip(c.id, T.id),
    set: clip(c.set, T.name),
    slice: clip(c.slice, T.name),
  };
  if (out.file !== undefined) out.file = clip(out.file, T.path);
  if (out.original !== undefined) out.original = clip(out.original, T.id);
  if (out.perturbation !== undefined) out.perturbation = clip(out.perturbation, T.perturbation);
  if (out.cluster !== undefined) out.cluster = clip(out.cluster, T.id);
  cutText(out, "baseOutput", limits.output);
  cutText(out, "headOutput", limits.output);
  cutText(out, "baseReason", limits.reason);
  cutText(out, "headReason", limits.reason);
  cutText(out, "input", limits.input);
  if (out.expected !== undefined) {
    if (limits.expected === 0) delete out.expected;
    else out.expected = fitExpected(out.expected, limits.expected);
  }
  return sameFields(c, out) ? c : out;
}

/** Whether a cut copy holds the very same fields as the case, in the same order. */
export function sameFields<X extends object>(a: X, b: X): boolean {
  const keys = Object.keys(a);
  const other = Object.keys(b);
  if (keys.length !== other.length) return false;
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i] as keyof X;
    if (key !== other[i] || a[key] !== b[key]) return false;
  }
  return true;
}

function cutText(
  c: CaseResult,
  key: "baseOutput" | "headOutput" | "baseReason" | "headReason" | "input",
  max: number,
) {
  const value = c[key];
  if (value === undefined) return;
  if (max === 0) delete c[key];
  else c[key] = clip(value, max);
}

/** Past this depth a value is kept as its JSON text: pretty-printed, it would grow quadratically. */
const MAX_EXPECTED_DEPTH = 64;

/** An expected value kept as it is when small and shallow, else as its JSON text, cut. */
function fitExpected(value: unknown, max: number): unknown {
  if (typeof value === "string") return clip(value, max);
  if (expectedSize(value) <= max && !deeperThan(value, MAX_EXPECTED_DEPTH)) return value;
  try {
    return clip(JSON.stringify(value), max);
  } catch {
    return "[not shown: nested too deeply to write as JSON]";
  }
}

function deeperThan(value: unknown, depth: number): boolean {
  if (value === null || typeof value !== "object") return false;
  if (depth === 0) return true;
  return Object.values(value).some((v) => deeperThan(v, depth - 1));
}

/**
 * Which cases the report keeps first when it cannot keep them all: 0 got worse or failed to run
 * (what people look for first), 1 changed or fails, 2 the rest.
 */
export function caseRank(c: CaseResult): number {
  const head = c.head.runs > 0 ? c.head.passes / c.head.runs : null;
  const base = c.base && c.base.runs > 0 ? c.base.passes / c.base.runs : null;
  if (c.head.errors > 0 || (c.base?.errors ?? 0) > 0) return 0;
  if (head !== null && base !== null && head < base) return 0;
  if (head !== base || (head !== null && head < 1)) return 1;
  return 2;
}
