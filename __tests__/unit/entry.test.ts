// The layout GitHub's typescript-action template and @github/local-action expect: src/main.ts and
// src/main-post.ts export `run()` and do nothing when imported; src/index.ts and src/post.ts (the
// bundled entry points) only call them. `npx @github/local-action run . src/main.ts .env` imports
// src/main.ts and calls run() itself, so an import that ran the action would run it twice.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { parse } from "yaml";
import { cleanupAll, makeTempDir } from "../support/git-repo.js";

const ROOT = join(import.meta.dirname, "../..");
const read = (path: string) => readFileSync(join(ROOT, path), "utf8");

afterAll(() => cleanupAll());
afterEach(() => {
  vi.restoreAllMocks();
  vi.unstubAllEnvs();
});

describe.each([
  // The main step then ends the process itself, once stdout and stderr are flushed (exit.ts).
  ["src/main.ts", "src/index.ts", "./main.js", ["await exitWhenFlushed();"]],
  ["src/main-post.ts", "src/post.ts", "./main-post.js", []],
])("%s", (logic, entry, specifier, after) => {
  it("exports run() and does nothing on import", async () => {
    // Where a run would write its outputs, state and summary, and what it would print.
    const dir = makeTempDir("entry");
    for (const name of ["GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_STEP_SUMMARY"]) {
      writeFileSync(join(dir, name), "");
      vi.stubEnv(name, join(dir, name));
    }
    const stdout = vi.spyOn(process.stdout, "write");
    const stderr = vi.spyOn(process.stderr, "write");
    const exitCode = process.exitCode;

    const module = await import(join(ROOT, logic));

    expect(Object.keys(module)).toEqual(["run"]);
    expect(typeof module.run).toBe("function");
    // local-action calls it with no argument.
    expect(module.run.length).toBe(0);
    expect(stdout).not.toHaveBeenCalled();
    expect(stderr).not.toHaveBeenCalled();
    expect(process.exitCode).toBe(exitCode);
    for (const name of ["GITHUB_OUTPUT", "GITHUB_STATE", "GITHUB_STEP_SUMMARY"]) {
      expect(readFileSync(join(dir, name), "utf8")).toBe("");
    }
  });

  it(`is what ${entry} runs, and all it does`, () => {
    const code = read(entry)
      .split("\n")
      .filter((l) => l.trim() && !l.startsWith("//"));
    expect(code.filter((l) => !l.includes("exitWhenFlushed }"))).toEqual([
      `import { run } from "${specifier}";`,
      "await run();",
      ...after,
    ]);
  });
});

describe(".env.example", () => {
  it("sets only inputs that action.yml has", () => {
    const inputs = Object.keys(parse(read("action.yml")).inputs);
    const set = [...read(".env.example").matchAll(/^#?\s*INPUT_([A-Z0-9-]+)=/gm)].map((m) => m[1] as string);
    expect(set.length).toBeGreaterThan(0);
    for (const name of set) expect(inputs.map((i) => i.toUpperCase())).toContain(name);
  });
});
