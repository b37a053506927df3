// Generates the README's inputs and outputs tables from action.yml, between markers:
//   <!-- inputs:start --> ... <!-- inputs:end -->   and   <!-- outputs:start --> ... <!-- outputs:end -->
// `node scripts/readme-tables.mjs` rewrites the README; `--check` fails when it has drifted.
// `--readme FILE` and `--action FILE` point elsewhere (the tests use them).
import { readFileSync, writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parse } from "yaml";

const { values } = parseArgs({
  options: {
    check: { type: "boolean", default: false },
    readme: { type: "string", default: "README.md" },
    action: { type: "string", default: "action.yml" },
  },
});

function cell(text) {
  return String(text).replace(/\s+/g, " ").trim().replace(/\|/g, "\\|");
}

function code(text) {
  return `\`${text}\``;
}

function table(header, rows) {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r) => `| ${r.map((c, i) => c.padEnd(widths[i])).join(" | ")} |`;
  return [line(header), `| ${widths.map((w) => "-".repeat(w)).join(" | ")} |`, ...rows.map(line)].join("\n");
}

function defaultText(value) {
  if (value === undefined || value === null || String(value) === "") return "empty";
  return code(String(value));
}

function tables(actionYaml) {
  const action = parse(actionYaml);
  const inputs = Object.entries(action.inputs ?? {}).map(([name, spec]) => [
    code(name),
    defaultText(spec?.default),
    cell(spec?.description ?? ""),
  ]);
  const outputs = Object.entries(action.outputs ?? {}).map(([name, spec]) => [
    code(name),
    cell(spec?.description ?? ""),
  ]);
  return {
    inputs: table(["input", "default", "meaning"], inputs),
    outputs: table(["output", "meaning"], outputs),
  };
}

function replaceBetween(readme, name, body) {
  const start = `<!-- ${name}:start -->`;
  const end = `<!-- ${name}:end -->`;
  const from = readme.indexOf(start);
  const to = readme.indexOf(end);
  if (from === -1 || to === -1 || to < from) {
    throw new Error(`the README has no ${start} … ${end} markers; add them where the ${name} table goes`);
  }
  return `${readme.slice(0, from + start.length)}\n${body}\n${readme.slice(to)}`;
}

const readme = readFileSync(values.readme, "utf8");
let updated;
try {
  const t = tables(readFileSync(values.action, "utf8"));
  updated = replaceBetween(replaceBetween(readme, "inputs", t.inputs), "outputs", t.outputs);
} catch (e) {
  console.error(`readme-tables: ${e.message}`);
  process.exit(1);
}
if (values.check) {
  if (updated !== readme) {
    const want = updated.split("\n");
    const have = readme.split("\n");
    const at = want.findIndex((l, i) => l !== have[i]);
    console.error(
      `readme-tables: the inputs/outputs tables in ${values.readme} do not match ${values.action}` +
        ` (from line ${at + 1}: expected\n  ${want[at]}\nfound\n  ${have[at] ?? "(end of file)"}).\n` +
        "Run `npm run readme` to regenerate them, and commit the result.",
    );
    process.exit(1);
  }
  console.log(`readme-tables: ${values.readme} matches ${values.action}`);
} else if (updated !== readme) {
  writeFileSync(values.readme, updated);
  console.log(`readme-tables: updated ${values.readme}`);
} else {
  console.log(`readme-tables: ${values.readme} is up to date`);
}
