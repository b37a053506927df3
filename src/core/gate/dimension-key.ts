// A grader spec as a dimension of quality (a judge's rubric, schema compliance, similarity...):
// a name people can read in a table, stable across runs, shards and sides. It is computed from the
// spec alone, never from which other specs a run happens to hold, so each shard of a matrix names a
// dimension exactly as the unsharded run does.
import { canonicalJson } from "../config/requests.js";
import { seedFromString } from "../stats/index.js";
import type { GraderSpec } from "../types.js";

/** Labels stay short enough for a table cell; the hash then tells cut labels apart. */
const MAX_LABEL = 60;
const RUBRIC_WORDS = 6;

interface Described {
  text: string;
  /** Keys of the spec the text shows whole; any other key (but weight) adds the hash. */
  shown: string[];
}

const flat = (s: string) => s.replace(/\s+/g, " ").trim();
const quoted = (s: string) => `"${flat(s)}"`;

function firstWords(s: string, n: number): { text: string; whole: boolean } {
  const words = flat(s).split(" ");
  return words.length <= n
    ? { text: words.join(" "), whole: true }
    : { text: `${words.slice(0, n).join(" ")}…`, whole: false };
}

const strings = (v: unknown): string[] =>
  (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === "string");

function names(v: unknown, key: string): string[] {
  return Array.isArray(v) ? v.map((x) => String((x as Record<string, unknown>)?.[key] ?? x)) : [];
}

const DESCRIBE: Record<string, (s: GraderSpec) => Described> = {
  judge(s) {
    const model = typeof s.model === "string" ? ` (${s.model})` : "";
    if (typeof s.rubric_file === "string")
      return { text: `${s.rubric_file}${model}`, shown: ["rubric_file", "model"] };
    const rubric = firstWords(String(s.rubric ?? ""), RUBRIC_WORDS);
    return { text: `${rubric.text}${model}`, shown: rubric.whole ? ["rubric", "model"] : ["model"] };
  },
  contains: (s) => ({
    text: `${s.negate ? "not " : ""}${s.all ? "all of " : ""}${strings(s.value).map(quoted).join(" | ")}`,
    shown: ["value", "negate", "all"],
  }),
  exact: (s) => ({ text: quoted(String(s.value ?? "")), shown: ["value"] }),
  regex: (s) => ({
    text: `${s.negate ? "not " : ""}/${String(s.pattern ?? "")}/${typeof s.flags === "string" ? s.flags : ""}`,
    shown: ["pattern", "flags", "negate"],
  }),
  json_schema(s) {
    const schema = (s.schema ?? {}) as Record<string, unknown>;
    const title = typeof schema.title === "string" ? flat(schema.title) : "";
    const required = strings(schema.required);
    return { text: title || (required.length > 0 ? `required ${required.join(", ")}` : ""), shown: [] };
  },
  similarity: (s) => ({
    text: `${typeof s.field === "string" ? `expected.${s.field}` : typeof s.value === "string" ? quoted(s.value) : "{{expected}}"}${typeof s.model === "string" ? ` (${s.model})` : ""}`,
    shown: ["value", "field", "model"],
  }),
  script: (s) => ({
    text: `${String(s.path ?? "")}${typeof s.export === "string" ? `#${s.export}` : ""}`,
    shown: ["path", "export"],
  }),
  tool_calls(s) {
    const parts = [
      names(s.calls, "name").join(" → "),
      ...strings(s.forbidden).map((f) => `no ${f}`),
      ...(Array.isArray(s.policies)
        ? s.policies.map((p) => `${(p as { tool?: string }).tool} after ${(p as { after?: string }).after}`)
        : []),
      typeof s.max_calls === "number" ? `≤ ${s.max_calls} calls` : "",
    ];
    // Arguments of expected calls are not shown: with them the hash tells the specs apart.
    const args = Array.isArray(s.calls) && s.calls.some((c) => (c as { args?: unknown })?.args !== undefined);
    return {
      text: parts.filter(Boolean).join("; "),
      shown: ["forbidden", "policies", "max_calls", ...(args ? [] : ["calls"])],
    };
  },
};

/** Keys that never make two specs different dimensions: weight only changes the run's mean score. */
const NOT_IDENTITY = new Set(["type", "weight", "threshold"]);

/**
 * `type: label` (`judge: The answer is polite and offers…`, `regex: /order #\d+/`), with the
 * threshold when set, and a short hash of the whole spec whenever the label leaves part of it out
 * or was cut, so two different specs of one type are always two dimensions.
 */
export function dimensionKey(spec: GraderSpec): string {
  const described = Object.hasOwn(DESCRIBE, spec.type)
    ? (DESCRIBE[spec.type] as (s: GraderSpec) => Described)(spec)
    : { text: "", shown: [] };
  const threshold = spec.threshold !== undefined ? ` ≥ ${spec.threshold}` : "";
  let label = `${spec.type}${described.text ? `: ${described.text}` : ""}${threshold}`;
  const hidden = Object.keys(spec).some((k) => !NOT_IDENTITY.has(k) && !described.shown.includes(k));
  const cut = label.length > MAX_LABEL;
  if (cut) label = `${label.slice(0, MAX_LABEL - 1)}…`;
  return hidden || cut ? `${label} #${specHash(spec)}` : label;
}

/** Six hex digits of the spec's canonical JSON (weight left out, as in `judgeKey`). */
function specHash(spec: GraderSpec): string {
  const { weight: _w, ...rest } = spec;
  return seedFromString(canonicalJson(rest)).toString(16).padStart(8, "0").slice(0, 6);
}

/**
 * The dimensions of a case graded by `specs`. A case's own graders in an aggregate-only set (a
 * holdout) may carry its answer (`contains: "refund of $20"`), so there they are named by type
 * and place alone.
 */
export function caseDimensions(specs: GraderSpec[], options: { redact: boolean }): string[] {
  return specs.map((spec, i) =>
    options.redact ? `${spec.type} (case grader ${i + 1})` : dimensionKey(spec),
  );
}
