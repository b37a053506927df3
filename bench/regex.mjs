// Catastrophic patterns before and after the bound, and what the bound costs a normal grade.
// `node bench/regex.mjs` (a few seconds): bundles the grader modules from src/ with esbuild, so it
// measures the code as it is now, without a build.
//   before: how long a catastrophic match takes unprotected (measured up to ~100 ms in a child
//           process without eval-gate's V8 flags, then extrapolated: ×2 a character)
//   after:  the same patterns on 40 characters through the regex grader's engine
//   cost:   µs per grade for an ordinary pattern, linear (in this thread) and worker-path ones
import { spawnSync } from "node:child_process";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { build } from "esbuild";
import { root } from "./lib.mjs";

const ATTACKS = [
  { name: "^(a+)+$", flags: "", text: (n) => `${"a".repeat(n)}b` },
  { name: "(a|a)*c", flags: "", text: (n) => "a".repeat(n) },
  { name: "^(a+)+\\1$", flags: "", text: (n) => `${"a".repeat(n)}b` },
  { name: "^(a+)+$", flags: "u", text: (n) => `${"a".repeat(n)}b`, note: "as ajv compiles `pattern`" },
];

if (process.argv[2] === "--unprotected") {
  // Child, without eval-gate's V8 flags: times each attack at growing lengths until one takes over
  // 100 ms, then the best of three at that length (the machine may be busy).
  const out = [];
  const time = (a, n) => {
    const re = new RegExp(a.name, a.flags);
    const started = performance.now();
    re.exec(a.text(n));
    return performance.now() - started;
  };
  for (const a of ATTACKS) {
    let n = 12;
    while (time(a, n) < 100) n++;
    out.push({ n, ms: Math.min(time(a, n), time(a, n), time(a, n)) });
  }
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

const entry = join(root, "bench", ".regex-entry.mjs");
const bundle = join(root, "bench", ".regex-bundle.mjs");
writeFileSync(
  entry,
  [
    `export { createPatternEngine } from "../src/adapters/patterns/patterns.ts";`,
    `export { plainPatterns } from "../src/core/graders/patterns.ts";`,
    `export { regex } from "../src/core/graders/regex.ts";`,
    `export { jsonSchema } from "../src/core/graders/json-schema.ts";`,
  ].join("\n"),
);
await build({
  entryPoints: [entry],
  outfile: bundle,
  bundle: true,
  platform: "node",
  format: "esm",
  logLevel: "error",
});
const { createPatternEngine, plainPatterns, regex, jsonSchema } = await import(bundle);
rmSync(entry);
rmSync(bundle);

const fmtMs = (ms) =>
  ms >= 3_600_000
    ? `${(ms / 3_600_000).toFixed(1)} h`
    : ms >= 1000
      ? `${(ms / 1000).toFixed(1)} s`
      : `${ms.toFixed(1)} ms`;

// V8 interprets a regexp's first run and compiles it for the next ones: a run's first case pays the
// interpreter's price, later ones the compiled code's.
for (const [mode, flag] of [
  ["a pattern's first run (interpreted)", "--regexp-interpret-all"],
  ["later runs (compiled)", "--no-regexp-tier-up"],
]) {
  console.log(`Before, unprotected, ${mode}:`);
  const script = new URL(import.meta.url).pathname;
  const child = spawnSync(process.execPath, [flag, script, "--unprotected"], { encoding: "utf8" });
  JSON.parse(child.stdout).forEach(({ n, ms }, i) => {
    const a = ATTACKS[i];
    // Each `a` more doubles the ways to split the run among the groups (2^(n-1)), so the time.
    const at = (m) => ms * 2 ** (m - n);
    const label = `  /${a.name}/${a.flags} ${a.note ?? ""}`.padEnd(48);
    console.log(
      `${label}${n} chars: ${fmtMs(ms)}; ×2 a character: 30 chars ≈ ${fmtMs(at(30))}, 40 ≈ ${fmtMs(at(40))}`,
    );
  });
}

const engine = createPatternEngine();
const ctx = { patterns: { compile: engine.compile, shareLimit: engine.shareLimit } };
const plain = { patterns: plainPatterns };
const c = { id: "bench", slice: "s", input: "q", vars: {}, line: 1 };

console.log("\nAfter (40 characters, the regex grader with eval-gate's engine; limit 1000 ms):");
for (const a of ATTACKS) {
  const started = performance.now();
  let outcome;
  try {
    const g = await regex.grade(
      { type: "regex", pattern: a.name, flags: a.flags },
      { case: c, output: a.text(40) },
      ctx,
    );
    outcome = g.pass ? "pass" : "fail (graded)";
  } catch (e) {
    outcome = /timed out/.test(e.message) ? "error: timed out" : `error: ${e.message}`;
  }
  const label = `  /${a.name}/${a.flags}`.padEnd(22);
  console.log(`${label}${fmtMs(performance.now() - started).padStart(10)}  ${outcome}`);
}

/** µs per grade, the median of 5 rounds of `n` grades. */
async function perGrade(definition, spec, output, context, n = 5000) {
  const rounds = [];
  for (let r = 0; r < 6; r++) {
    const started = performance.now();
    for (let i = 0; i < n; i++) await definition.grade(spec, { case: c, output }, context);
    if (r > 0) rounds.push(((performance.now() - started) * 1000) / n); // the first round warms up
  }
  return rounds.sort((x, y) => x - y)[2];
}

const reply = `Thanks for waiting. ${"Your order is on its way and should arrive soon. ".repeat(10)}Order #48213 shipped.`;
const json = JSON.stringify({ code: "AB-1234", note: reply.slice(0, 200), items: ["a", "b"] });
const rows = [
  ["regex /order #\\d+/ (linear: in this thread)", regex, { type: "regex", pattern: "order #\\d+" }, reply],
  [
    "regex /order #\\d+/i (i: worker on Node 20)",
    regex,
    { type: "regex", pattern: "order #\\d+", flags: "i" },
    reply,
  ],
  ["regex /(\\w+) \\1/ (backreference: worker)", regex, { type: "regex", pattern: "(\\w+) \\1" }, reply],
  [
    "json_schema with one pattern (u: worker)",
    jsonSchema,
    {
      type: "json_schema",
      schema: { type: "object", properties: { code: { type: "string", pattern: "^[A-Z]{2}-\\d+$" } } },
    },
    json,
  ],
];
console.log(`\nPer grade (µs, median of 5 rounds; output ${reply.length} characters):`);
console.log(
  `  ${"".padEnd(46)}${"plain RegExp".padStart(14)}${"bounded".padStart(10)}${"extra".padStart(9)}`,
);
for (const [label, definition, spec, output] of rows) {
  const before = await perGrade(definition, spec, output, plain);
  const after = await perGrade(definition, spec, output, ctx);
  console.log(
    `  ${label.padEnd(46)}${before.toFixed(1).padStart(14)}${after.toFixed(1).padStart(10)}${(after - before).toFixed(1).padStart(9)}`,
  );
}
await engine.close();
