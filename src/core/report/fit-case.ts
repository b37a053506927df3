import { type CaseTextLimits, clip, expectedSize, TEXT_LIMITS as T } from "../report-limits.js";
import type { CaseResult } from "../types.js";
import { PARKED, PARKED_CUT, type ParkedCase, parkedId } from "./parked.js";

/** What fitField gives for a key the cut leaves out. */
const LEFT_OUT = Symbol("left out");

/**
 * A case with its texts cut (a limit of 0 leaves the text out). Its id and names are only ever cut
 * to their own limits, since they say which case this is. Keys keep their order. A case with
 * nothing to cut comes back as it is, not as a copy: a large report is not held twice. A copy is
 * built key by key, never by deleting keys (which turns an object into a large dictionary).
 */
export function fitCase(c: CaseResult, limits: CaseTextLimits): CaseResult {
  const out: Record<string, unknown> = {};
  let changed = false;
  for (const key of Object.keys(c)) {
    const value = (c as unknown as Record<string, unknown>)[key];
    const fitted = fitField(key, value, limits);
    if (fitted !== value) changed = true;
    if (fitted !== LEFT_OUT) out[key] = fitted;
  }
  const parked = parkedId(c);
  if (parked === undefined) return changed ? (out as unknown as CaseResult) : c;
  // Texts put aside were cut to T already; a tighter cut is noted, and made when they are read.
  const before = (c as ParkedCase)[PARKED_CUT];
  const tighter = limits.output < T.output || limits.reason < T.reason;
  if (!changed && !tighter) return c;
  const copy = out as unknown as ParkedCase;
  copy[PARKED] = parked;
  if (before || tighter) copy[PARKED_CUT] = [...(before ?? []), ...(tighter ? [limits] : [])];
  return copy;
}

function fitField(key: string, value: unknown, limits: CaseTextLimits): unknown {
  if (value === undefined) return value;
  switch (key) {
    case "id":
    case "original":
    case "cluster":
      return clip(value as string, T.id);
    case "set":
    case "slice":
      return clip(value as string, T.name);
    case "file":
      return clip(value as string, T.path);
    case "perturbation":
      return clip(value as string, T.perturbation);
    case "base_output":
    case "head_output":
      return cutTo(value as string, limits.output);
    case "base_reason":
    case "head_reason":
      return cutTo(value as string, limits.reason);
    case "input":
      return cutTo(value as string, limits.input);
    case "expected":
      return limits.expected === 0 ? LEFT_OUT : fitExpected(value, limits.expected);
    default:
      return value;
  }
}

function cutTo(text: string, max: number): string | typeof LEFT_OUT {
  return max === 0 ? LEFT_OUT : clip(text, max);
}

export function cutText(
  c: CaseResult,
  key: "base_output" | "head_output" | "base_reason" | "head_reason" | "input",
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
