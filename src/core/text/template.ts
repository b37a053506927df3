import { UserError } from "../errors.js";
import type { Case } from "../types.js";

// Spaces inside the braces are allowed; single braces (JSON, regex quantifiers) are left alone.
const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;

export interface FillOptions {
  /** Applied to each filled value, not to the template (e.g. regex-escaping for a pattern). */
  escape?: (value: string) => string;
  /** Where the template came from, for error messages (e.g. `contains.value`). */
  field?: string;
}

/**
 * Fills a grader's template from a case: `{{input}}`, `{{expected}}`, `{{vars.NAME}}`, with dotted
 * paths into objects (`{{expected.category}}`). A placeholder that cannot be filled throws: a grader
 * that compares against a hole would fail (or pass) for a reason that has nothing to do with the output.
 */
export function fill(template: string, c: Case, options: FillOptions = {}): string {
  const { escape: escapeValue = (v: string) => v, field } = options;
  return template.replace(PLACEHOLDER, (placeholder, name: string) => {
    const value = resolveCase(name, c);
    if (value === undefined) throw caseError(placeholder, name, c, field);
    return escapeValue(render(value));
  });
}

/** Whether the template fills `{{expected}}` or `{{expected.FIELD}}`: it needs a case's expected value. */
export function usesExpected(template: string): boolean {
  for (const m of template.matchAll(PLACEHOLDER)) {
    const name = m[1] ?? "";
    if (name === "expected" || name.startsWith("expected.")) return true;
  }
  return false;
}

/** The template with its placeholders removed, to check what surrounds them (e.g. compile a pattern). */
export function withoutPlaceholders(template: string): string {
  return template.replace(PLACEHOLDER, "");
}

/**
 * Fills the system prompt from a case's vars: `{{name}}` or `{{name.path}}`; `{{vars.name}}` works
 * too (the spelling graders use), unless the vars have a key named `vars`. The prompt is shared by
 * every case, so the error names the case whose vars lack the name.
 */
export function fillSystem(
  template: string,
  vars: Record<string, unknown>,
  where: { file: string; caseId: string },
): string {
  if (!template.includes("{{")) return template;
  return template.replace(PLACEHOLDER, (placeholder, name: string) => {
    const value = systemVar(vars, name);
    if (value === undefined) {
      throw new UserError(
        `The system prompt uses ${placeholder} but case "${where.caseId}" has no var "${varName(vars, name)}"`,
        {
          file: where.file,
          field: "vars",
          fix: `Add "${varName(vars, name)}" to the vars of case "${where.caseId}", or remove ${placeholder} from the prompt.${available(vars, "")}`,
        },
      );
    }
    return render(value);
  });
}

/** A placeholder of a system prompt that some case cannot fill. */
export interface MissingVar {
  placeholder: string;
  /** The var the case lacks (without a `vars.` prefix). */
  name: string;
  /** 1-based line of the prompt where the placeholder first appears. */
  promptLine: number;
}

/** The placeholders of a system prompt that `vars` cannot fill (each once), for checking before a run. */
export function missingSystemVars(template: string, vars: Record<string, unknown>): MissingVar[] {
  const out: MissingVar[] = [];
  const seen = new Set<string>();
  for (const m of template.matchAll(PLACEHOLDER)) {
    const [placeholder, name = ""] = m;
    if (seen.has(placeholder) || systemVar(vars, name) !== undefined) continue;
    seen.add(placeholder);
    const promptLine = template.slice(0, m.index).split("\n").length;
    out.push({ placeholder, name: varName(vars, name), promptLine });
  }
  return out;
}

function systemVar(vars: Record<string, unknown>, name: string): unknown {
  const value = lookup(vars, name);
  if (value !== undefined || !name.startsWith("vars.") || Object.hasOwn(vars, "vars")) return value;
  return lookup(vars, name.slice("vars.".length));
}

/** The var a system placeholder asks for, as the case would have to spell it. */
function varName(vars: Record<string, unknown>, name: string): string {
  return name.startsWith("vars.") && !Object.hasOwn(vars, "vars") ? name.slice("vars.".length) : name;
}

/** Strings go in as written; any other JSON value as its JSON text. */
function render(value: unknown): string {
  return typeof value === "string" ? value : JSON.stringify(value);
}

function resolveCase(name: string, c: Case): unknown {
  if (name === "input") return caseInput(c);
  if (name === "expected") return c.expected;
  if (name.startsWith("expected.")) return lookup(c.expected, name.slice("expected.".length));
  if (name.startsWith("vars.")) return lookup(c.vars, name.slice("vars.".length));
  return undefined;
}

/** The case's input, or for a multi-turn case the last thing the user said. */
function caseInput(c: Case): string | undefined {
  if (c.input !== undefined) return c.input;
  const users = (c.messages ?? []).filter((m) => m.role === "user");
  return users.at(-1)?.content ?? undefined;
}

/**
 * A key as written wins over a dotted path, so a var literally named "a.b" still works. Only own
 * properties count: `{{vars.constructor}}` must not find Object's constructor.
 */
function lookup(root: unknown, path: string): unknown {
  if (path === "") return undefined;
  if (isRecord(root) && Object.hasOwn(root, path)) return root[path];
  let value: unknown = root;
  for (const key of path.split(".")) {
    if (!isRecord(value) || !Object.hasOwn(value, key)) return undefined;
    value = value[key];
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

function caseError(placeholder: string, name: string, c: Case, field: string | undefined): UserError {
  const where = field ? ` in ${field}` : "";
  const known = name === "input" || name === "expected" || /^(expected|vars)\./.test(name);
  const message = known
    ? `Placeholder ${placeholder}${where} has no value in case "${c.id}"`
    : `Unknown placeholder ${placeholder}${where} in case "${c.id}"`;
  const fix = name.startsWith("vars.")
    ? `Add "${name.slice(5)}" to the vars of case "${c.id}", or remove the placeholder.`
    : name === "expected" || name.startsWith("expected.")
      ? `Give case "${c.id}" an "expected" value with that field, or give the grader a literal value.`
      : name === "input"
        ? `Give case "${c.id}" an "input" or a user message.`
        : "Use {{input}}, {{expected}}, {{expected.FIELD}} or {{vars.NAME}}.";
  return new UserError(message, {
    line: c.line,
    ...(field ? { field } : {}),
    fix: fix + available(c.vars, "vars."),
  });
}

function available(vars: Record<string, unknown>, prefix: string): string {
  const names = Object.keys(vars);
  if (names.length === 0) return "";
  const shown = names.slice(0, 8).map((n) => `{{${prefix}${n}}}`);
  return ` Available vars: ${shown.join(", ")}${names.length > 8 ? ", ..." : ""}.`;
}
