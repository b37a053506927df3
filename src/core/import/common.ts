import { validateGraders } from "../config/validate-graders.js";
import { graderRegistry } from "../graders/index.js";
import type { ChatMessage, GraderSpec } from "../types.js";

/** A case as an importer writes it: one line of a set file. */
export interface ImportedCase {
  id: string;
  slice: string;
  input?: string;
  messages?: ChatMessage[];
  expected?: unknown;
  vars?: Record<string, unknown>;
  graders?: GraderSpec[];
  metadata?: Record<string, unknown>;
}

/** Something of the source, with where it is (`file:line: test 3, assert 2`) and what became of it. */
export interface Skipped {
  where: string;
  reason: string;
}

export interface ImportResult {
  cases: ImportedCase[];
  /** Tests or samples not written at all. */
  skipped: Skipped[];
  /** Parts of the source left out of the cases written (an assertion, a transform, the providers). */
  dropped: Skipped[];
  /** Cases written otherwise than the source has them (default graders, a system message left out). */
  changed: Skipped[];
  /** What the user should know or do next (a prompt to move, a default that applied). */
  notes: string[];
  /** The system message every written case had left out (`systemFromTarget`), for `target.system`. */
  system?: { text: string; cases: number };
}

/** The cases as a set file: one JSON object per line, keys in the order the README shows them. */
export function toJsonl(cases: ImportedCase[]): string {
  return cases
    .map((c) =>
      JSON.stringify({
        id: c.id,
        slice: c.slice,
        ...(c.input !== undefined ? { input: c.input } : {}),
        ...(c.messages !== undefined ? { messages: c.messages } : {}),
        ...(c.expected !== undefined ? { expected: c.expected } : {}),
        ...(c.vars && Object.keys(c.vars).length > 0 ? { vars: c.vars } : {}),
        ...(c.graders && c.graders.length > 0 ? { graders: c.graders } : {}),
        ...(c.metadata ? { metadata: c.metadata } : {}),
      }),
    )
    .map((line) => `${line}\n`)
    .join("");
}

/** Why eval-gate would refuse a grader as converted (a bad pattern, an empty value), or null. */
export function graderProblem(spec: GraderSpec): string | null {
  const errors = validateGraders([spec], graderRegistry, { file: "import", field: "grader" });
  return errors[0] ? errors[0].message : null;
}

/** Hands out ids: readable ones from a description when there is one, unique within the set. */
export function idMaker(): (preferred: string | undefined, fallback: string) => string {
  const taken = new Set<string>();
  return (preferred, fallback) => {
    const slug = (preferred ?? "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 60)
      .replace(/-+$/, "");
    const stem = slug || fallback;
    let id = stem;
    for (let n = 2; taken.has(id); n++) id = `${stem}-${n}`;
    taken.add(id);
    return id;
  };
}

/** A slice name from a var or field: text as is, numbers and booleans as text, anything else none. */
export function sliceName(value: unknown): string | undefined {
  if (typeof value === "string" && value.trim() !== "") return value.trim();
  if (typeof value === "number" || typeof value === "boolean") return String(value);
  return undefined;
}

/** `1, 2, 5` or `1, 2, 3, … (40 in all)`: the lines of a list that can be long. */
export function lineList(lines: readonly number[], max = 10): string {
  const shown = lines.slice(0, max).join(", ");
  return lines.length > max ? `${shown}, … (${lines.length} in all)` : shown;
}
