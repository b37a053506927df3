// When no trace has the slice field, every trace would land in one slice and the per-slice gate
// would see nothing: find a field that looks like a slice instead, to name in the message.

export interface SliceSuggestion {
  /** A top-level field, or a dotted path one object deep (`meta.intent`). */
  field: string;
  /** How many traces have a text value there. */
  traces: number;
  /** Its values, sorted. */
  values: string[];
}

/** Fields a slice is never taken from: the ones that hold the id, the input and the output. */
export interface KnownFields {
  id: string;
  input: string;
  output: string;
}

const MAX_VALUES = 50;
const MAX_LENGTH = 60;

/**
 * A field that would slice `records`: text values (short, as labels are) in at least half of them,
 * at least two distinct values and at most one for every two traces (at most 50). The one most
 * traces have wins; then the one with fewer values. Null when none qualifies.
 */
export function suggestSliceField(records: readonly unknown[], known: KnownFields): SliceSuggestion | null {
  const skip = new Set([known.id, known.input, known.output]);
  const seen = new Map<string, { traces: number; values: Set<string>; tooLong: boolean }>();
  const note = (field: string, value: unknown) => {
    if (skip.has(field) || typeof value !== "string" || value.trim() === "") return;
    const entry = seen.get(field) ?? { traces: 0, values: new Set<string>(), tooLong: false };
    entry.traces++;
    if (entry.values.size <= MAX_VALUES) entry.values.add(value.trim());
    if (value.length > MAX_LENGTH) entry.tooLong = true;
    seen.set(field, entry);
  };
  for (const record of records) {
    if (record === null || typeof record !== "object" || Array.isArray(record)) continue;
    for (const [key, value] of Object.entries(record)) {
      if (value !== null && typeof value === "object" && !Array.isArray(value)) {
        for (const [inner, v] of Object.entries(value)) note(`${key}.${inner}`, v);
      } else note(key, value);
    }
  }
  const n = records.length;
  const candidates = [...seen.entries()]
    .filter(
      ([, e]) =>
        !e.tooLong &&
        e.traces * 2 >= n &&
        e.values.size >= 2 &&
        e.values.size <= Math.min(MAX_VALUES, Math.max(2, Math.floor(e.traces / 2))),
    )
    .sort(([a, x], [b, y]) => y.traces - x.traces || x.values.size - y.values.size || (a < b ? -1 : 1));
  const best = candidates[0];
  if (!best) return null;
  return { field: best[0], traces: best[1].traces, values: [...best[1].values].sort() };
}
