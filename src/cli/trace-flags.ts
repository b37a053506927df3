// The trace flags `sample` and `rotate` share (which fields hold the id, input, output, slice
// and the hard flags), and the check that the traces are sliced at all.

import { UserError } from "../core/errors.js";
import { parsePredicate } from "../core/lifecycle/predicate.js";
import { DEFAULT_TRACE_FIELDS, type ParsedTraces, type TraceFields } from "../core/lifecycle/traces.js";

export const TRACE_OPTIONS = {
  "id-field": { type: "string", default: DEFAULT_TRACE_FIELDS.id },
  "input-field": { type: "string", default: DEFAULT_TRACE_FIELDS.input },
  "output-field": { type: "string", default: DEFAULT_TRACE_FIELDS.output },
  // No defaults here: traceFields tells a field named on purpose from the defaults.
  "slice-field": { type: "string" },
  "default-slice": { type: "string" },
  "hard-field": { type: "string", default: DEFAULT_TRACE_FIELDS.hard.join(",") },
  "hard-if": { type: "string", multiple: true },
  "hard-share": { type: "string", default: "0.4" },
  exclude: { type: "string", multiple: true },
  config: { type: "string" },
  seed: { type: "string", default: "1" },
} as const;

export const TRACE_HELP = [
  "  --id-field F         the traces' id field (default: id); dotted paths reach into objects",
  "  --input-field F      the user's message: a string, or chat messages (default: input)",
  "  --output-field F     what production answered, kept in metadata for labelling (default: output)",
  "  --slice-field F      the slice (default: slice, else category); when no trace has it, the",
  "                       command stops and suggests a field that would slice the traces",
  "  --default-slice S    the slice of traces without one (default: unsliced); naming it lets a",
  "                       file without any slice through, every trace in S",
  "  --hard-field A,B     flags that make a trace hard when truthy (default: thumbs_down,retried,fallback)",
  "  --hard-if EXPR       a comparison that makes a trace hard, e.g. 'latency_ms>5000' (repeatable)",
  "  --hard-share X       share of the drawn traces that are hard, 0..1 (default: 0.4)",
  "  --exclude FILES      set files whose ids and texts are not drawn again; quote globs: 'evals/*.jsonl'",
  "                       (repeatable; the sets of --config, or of eval-gate.yml when it exists, always are)",
  "  --config FILE        the config whose sets are excluded (default: eval-gate.yml, when it exists)",
  "  --seed S             the same seed and inputs give the same output, byte for byte (default: 1)",
];

export function traceFields(values: Record<string, unknown>): TraceFields {
  const str = (k: string) => (values[k] as string).trim();
  const slice = typeof values["slice-field"] === "string" ? str("slice-field") : "";
  const defaultSlice = typeof values["default-slice"] === "string" ? str("default-slice") : "";
  return {
    id: str("id-field"),
    input: str("input-field"),
    output: str("output-field"),
    slice: slice || DEFAULT_TRACE_FIELDS.slice,
    sliceFallback: slice ? [] : (DEFAULT_TRACE_FIELDS.sliceFallback ?? []),
    defaultSlice: defaultSlice || DEFAULT_TRACE_FIELDS.defaultSlice,
    hard: str("hard-field")
      .split(",")
      .map((s) => s.trim())
      .filter(Boolean),
    hardIf: ((values["hard-if"] as string[] | undefined) ?? []).map(parsePredicate),
  };
}

/**
 * Traces of which none has a slice would all land in one slice, where the per-slice gate sees
 * nothing: that stops the command (with a field that would slice them, when one does), unless
 * `--default-slice` names that one slice on purpose; then it is a warning.
 */
export function checkSliced(
  parsed: ParsedTraces,
  fields: TraceFields,
  values: Record<string, unknown>,
  file: string,
  ctx: { err(text: string): void },
): void {
  if (parsed.traces.length === 0 || parsed.unsliced < parsed.traces.length) return;
  const tried = [fields.slice, ...(fields.sliceFallback ?? [])].map((f) => `\`${f}\``).join(" or ");
  const n = parsed.traces.length;
  const s = parsed.suggestion;
  const suggestion = s
    ? `--slice-field ${s.field} (${s.values.length} values in ${s.traces} traces: ${s.values.slice(0, 5).join(", ")}${s.values.length > 5 ? ", …" : ""})`
    : null;
  if (typeof values["default-slice"] === "string") {
    ctx.err(
      `warning: no trace has a ${tried} field: all ${n} are in slice \`${fields.defaultSlice}\`${suggestion ? `; ${suggestion} would slice them` : ""}\n`,
    );
    return;
  }
  throw new UserError(
    `no trace has a ${tried} field: all ${n} would be in slice \`${fields.defaultSlice}\`, where the per-slice gate sees nothing`,
    {
      file,
      field: "--slice-field",
      fix: `Nothing was written. ${suggestion ? `Use ${suggestion}, or name` : "Name"} the field that holds each trace's slice with --slice-field (a dotted path reaches into objects); to put every trace in one slice on purpose, pass --default-slice NAME.`,
    },
  );
}
