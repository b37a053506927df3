// The README's performance tables from saved benchmark runs: each figure's range over the runs, with
// the dates and the machine they ran on. `npm run bench` and `npm run bench:peer` save each run in
// bench/runs/; `node bench/table.mjs` reads them all (or the files named: `node bench/table.mjs
// bench/runs/run-2026-12-03*.json`) and prints one Markdown table per kind. Nothing is edited.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { root } from "./lib.mjs";

const named = process.argv.slice(2);
const files = named.length
  ? named
  : readdirSync(join(root, "bench/runs"))
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => join(root, "bench/runs", f));
const runs = files.map((f) => JSON.parse(readFileSync(f, "utf8")));

const number = (x, digits) =>
  x.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
/** `1,972–2,011` (or one value), with as many decimals as the values were printed with. */
function range(values) {
  const numbers = values.map(Number).filter((x) => Number.isFinite(x));
  if (numbers.length === 0) return values.join(", ");
  const digits = Math.max(...values.map((v) => (String(v).split(".")[1] ?? "").replace(/\D.*/, "").length));
  const lo = Math.min(...numbers);
  const hi = Math.max(...numbers);
  return lo === hi ? number(lo, digits) : `${number(lo, digits)}–${number(hi, digits)}`;
}

function when(group) {
  const days = [...new Set(group.map((r) => r.at.slice(0, 10)))];
  const m = group[0].machine;
  return `${group.length} run(s) on ${days.join(", ")}; ${m.platform}, ${m.cpus} CPU(s) (${m.cpu}), Node ${group[0].node.slice(1)}`;
}

const commands = { run: "npm run bench", peer: "npm run bench:peer", 429: "npm run bench:429" };
for (const kind of ["run", "peer", "429"]) {
  const group = runs.filter((r) => r.kind === kind && !r.quick);
  if (group.length === 0) continue;
  console.log(`\n${commands[kind]}: ${when(group)}\n`);
  if (kind !== "peer") {
    const order = [];
    const values = new Map();
    for (const r of group)
      for (const x of r.results) {
        if (!values.has(x.name)) {
          order.push(x);
          values.set(x.name, []);
        }
        values.get(x.name).push(x.value);
      }
    console.log("| figure | measured | target |\n| --- | --- | --- |");
    for (const x of order) {
      const target = x.ok === null ? "—" : x.limit.replace(/^limit\s*/, "");
      console.log(`| ${x.name.trim()} | ${range(values.get(x.name))} ${x.unit} | ${target} |`);
    }
  } else {
    const order = [];
    const cells = new Map();
    for (const r of group)
      for (const x of r.rows) {
        if (!cells.has(x.figure)) {
          order.push(x.figure);
          cells.set(x.figure, { ours: [], theirs: [] });
        }
        cells.get(x.figure).ours.push(String(x["eval-gate"]).replace(/×$/, ""));
        cells.get(x.figure).theirs.push(String(x.promptfoo).replace(/×$/, ""));
      }
    console.log(`| figure | eval-gate | promptfoo ${group[0].promptfoo} |\n| --- | --- | --- |`);
    for (const figure of order) {
      const c = cells.get(figure);
      const unit = figure.includes("÷") ? "×" : "";
      console.log(`| ${figure} | ${range(c.ours)}${unit} | ${range(c.theirs)}${unit} |`);
    }
  }
}
