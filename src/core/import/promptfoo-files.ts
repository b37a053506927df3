// Values a promptfoo config takes from files (`file://path`, relative to the config's folder), as
// promptfoo loads them: text as it is, `.json` and `.yaml` parsed. Code (`.js`, `.py`) would have to
// be run and binary files (images, PDFs) encoded: a test that needs one is skipped, with why.

import { LineCounter, parseDocument } from "yaml";
import { UserError } from "../errors.js";
import { jsonErrorOffset, jsonReason, lineColumn } from "../text/json-error.js";
import type { Skipped } from "./common.js";
import type { WhereOf } from "./promptfoo-extras.js";

/** What reading a file gave: its text, nothing (it does not exist), or why it may not be read. */
export type FileRead = { text: string } | { missing: true } | { outside: string };

/** Reads a file named by `file://`, relative to the promptfoo config's folder. */
export type ReadFile = (path: string) => FileRead;

/** What the loaders need: the config's name, the reader, and a path's line in the config. */
export interface LoadContext {
  file: string;
  readFile: ReadFile | undefined;
  lineAt: (path: (string | number)[]) => number | undefined;
}

type Dict = Record<string, unknown>;

function isDict(v: unknown): v is Dict {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** Where a `file://` value is written, for the error when it points out of the project. */
export interface ValueAt {
  file: string;
  line: number | undefined;
  field: string;
}

const CODE = /\.(?:[cm]?[jt]sx?|py)$/i;
const BINARY = /\.(?:png|jpe?g|gif|webp|bmp|svg|pdf|mp3|wav|ogg|mp4|mov|webm)$/i;

/** A `file://` reference's path, or null when the value is no such reference. */
export function fileRef(value: unknown): string | null {
  return typeof value === "string" && value.startsWith("file://") ? value.slice("file://".length) : null;
}

/**
 * The value promptfoo would use for `value`: a `file://` reference loaded, anything else as it is.
 * `{ skip }` says why it cannot be loaded; a path out of the project throws, at its line.
 */
export function loadValue(
  value: unknown,
  read: ReadFile | undefined,
  at: ValueAt,
): { value: unknown } | { skip: string } {
  const path = fileRef(value);
  if (path === null) return { value };
  const ref = `file://${path}`;
  // `file://gen.py:get_var` names a function in a file.
  const file = path.replace(/:[A-Za-z_]\w*$/, "");
  if (CODE.test(file))
    return { skip: `${ref} is code promptfoo runs to make the value; write the value into the test` };
  if (/[*?[\]{}]/.test(file)) return { skip: `${ref} is a glob (promptfoo runs one test per file)` };
  if (BINARY.test(file)) return { skip: `${ref} is not a text file (images and documents are not imported)` };
  if (!read) return { skip: `${ref}: files are not read here` };
  const got = read(file);
  if ("outside" in got) {
    throw new UserError(`${ref}: ${got.outside}`, {
      file: at.file,
      ...(at.line ? { line: at.line } : {}),
      field: at.field,
      fix: "Keep the files a promptfoo config reads inside its project (its git repository, or its folder outside git), not under .git.",
    });
  }
  if ("missing" in got) return { skip: `${ref} does not exist (paths are relative to ${at.file}'s folder)` };
  if (got.text.includes("\u0000")) return { skip: `${ref} is not a text file` };
  if (/\.json$/i.test(file)) return parseJson(got.text, ref);
  if (/\.ya?ml$/i.test(file)) return parseYaml(got.text, ref);
  return { value: got.text };
}

function parseJson(text: string, ref: string): { value: unknown } | { skip: string } {
  try {
    return { value: JSON.parse(text) };
  } catch (e) {
    const offset = jsonErrorOffset(text);
    const place = offset === undefined ? "" : `line ${lineColumn(text, offset).line}: `;
    return { skip: `${ref} is not valid JSON (${place}${jsonReason(e)})` };
  }
}

function parseYaml(text: string, ref: string): { value: unknown } | { skip: string } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  const e = doc.errors[0];
  if (e) {
    const line = lines.linePos(e.pos[0]).line;
    return { skip: `${ref} is not valid YAML (line ${line}: ${e.message.split("\n")[0]})` };
  }
  return { value: doc.toJS() };
}

/** The texts of the config's prompts: inline strings, `raw:` entries and readable `file://` files. */
export function promptTexts(prompts: unknown, ctx: LoadContext, notes: string[]): string[] {
  const list = prompts === undefined ? [] : Array.isArray(prompts) ? prompts : [prompts];
  const out: string[] = [];
  list.forEach((p, i) => {
    const ref = typeof p === "string" ? p : isDict(p) ? (p.raw ?? p.id) : undefined;
    if (typeof ref !== "string") return;
    const path = Array.isArray(prompts) ? ["prompts", i] : ["prompts"];
    const loaded = loadValue(ref, ctx.readFile, {
      file: ctx.file,
      line: ctx.lineAt(path),
      field: Array.isArray(prompts) ? `prompts[${i}]` : "prompts",
    });
    if ("skip" in loaded) notes.push(`The prompt ${loaded.skip}: its vars were not looked at`);
    else out.push(typeof loaded.value === "string" ? loaded.value : JSON.stringify(loaded.value));
  });
  return out;
}

export type LoadedVars =
  | { vars: Dict }
  | { skip: string; name: string; path: (string | number)[] }
  | { skip: string; path: (string | number)[] };

/** A test's vars with `file://` values loaded (the vars may be a file of their own). */
export function loadVars(raw: unknown, path: (string | number)[], ctx: LoadContext): LoadedVars {
  const field = (p: (string | number)[]) =>
    p.map((x, k) => (typeof x === "number" ? `[${x}]` : k === 0 ? x : `.${x}`)).join("");
  let vars: unknown = raw ?? {};
  if (fileRef(vars) !== null) {
    const loaded = loadValue(vars, ctx.readFile, {
      file: ctx.file,
      line: ctx.lineAt(path),
      field: field(path),
    });
    if ("skip" in loaded) return { skip: `vars: ${loaded.skip}`, path };
    vars = loaded.value;
  }
  if (!isDict(vars)) return { skip: "`vars` is not a mapping of names to values", path };
  const out: Dict = {};
  for (const [name, value] of Object.entries(vars)) {
    const at = [...path, name];
    const loaded = loadValue(value, ctx.readFile, {
      file: ctx.file,
      line: ctx.lineAt(at),
      field: field(at),
    });
    if ("skip" in loaded) return { skip: `vars.${name}: ${loaded.skip}`, name, path: at };
    out[name] = loaded.value;
  }
  return { vars: out };
}

/** An assertion with a `file://` value loaded (a rubric, a schema); code assertions are left as they are. */
export function loadAssertValue(
  a: unknown,
  path: (string | number)[],
  ctx: LoadContext,
): { value: unknown } | { skip: string } {
  if (!isDict(a) || fileRef(a.value) === null || /^(?:not-)?(?:javascript|python)$/.test(String(a.type)))
    return { value: a };
  const at = [...path, "value"];
  const field = `${path[0] === "defaultTest" ? "defaultTest" : `tests[${path[1]}]`}.assert[${path.at(-1)}].value`;
  const loaded = loadValue(a.value, ctx.readFile, { file: ctx.file, line: ctx.lineAt(at), field });
  return "skip" in loaded ? { skip: `value: ${loaded.skip}` } : { value: { ...a, value: loaded.value } };
}

/** `defaultTest`, inline or from a `file://` YAML or JSON file; what cannot be read is listed. */
export function loadDefaultTest(
  value: unknown,
  ctx: LoadContext,
  dropped: Skipped[],
  whereOf: WhereOf,
): Dict {
  if (value === undefined || isDict(value)) return value ?? {};
  const loaded = loadValue(value, ctx.readFile, {
    file: ctx.file,
    line: ctx.lineAt(["defaultTest"]),
    field: "defaultTest",
  });
  if ("value" in loaded && isDict(loaded.value)) return loaded.value;
  dropped.push({
    where: whereOf(["defaultTest"], "defaultTest"),
    reason: `${"skip" in loaded ? loaded.skip : "not a mapping"}: its vars, assertions and options are not imported`,
  });
  return {};
}

/** A test's `assert` list; anything else is listed as dropped. */
export function assertList(
  value: unknown,
  path: (string | number)[],
  label: string,
  dropped: Skipped[],
  whereOf: WhereOf,
): unknown[] {
  if (value === undefined || value === null) return [];
  if (Array.isArray(value)) return value;
  dropped.push({ where: whereOf(path, label), reason: "`assert` is not a list of assertions" });
  return [];
}
