import { isNode, LineCounter, parseDocument } from "yaml";
import { UserError } from "../errors.js";
import type { GraderSpec } from "../types.js";
import {
  graderProblem,
  type ImportedCase,
  type ImportResult,
  idMaker,
  type Skipped,
  sliceName,
} from "./common.js";
import { convertAssertion } from "./promptfoo-asserts.js";
import { configExtras, testExtras, type WhereOf } from "./promptfoo-extras.js";
import {
  assertList,
  type LoadContext,
  loadAssertValue,
  loadDefaultTest,
  loadVars,
  promptTexts,
  type ReadFile,
} from "./promptfoo-files.js";

export interface PromptfooOptions {
  /** The config file, for messages; `file://` paths are relative to its folder. */
  file: string;
  /** A var that names each test's slice (when its `metadata.slice` does not). */
  sliceFrom?: string;
  /** The var that holds the user's message; by default found from the prompts. */
  inputVar?: string;
  /** Reads a file named `file://...` (a prompt, a var, an assertion's value), relative to the config's folder. */
  readFile?: ReadFile;
}

type Dict = Record<string, unknown>;

const INPUT_VARS = ["question", "input"];
const VAR = /\{\{\s*([A-Za-z_][\w]*)[^}]*\}\}/g;

/**
 * A promptfoo config's `tests` as cases. Each test's assertions become graders (`equals` → exact,
 * `contains`/`icontains` → contains, `regex`, `is-json` → json_schema, `similar` → similarity,
 * `llm-rubric` → judge); the rest are listed with their line. The case's input is the var the
 * prompt is built around; the other vars are kept, for a system prompt that uses them. `file://`
 * values are loaded as promptfoo loads them. What is left out is listed with its line: `skipped`
 * (a test not written), `dropped` (an assertion, a transform, the providers), `changed`.
 */
export function importPromptfoo(text: string, options: PromptfooOptions): ImportResult {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new UserError(`not valid YAML (${e?.message.split("\n")[0]})`, {
      file: options.file,
      line: e ? lines.linePos(e.pos[0]).line : undefined,
    });
  }
  const root = doc.toJS() as Dict | null;
  // The line of a path, else of its nearest parent in the file (values loaded from another file).
  const lineAt = (path: (string | number)[]): number | undefined => {
    for (let n = path.length; n > 0; n--) {
      const node = doc.getIn(path.slice(0, n), true);
      const start = isNode(node) ? node.range?.[0] : undefined;
      if (start !== undefined) return lines.linePos(start).line;
    }
    return undefined;
  };
  const at = (path: (string | number)[]) => {
    const line = lineAt(path);
    return line === undefined ? "" : `:${line}`;
  };
  const whereOf: WhereOf = (path, label) => `${options.file}${at(path)}: ${label}`;
  if (!root || typeof root !== "object" || !Array.isArray(root.tests)) {
    throw new UserError(
      typeof root?.tests === "string"
        ? "`tests` names a file; only inline tests are imported"
        : "no `tests` list",
      {
        file: options.file,
        field: "tests",
        fix: "Import a promptfoo config whose `tests:` is a list of { vars, assert } entries.",
      },
    );
  }

  const notes: string[] = [];
  const skipped: Skipped[] = [];
  const dropped: Skipped[] = configExtras(root, whereOf);
  const changed: Skipped[] = [];
  const load: LoadContext = { file: options.file, readFile: options.readFile, lineAt };
  const prompts = promptTexts(root.prompts, load, notes);
  const promptVars = [...new Set(prompts.flatMap((p) => [...p.matchAll(VAR)].map((m) => m[1] as string)))];
  const defaults = loadDefaultTest(root.defaultTest, load, dropped, whereOf);
  dropped.push(...testExtras(defaults, null, whereOf));
  // A default var that cannot be loaded skips the tests that use it, each with that var's line.
  const defaultVars = loadVars(defaults.vars, ["defaultTest", "vars"], load);
  const defaultAsserts = assertList(
    defaults.assert,
    ["defaultTest", "assert"],
    "defaultTest",
    dropped,
    whereOf,
  );
  const defaultMeta = isDict(defaults.metadata) ? defaults.metadata : {};
  const nextId = idMaker();
  const cases: ImportedCase[] = [];
  let defaultedSlices = 0;

  root.tests.forEach((raw: unknown, i: number) => {
    const label = `test ${i + 1}`;
    const testWhere = whereOf(["tests", i], label);
    if (!isDict(raw)) {
      skipped.push({ where: testWhere, reason: "not a mapping" });
      return;
    }
    const own = loadVars(raw.vars, ["tests", i, "vars"], load);
    if ("skip" in own) {
      skipped.push({ where: whereOf(own.path, label), reason: own.skip });
      return;
    }
    const failedDefault =
      "skip" in defaultVars && !("name" in defaultVars && defaultVars.name in own.vars)
        ? defaultVars
        : undefined;
    if (failedDefault) {
      skipped.push({
        where: whereOf(failedDefault.path, label),
        reason: `defaultTest ${failedDefault.skip}`,
      });
      return;
    }
    const vars: Dict = { ...("vars" in defaultVars ? defaultVars.vars : {}), ...own.vars };
    const listed = Object.keys(vars).find((k) => Array.isArray(vars[k]));
    if (listed) {
      skipped.push({
        where: testWhere,
        reason: `vars.${listed} is a list (promptfoo runs one test per value); write one test per value`,
      });
      return;
    }
    const inputVar = pickInputVar(vars, promptVars, options.inputVar);
    if (!inputVar) {
      skipped.push({
        where: testWhere,
        reason: `no input: none of its vars is the prompt's single var, \`question\` or \`input\`; name it with --input-var`,
      });
      return;
    }

    dropped.push(...testExtras(raw, i, whereOf));
    const graders: GraderSpec[] = [];
    const asserts = [
      ...defaultAsserts.map((a, j) => ({
        a,
        path: ["defaultTest", "assert", j],
        label: `defaultTest assert ${j + 1}`,
      })),
      ...assertList(raw.assert, ["tests", i, "assert"], label, dropped, whereOf).map((a, j) => ({
        a,
        path: ["tests", i, "assert", j],
        label: `${label}, assert ${j + 1}`,
      })),
    ];
    for (const { a, path, label: what } of asserts) {
      const where = whereOf(path, what);
      const loaded = loadAssertValue(a, path, load);
      if ("skip" in loaded) {
        dropped.push({ where, reason: loaded.skip });
        continue;
      }
      const converted = convertAssertion(loaded.value, vars);
      if ("skip" in converted) {
        dropped.push({ where, reason: converted.skip });
        continue;
      }
      const problem = graderProblem(converted.spec);
      if (problem) dropped.push({ where, reason: `as a \`${converted.spec.type}\` grader: ${problem}` });
      else graders.push(converted.spec);
    }

    const metadata = { ...defaultMeta, ...(isDict(raw.metadata) ? raw.metadata : {}) };
    const slice =
      sliceName(metadata.slice) ?? (options.sliceFrom ? sliceName(vars[options.sliceFrom]) : undefined);
    if (slice === undefined) defaultedSlices++;
    const description = typeof raw.description === "string" ? raw.description : undefined;
    const expected = vars.expected ?? firstValue(graders);
    const { [inputVar]: input, ...otherVars } = vars;
    cases.push({
      id: nextId(description, `test-${i + 1}`),
      slice: slice ?? "default",
      input: String(input),
      ...(expected !== undefined ? { expected } : {}),
      vars: otherVars,
      ...(graders.length > 0 ? { graders } : {}),
      metadata: {
        ...metadata,
        source: "promptfoo",
        test: i + 1,
        ...(description ? { description } : {}),
      },
    });
    if (graders.length === 0) {
      changed.push({
        where: testWhere,
        reason: "no assertion was imported: the case uses the config's default graders",
      });
    }
  });

  if (defaultedSlices > 0) {
    notes.push(
      `${defaultedSlices} test(s) named no slice (metadata.slice${options.sliceFrom ? ` or vars.${options.sliceFrom}` : ""}): they are in slice \`default\``,
    );
  }
  const judges = cases.reduce((n, c) => n + (c.graders ?? []).filter((g) => g.type === "judge").length, 0);
  if (judges > 0) {
    notes.push(
      `${judges} llm-rubric assertion(s) became \`judge\` graders: name the judging model in eval-gate.yml (\`judge: { model: gpt-4o, calibration: evals/judge-labels.jsonl }\`)`,
    );
  }
  if (promptVars.length > 0) {
    notes.push(
      `The prompt uses ${promptVars.map((v) => `{{${v}}}`).join(", ")}: each case's input is its input var, and the other vars are in \`vars\`. Move the prompt's instructions to the file \`target.system\` names, without the input var (other {{vars}} there are filled from each case).`,
    );
  }
  return { cases, skipped, dropped, changed, notes };
}

function isDict(v: unknown): v is Dict {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

/** `--input-var`, else the one var the prompts use, else `question` or `input`. */
function pickInputVar(vars: Dict, promptVars: string[], chosen: string | undefined): string | undefined {
  const usable = (name: string) =>
    vars[name] !== undefined && vars[name] !== null && typeof vars[name] !== "object";
  if (chosen) return usable(chosen) ? chosen : undefined;
  if (promptVars.length === 1 && usable(promptVars[0] as string)) return promptVars[0];
  return INPUT_VARS.find(usable);
}

/** What the first text-comparing grader looks for: shown as the case's expected value. */
function firstValue(graders: GraderSpec[]): unknown {
  const g = graders.find((x) => ["exact", "contains", "similarity"].includes(x.type) && x.negate !== true);
  return g?.value;
}
