import type { GraderSpec } from "../types.js";

type Dict = Record<string, unknown>;

export type Converted = { spec: GraderSpec } | { skip: string };

// promptfoo's default for `similar`; eval-gate's own default (0.8) would change what passes.
const SIMILAR_THRESHOLD = 0.75;

/**
 * One promptfoo assertion as an eval-gate grader, or why it cannot be one. Values are filled with
 * the test's vars here, as promptfoo does when it runs the test.
 */
export function convertAssertion(raw: unknown, vars: Dict): Converted {
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return { skip: "not a mapping" };
  const a = raw as Dict;
  if (typeof a.type !== "string") return { skip: "no `type`" };
  if (a.transform !== undefined)
    return { skip: "`transform` is not imported: eval-gate grades the raw output" };
  // Loaded before (promptfoo-files.ts) unless the value is code, which has no grader either way.
  if (typeof a.value === "string" && a.value.startsWith("file://") && !/javascript|python/.test(a.type))
    return { skip: "values from files are not imported" };
  if (a.weight === 0) return { skip: "weight 0 (it never counts)" };
  const negate = a.type.startsWith("not-");
  const type = negate ? a.type.slice(4) : a.type;
  const value = fillVars(a.value, vars);
  const hole = /\{\{\s*([^{}]*?)\s*\}\}/.exec(JSON.stringify(value) ?? "");
  if (hole) return { skip: `its value uses {{${hole[1]}}}, which the test's vars do not fill` };
  const extra: Dict = {
    ...(typeof a.weight === "number" && a.weight > 0 ? { weight: a.weight } : {}),
    ...(negate ? { negate: true } : {}),
  };
  const spec = (s: GraderSpec): Converted => ({ spec: { ...s, ...extra } });

  switch (type) {
    case "equals":
      if (negate) break;
      if (typeof value === "string" || typeof value === "number")
        return spec({ type: "exact", value: String(value) });
      // promptfoo compares an object value as JSON: a schema that admits exactly that value.
      if (value !== null && typeof value === "object")
        return spec({ type: "json_schema", schema: { const: value } });
      return { skip: "`equals` without a value" };
    case "contains":
    case "icontains":
      if (typeof value !== "string" && typeof value !== "number")
        return { skip: `\`${a.type}\` needs a text value` };
      return spec({ type: "contains", value: String(value), ignore_case: type === "icontains" });
    case "contains-any":
    case "contains-all":
    case "icontains-any":
    case "icontains-all": {
      const list = toList(value);
      if (list.length === 0) return { skip: `\`${a.type}\` needs a list of values` };
      return spec({
        type: "contains",
        value: list,
        all: type.endsWith("-all"),
        ignore_case: type.startsWith("i"),
      });
    }
    case "regex":
      if (typeof value !== "string") return { skip: "`regex` needs a pattern" };
      return spec({ type: "regex", pattern: value });
    case "is-json":
      if (negate) break;
      if (value === undefined || value === null) return spec({ type: "json_schema", schema: {} });
      if (typeof value === "object" && !Array.isArray(value))
        return spec({ type: "json_schema", schema: value as Dict });
      return { skip: "`is-json` with a schema that is not an inline mapping" };
    case "similar":
      if (negate) break;
      if (typeof value !== "string") return { skip: "`similar` needs a text value" };
      return spec({ type: "similarity", value, threshold: threshold(a.threshold) ?? SIMILAR_THRESHOLD });
    case "llm-rubric": {
      if (negate) break;
      if (typeof value !== "string") return { skip: "`llm-rubric` needs a rubric text" };
      const t = threshold(a.threshold);
      return spec({ type: "judge", rubric: value, ...(t !== undefined ? { threshold: t } : {}) });
    }
  }
  return { skip: `type \`${a.type}\` has no eval-gate grader` };
}

function threshold(t: unknown): number | undefined {
  return typeof t === "number" && t >= 0 && t <= 1 ? t : undefined;
}

function toList(value: unknown): string[] {
  const list = Array.isArray(value) ? value : typeof value === "string" ? value.split(",") : [];
  return list
    .map((x) => (typeof x === "number" ? String(x) : x))
    .filter((x): x is string => typeof x === "string" && x.trim() !== "")
    .map((x) => x.trim());
}

/** `{{ name }}` in strings (deeply) replaced by the var's value; other placeholders are left alone. */
function fillVars(value: unknown, vars: Dict): unknown {
  if (typeof value === "string") {
    return value.replace(/\{\{\s*([A-Za-z_]\w*)\s*\}\}/g, (whole, name: string) => {
      const v = vars[name];
      if (v === undefined) return whole;
      return typeof v === "string" ? v : JSON.stringify(v);
    });
  }
  if (Array.isArray(value)) return value.map((x) => fillVars(x, vars));
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fillVars(v, vars)]));
  }
  return value;
}
