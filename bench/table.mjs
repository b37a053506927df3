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
  const distinct = (f) => [...new Set(group.map(f))].join("; ");
  const days = distinct((r) => r.at.slice(0, 10));
  const machines = distinct((r) => `${r.machine.platform}, ${r.machine.cpus} CPU(s) (${r.machine.cpu})`);
  const setup = group[0].setup
    ? `; ${group[0].setup.cases} cases, ${group[0].setup.latency_ms} ms, ${group[0].setup.concurrency} in flight`
    : "";
  const code = distinct((r) => r.code ?? "?");
  return `${group.length} run(s) on ${days} (code ${code}); ${machines}, Node ${distinct((r) => r.node.slice(1))}; server: ${group[0].server ?? "suite"}${setup}`;
}

/** Runs that can share a table: the same kind, server and set-up. */
function groups(kind) {
  const byKey = new Map();
  for (const r of runs.filter((x) => x.kind === kind && !x.quick)) {
    const key = JSON.stringify([r.server ?? "suite", r.setup ?? null]);
    byKey.set(key, [...(byKey.get(key) ?? []), r]);
  }
  return [...byKey.values()];
}

/** The range, and how many of the runs have the figure when not all do (`--big` alone, say). */
function cell(values, of) {
  return values.length < of ? `${range(values)} (${values.length} of ${of} runs)` : range(values);
}

const commands = { run: "npm run bench", peer: "npm run bench:peer", 429: "npm run bench:429" };
for (const kind of ["run", "peer", "429"])
  for (const group of groups(kind)) {
    console.log(`\n${commands[kind]}: ${when(group)}\n`);
    if (kind !== "peer") {
      const order = [];
      const values = new Map();
      const missed = new Map();
      for (const r of group)
        for (const x of r.results) {
          if (!values.has(x.name)) {
            order.push(x);
            values.set(x.name, []);
          }
          values.get(x.name).push(x.value);
          if (x.ok === false) missed.set(x.name, (missed.get(x.name) ?? 0) + 1);
        }
      console.log("| figure | measured | target |\n| --- | --- | --- |");
      for (const x of order) {
        const target = x.ok === null ? "—" : x.limit.replace(/^limit\s*/, "");
        const measured = cell(values.get(x.name), group.length).replace(/^([^(]*?)( \(|$)/, `$1 ${x.unit}$2`);
        const misses = missed.get(x.name)
          ? ` (missed in ${missed.get(x.name)} of ${values.get(x.name).length})`
          : "";
        console.log(`| ${x.name.trim()} | ${measured} | ${target}${misses} |`);
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
        console.log(
          `| ${figure} | ${cell(c.ours, group.length)}${unit} | ${cell(c.theirs, group.length)}${unit} |`,
        );
      }
    }
  }
