// Production traces, one JSON object per line, in whatever shape the logging stack exports: the
// fields that hold the id, the input, the output, the slice and the "this went badly" flags are
// named by the caller (dotted paths reach into nested objects).

import { UserError, UserErrors } from "../errors.js";
import { seedFromString } from "../stats/index.js";
import { jsonLines, notJsonLine } from "../text/json-error.js";
import { caseText } from "../text/words.js";
import type { ChatMessage } from "../types.js";
import { fieldValue, isTruthy, type Predicate, testPredicate } from "./predicate.js";
import { type SliceSuggestion, suggestSliceField } from "./slice-field.js";

export interface TraceFields {
  id: string;
  input: string;
  output: string;
  slice: string;
  /** Fields tried in order when a trace has no `slice` (the default `slice` falls back on `category`). */
  sliceFallback?: string[];
  /** Flags that make a trace hard when truthy (thumbs-down, retried, fallback...). */
  hard: string[];
  /** Comparisons that make a trace hard when true; any one is enough. */
  hardIf: Predicate[];
  /** The slice of a trace without one. */
  defaultSlice: string;
}

export const DEFAULT_TRACE_FIELDS: TraceFields = {
  id: "id",
  input: "input",
  output: "output",
  slice: "slice",
  sliceFallback: ["category"],
  hard: ["thumbs_down", "retried", "fallback"],
  hardIf: [],
  defaultSlice: "unsliced",
};

export interface Trace {
  /** 1-based line of the traces file. */
  line: number;
  /** The trace's own id; becomes the case id and `metadata.source_id`. */
  id: string;
  slice: string;
  input?: string;
  messages?: ChatMessage[];
  /** What production answered, kept for the person who labels the case. */
  output?: unknown;
  hard: boolean;
  /** Why it is hard (`thumbs_down`, `latency_ms>5000`), for the report. */
  hardBecause: string[];
  /** The user's side as text, for duplicates and leaks. */
  text: string;
}

export interface ParsedTraces {
  traces: Trace[];
  /** Lines that cannot become a case (no input), with why. */
  unusable: { line: number; reason: string }[];
  /** Traces that had no slice and were put in `defaultSlice`. */
  unsliced: number;
  /** How many traces took their slice from each field (the slice field, then its fallbacks). */
  slicedBy: Record<string, number>;
  /** When no trace had a slice: a field of the traces that would slice them, if one does. */
  suggestion?: SliceSuggestion;
}

const MAX_ERRORS = 50;

/**
 * A conversation as a case's `messages`: the user and assistant turns up to the last user turn.
 * Production's own system prompt is left out (the case must be run with the prompt under test),
 * and so are the answer after the last user turn and tool traffic (no canned tool results exist).
 */
function asMessages(v: unknown): { messages: ChatMessage[]; answer?: string } | null {
  if (!Array.isArray(v) || v.length === 0) return null;
  const out: ChatMessage[] = [];
  for (const m of v) {
    if (m === null || typeof m !== "object") return null;
    const { role, content } = m as { role?: unknown; content?: unknown };
    if (typeof role !== "string") return null;
    if ((role === "user" || role === "assistant") && typeof content === "string") out.push({ role, content });
  }
  let last = out.length - 1;
  while (last >= 0 && out[last]?.role !== "user") last--;
  if (last < 0) return null;
  const answer = out
    .slice(last + 1)
    .map((m) => m.content)
    .join("\n");
  return { messages: out.slice(0, last + 1), ...(answer !== "" ? { answer } : {}) };
}

function idOf(v: unknown): string | null {
  if (typeof v === "string" && v.trim() !== "") return v.trim();
  if (typeof v === "number" && Number.isFinite(v)) return String(v);
  return null;
}

/** Reads a traces file. Lines that are not JSON objects, or have no id, are errors (exit 2). */
export function parseTraces(
  text: string,
  file: string,
  fields: TraceFields = DEFAULT_TRACE_FIELDS,
): ParsedTraces {
  const errors: UserError[] = [];
  const traces: Trace[] = [];
  const unusable: ParsedTraces["unusable"] = [];
  let unsliced = 0;
  const slicedBy: Record<string, number> = {};
  const records: unknown[] = [];
  const sliceFields = [fields.slice, ...(fields.sliceFallback ?? [])];
  for (const entry of jsonLines(text)) {
    const line = entry.line;
    if ("error" in entry) {
      errors.push(
        entry.error === "json"
          ? notJsonLine(entry, file, "Export one JSON object per line.")
          : new UserError("each line must be a JSON object (one trace)", { file, line }),
      );
      continue;
    }
    const raw = entry.object;
    records.push(raw);
    const id = idOf(fieldValue(raw, fields.id));
    if (id === null) {
      errors.push(
        new UserError(`the trace has no \`${fields.id}\``, {
          file,
          line,
          field: fields.id,
          fix: "Name the field that holds each trace's id with --id-field (a dotted path reaches into objects).",
        }),
      );
      continue;
    }
    const rawInput = fieldValue(raw, fields.input);
    const trace: Partial<Trace> = { line, id };
    if (typeof rawInput === "string") {
      if (rawInput.trim() === "") {
        unusable.push({ line, reason: `empty \`${fields.input}\`` });
        continue;
      }
      trace.input = rawInput;
    } else {
      const conversation = asMessages(rawInput);
      if (!conversation) {
        unusable.push({
          line,
          reason:
            rawInput === undefined
              ? `no \`${fields.input}\``
              : `\`${fields.input}\` is neither a string nor chat messages with a user turn`,
        });
        continue;
      }
      trace.messages = conversation.messages;
      if (conversation.answer !== undefined) trace.output = conversation.answer;
    }
    let slice: string | null = null;
    for (const field of sliceFields) {
      slice = sliceText(fieldValue(raw, field));
      if (slice === null) continue;
      slicedBy[field] = (slicedBy[field] ?? 0) + 1;
      break;
    }
    if (slice === null) unsliced++;
    trace.slice = slice ?? fields.defaultSlice;
    const output = fieldValue(raw, fields.output);
    if (output !== undefined && output !== null) trace.output = output;
    const because = [
      ...fields.hard.filter((f) => isTruthy(fieldValue(raw, f))),
      ...fields.hardIf.filter((p) => testPredicate(p, raw)).map((p) => p.source),
    ];
    trace.hard = because.length > 0;
    trace.hardBecause = because;
    trace.text = caseText(trace);
    traces.push(trace as Trace);
  }
  if (errors.length > 0) {
    const shown = errors.slice(0, MAX_ERRORS);
    if (errors.length > MAX_ERRORS)
      shown.push(new UserError(`…and ${errors.length - MAX_ERRORS} more errors in this file`, { file }));
    throw new UserErrors(shown);
  }
  const suggestion =
    traces.length > 0 && unsliced === traces.length ? suggestSliceField(records, fields) : null;
  return { traces, unusable, unsliced, slicedBy, ...(suggestion ? { suggestion } : {}) };
}

function sliceText(v: unknown): string | null {
  if (typeof v === "string" && v.trim() !== "") return v.trim();
  if (typeof v === "number") return String(v);
  return null;
}

/** `--seed`: a whole number as it is, anything else hashed; the same text always gives the same seed. */
export function parseSeed(value: string | number | undefined): number {
  if (value === undefined) return 1;
  if (typeof value === "number") return value >>> 0;
  const t = value.trim();
  if (/^\d{1,9}$/.test(t)) return Number(t);
  return seedFromString(t);
}

/**
 * The case a trace becomes: the input as the user wrote it, no expected value yet (a person
 * writes it), and where it came from.
 */
export function traceToCase(t: Trace): Record<string, unknown> {
  return {
    id: t.id,
    slice: t.slice,
    ...(t.input !== undefined ? { input: t.input } : { messages: t.messages }),
    expected: null,
    metadata: {
      source_id: t.id,
      hard: t.hard,
      ...(t.hardBecause.length > 0 ? { hard_because: t.hardBecause } : {}),
      needs_label: true,
      ...(t.output !== undefined ? { trace_output: t.output } : {}),
    },
  };
}
