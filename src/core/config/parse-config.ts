import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import { UserError, UserErrors } from "../errors.js";
import { type Config, configSchema } from "./config.js";
import { describeIssues, type Hint, problemsToErrors } from "./zod-issues.js";

// Reading eval-gate.yml: YAML syntax errors and schema problems as UserErrors at their lines, and
// where each field is written, for the problems found later.

const EXAMPLE =
  "Start from `version: 1`, `target: { model: gpt-4o-mini }` and `sets: { anchor: evals/anchor.jsonl }`, one per line.";

const FIXES: Record<string, string> = {
  target: "Add a `target:` mapping with at least `model: gpt-4o-mini`.",
  "target.model": "Name the model, e.g. `model: gpt-4o-mini`.",
  "target.system":
    "Give the path of the system prompt file, relative to this config, e.g. `prompts/support.md`.",
  "target.base_url": "Use an http(s) URL, e.g. `https://api.openai.com/v1`.",
  "target.api_key_env": "Name the environment variable that holds the API key, e.g. `OPENAI_API_KEY`.",
  "target.params": "Use a mapping, e.g. `params: { temperature: 0 }`.",
  "target.tools": "Give the path of a JSON file of function definitions, e.g. `tools/support.json`.",
  "target.provider": "Use `openai` or `replay`.",
  "target.recordings": "Give the path of a recordings file, e.g. `evals/recordings.jsonl`.",
  "target.prices": "Give US dollars per million tokens, e.g. `prices: { prompt: 0.15, completion: 0.6 }`.",
  sets: "List at least one set, e.g. `sets: { anchor: evals/anchor.jsonl }`.",
  "sets.*":
    "Use a path, e.g. `evals/anchor.jsonl`, or `{ path: evals/anchor.jsonl, visibility: aggregate }`.",
  "sets.*.path": "Give the path of a JSONL file, e.g. `path: evals/anchor.jsonl`.",
  "sets.*.visibility": "Use `full` or `aggregate`.",
  repeats:
    "Use a whole number from 1 to 100, e.g. `repeats: 3`, or `repeats: auto` (each case once, again while its sides differ).",
  max_repeats: "Use a whole number from 2 to 100 with `repeats: auto`, e.g. `max_repeats: 5`.",
  concurrency: "Use a whole number from 1 to 512, e.g. `concurrency: 8`.",
  graders: 'Use a list of graders, e.g. `- { type: contains, value: "{{expected}}" }`.',
  "graders[]":
    'Write each grader as a mapping with a `type`, e.g. `{ type: contains, value: "{{expected}}" }`.',
  "graders[].type": "Name the grader type, e.g. `type: contains`.",
  "graders[].weight": "Use a number greater than 0, e.g. `weight: 2`.",
  "graders[].threshold": "Use a number between 0 and 1, e.g. `threshold: 0.8`.",
  gate: "Use a mapping, e.g. `gate: { alpha: 0.05 }`.",
  "gate.mode": "Use `statistical` or `strict`.",
  "gate.alpha": "Use a number between 0 and 1, e.g. 0.05.",
  "gate.floor": "Use a number between 0 and 1, e.g. 0.8, or leave `floor` out.",
  "gate.review_drop":
    "Use a number between 0 and 1, e.g. 0.01: a drop with evidence of at least 1 point, of a slice or a dimension, asks for a review.",
  "gate.min_slice_n": "Use a whole number of at least 1, e.g. 12.",
  "gate.definition":
    "Use `base` (the default: a PR is judged by the base branch's sets, graders and settings) or `head` (by its own).",
  "gate.drift":
    "Use `report` (the default: behaviour drift is shown, informative) or `fail` (a changed behaviour fails the check).",
  "gate.max_error_rate": "Use a number between 0 and 1, e.g. 0.02 to allow 2% of runs to end in error.",
  requests: "Use a mapping, e.g. `requests: { timeout_ms: 60000 }`.",
  "requests.timeout_ms": "Use a whole number of milliseconds from 1000 to 600000, e.g. 60000.",
  "requests.attempts": "Use a whole number from 1 to 20, e.g. 10.",
  embedding_model: "Name an embedding model, e.g. `embedding_model: text-embedding-3-small`.",
  judge: "Use a mapping, e.g. `judge: { model: gpt-4o, calibration: evals/judge-labels.jsonl }`.",
  "judge.model": "Name the model that judges, e.g. `model: gpt-4o`.",
  "judge.calibration":
    "Give the path of a JSONL file of human labels, relative to this config, e.g. `evals/judge-labels.jsonl`.",
  "judge.min_kappa":
    "Use a number between 0 and 1, e.g. `min_kappa: 0.6` (Cohen's kappa the judge must reach against the labels).",
};

const configHint: Hint = ({ pattern, missing, input }) => {
  if (pattern === "version") {
    return missing
      ? { fix: "Add `version: 1` at the top of the file." }
      : {
          message: `unsupported version ${String(input)}; this eval-gate reads version 1`,
          fix: "Set `version: 1`.",
        };
  }
  if (pattern === "target.model" && missing) return { fix: "Add `model: gpt-4o-mini` under `target`." };
  if (pattern === "judge.model" && missing) return { fix: "Add `model: gpt-4o` under `judge`." };
  const key = pattern.replace(/^sets\.[^.]+/, "sets.*");
  const fix = FIXES[key];
  return fix ? { fix } : undefined;
};

/** The line of a field of the config, by its path (`["graders", 0, "pattern"]`). */
export type LineOf = (path: readonly PropertyKey[]) => number;

/** The line of the value at `path`; for a key that is not there, the line of its parent's key. */
function lineOf(root: unknown, path: readonly PropertyKey[], lines: LineCounter): number {
  let node = root;
  let line = 1;
  for (const key of path) {
    let next: unknown;
    let at: number | undefined;
    if (isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(key));
      next = pair?.value;
      at = isScalar(pair?.key) ? pair.key.range?.[0] : undefined;
    } else if (isSeq(node) && typeof key === "number") {
      next = node.items[key];
      at = (next as Node | undefined)?.range?.[0];
    }
    if (at === undefined) break;
    line = lines.linePos(at).line;
    node = next;
  }
  return line;
}

const YAML_FIXES: Record<string, string> = {
  BAD_DQ_ESCAPE:
    "In double quotes YAML reads a backslash as an escape: put the text in single quotes ('order #\\d+') or double the backslash (\"order #\\\\d+\").",
  TAB_AS_INDENT: "Indent with spaces, not tabs.",
  DUPLICATE_KEY: "Keep one of the two keys: YAML allows each key once per mapping.",
  MISSING_CHAR: "Close the quote or bracket that opens on this line (or a line before it).",
  BAD_INDENT: "Close the `[` or `{` opened on this line or a line before it, and check the indentation.",
};
const YAML_FIX = "Check the indentation and quoting on this line and the one before it.";

function yamlSyntaxErrors(
  errors: readonly { code: string; message: string; pos: [number, number] }[],
  text: string,
  file: string,
  lines: LineCounter,
): UserErrors {
  const source = text.split(/\r?\n/);
  // One mistake often trips several YAML errors at the same place; the first one is the cause.
  const byLine = new Map<number, UserError>();
  for (const e of errors) {
    const line = lines.linePos(e.pos[0]).line;
    if (byLine.has(line)) continue;
    const written = (source[line - 1] ?? "").trim();
    const shown = written.length > 60 ? `${written.slice(0, 59)}…` : written;
    const key = /^(?:-\s+)?([A-Za-z_][\w.-]*)\s*:/.exec(written)?.[1];
    const message = `YAML syntax error: ${e.message.replace(/\.$/, "")}${shown ? ` (the line reads \`${shown}\`)` : ""}`;
    byLine.set(
      line,
      new UserError(message, {
        file,
        line,
        ...(e.code === "DUPLICATE_KEY" && key ? { field: key } : {}),
        fix: YAML_FIXES[e.code] ?? YAML_FIX,
      }),
    );
  }
  return new UserErrors([...byLine.values()]);
}

/** Reads an eval-gate.yml. Throws UserErrors naming every problem with its line, or returns the filled config. */
export function parseConfig(text: string, file: string): Config {
  return parseConfigWithLines(text, file).config;
}

/**
 * parseConfig, plus where each field is written, so problems found later (a grader's pattern, a
 * file that is not there) can name their line too.
 */
export function parseConfigWithLines(text: string, file: string): { config: Config; lineOf: LineOf } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  if (doc.errors.length > 0) throw yamlSyntaxErrors(doc.errors, text, file, lines);
  if (!isMap(doc.contents)) {
    const what =
      doc.contents === null || (isScalar(doc.contents) && doc.contents.value === null)
        ? "the config is empty"
        : "the config must be a mapping of keys to values";
    throw new UserErrors([new UserError(what, { file, line: 1, fix: EXAMPLE })]);
  }
  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 1000 });
  } catch (e) {
    throw new UserErrors([
      new UserError(`the YAML could not be read: ${(e as Error).message}`, { file, line: 1 }),
    ]);
  }
  const locate: LineOf = (path) => lineOf(doc.contents, path, lines);
  // Parsed once a run: zod's generated fast path would cost more to compile than it saves.
  const result = configSchema.safeParse(data, { reportInput: true, jitless: true });
  if (result.success) return { config: result.data, lineOf: locate };
  const problems = describeIssues(result.error.issues, { schema: configSchema, data, hint: configHint });
  const errors = problemsToErrors(problems, file, (p) => locate(p.path));
  errors.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  throw new UserErrors(errors);
}
