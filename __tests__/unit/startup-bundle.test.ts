// What the bundle makes Node compile before the first request: the files each entry point
// imports statically. Its size is most of eval-gate's start-up (bench/run.mjs prints the time), so
// it has a budget here; a dependency pulled in whole by one import shows up as a failure here.
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = join(import.meta.dirname, "../..");

/** The entry file and every file it imports statically, with their sizes. */
function startupFiles(entry: string): Map<string, number> {
  const seen = new Map<string, number>();
  const queue = [join(ROOT, entry)];
  while (queue.length > 0) {
    const file = queue.shift() as string;
    if (seen.has(file)) continue;
    seen.set(file, statSync(file).size);
    const text = readFileSync(file, "utf8");
    // esbuild's ESM output: `import{…}from"./chunks/x.js"`, `import"./x.js"`, `export{…}from"./x.js"`.
    for (const m of text.matchAll(/(?:import|export)[^;"]*?from\s*"(\.[^"]+)"|import\s*"(\.[^"]+)"/g)) {
      queue.push(normalize(join(dirname(file), (m[1] ?? m[2]) as string)));
    }
  }
  return seen;
}

const total = (files: Map<string, number>) => [...files.values()].reduce((a, b) => a + b, 0);

describe("the bundle's start-up", () => {
  it.each([
    // 636 KB on 3 December 2026, after zod's locales and ajv left it (1.29 MB before); 591 KB
    // after @actions/exec and yaml's CommonJS wrappers left it.
    ["dist/index.js", 610_000],
    ["dist/cli.js", 690_000],
    ["dist/post.js", 60_000],
  ])("%s compiles at most %d bytes before it runs", (entry, budget) => {
    const files = startupFiles(entry);
    const listed = [...files].map(([f, n]) => `${f.slice(ROOT.length + 1)} ${n}`).join("\n");
    expect(total(files), `files loaded at start-up:\n${listed}`).toBeLessThanOrEqual(budget);
  });

  it("imports no built-in that only some runs use", () => {
    // https only for an https endpoint, child_process for git and scripts, worker_threads for regex
    // graders: src/adapters/process/builtin.ts loads them on first use. e2e/action.test.ts checks
    // what a run really loads.
    for (const entry of ["dist/index.js", "dist/cli.js"]) {
      for (const file of startupFiles(entry).keys()) {
        const text = readFileSync(file, "utf8");
        for (const name of ["https", "tls", "child_process", "worker_threads", "assert", "perf_hooks"]) {
          expect(text, `${file} imports node:${name}`).not.toMatch(new RegExp(`from\\s*"(node:)?${name}"`));
        }
      }
    }
  });

  it("loads ajv only when a json_schema grader is constructed", () => {
    expect(existsSync(join(ROOT, "dist/chunks/ajv.cjs"))).toBe(true);
    for (const entry of ["dist/index.js", "dist/cli.js"]) {
      for (const file of startupFiles(entry).keys()) {
        // ajv's own error text; the stand-in names only the file it requires.
        expect(readFileSync(file, "utf8"), file).not.toContain("strict mode: ");
      }
    }
  });
});
