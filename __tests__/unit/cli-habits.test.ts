import { execFileSync } from "node:child_process";
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type CommandContext, formatOption, listOption } from "../../src/cli/command.js";
import { finish } from "../../src/cli/finish.js";
import { parseConfigWithLines } from "../../src/core/config/parse-config.js";
import { parseSet } from "../../src/core/config/sets.js";
import { starterFiles } from "../../src/core/config/starter.js";
import { validateGraders } from "../../src/core/config/validate-graders.js";
import { graderRegistry } from "../../src/core/graders/index.js";
import { cleanupAll, makeTempDir } from "../support/git-repo.js";
import { brokenAnchorReport } from "./fixtures/scenarios.js";

afterAll(() => cleanupAll());

function context(env: Record<string, string> = {}, tty = true) {
  const out: string[] = [];
  const err: string[] = [];
  const ctx: CommandContext = {
    env,
    cwd: makeTempDir("finish"),
    out: (s) => out.push(s),
    err: (s) => err.push(s),
    stdoutIsTTY: tty,
    stdoutColumns: 120,
  };
  return { ctx, out, err };
}

describe("CLI options", () => {
  it("takes repeated and comma-separated values", () => {
    expect(listOption(["refund,billing", " shipping "])).toEqual(["refund", "billing", "shipping"]);
    expect(listOption("a")).toEqual(["a"]);
    expect(listOption(undefined)).toEqual([]);
  });

  it("knows three formats and names them when given another", () => {
    expect(formatOption(undefined)).toBe("table");
    expect(formatOption("markdown")).toBe("markdown");
    expect(() => formatOption("yaml")).toThrow(/--format is "yaml"/);
  });
});

describe("finish", () => {
  const ESC = "\u001b[";

  it("colours the table on a terminal, and not when NO_COLOR is set or stdout is not a terminal", async () => {
    const tty = context();
    expect(await finish(brokenAnchorReport(), { json: "r.json", failOn: "regression" }, tty.ctx)).toBe(1);
    expect(tty.out.join("")).toContain(ESC);
    const noColor = context({ NO_COLOR: "1" });
    await finish(brokenAnchorReport(), { json: "r.json", failOn: "regression" }, noColor.ctx);
    expect(noColor.out.join("")).not.toContain(ESC);
    const piped = context({}, false);
    await finish(brokenAnchorReport(), { json: "r.json", failOn: "regression" }, piped.ctx);
    expect(piped.out.join("")).not.toContain(ESC);
  });

  it("says where the flipped cases the table leaves out can be read: the report it wrote", async () => {
    const tty = context();
    await finish(brokenAnchorReport(), { json: "out/r.json", failOn: "regression" }, tty.ctx);
    expect(tty.out.join("")).toContain("and 4 more: see out/r.json");
  });

  it("prints the job summary's Markdown or the report's JSON, and writes JUnit XML", async () => {
    const md = context();
    await finish(brokenAnchorReport(), { json: "r.json", failOn: "never", format: "markdown" }, md.ctx);
    expect(md.out.join("")).toMatch(/^## .*fail/m);
    expect(md.out.join("")).not.toContain(ESC);
    const json = context();
    const code = await finish(
      brokenAnchorReport(),
      { json: "r.json", failOn: "never", format: "json", junit: "out/junit.xml" },
      json.ctx,
    );
    expect(code).toBe(0);
    expect(JSON.parse(json.out.join(""))).toEqual(brokenAnchorReport());
    expect(readFileSync(join(json.ctx.cwd, "out/junit.xml"), "utf8")).toMatch(/^<\?xml/);
    expect(json.err.join("")).toContain("JUnit XML: out/junit.xml");
  });
});

describe("the starter files of eval-gate init", () => {
  it("are a valid config and a valid set of 12 cases over 2 slices", () => {
    const files = starterFiles({ model: "gpt-4o-mini" });
    const { config } = parseConfigWithLines(files["eval-gate.yml"] as string, "eval-gate.yml");
    expect(config.target.system).toBe("prompts/system.md");
    expect(config.sets.anchor?.path).toBe("evals/anchor.jsonl");
    expect(
      validateGraders(config.graders, graderRegistry, { file: "eval-gate.yml", field: "graders" }),
    ).toEqual([]);
    const set = parseSet(files["evals/anchor.jsonl"] as string, "evals/anchor.jsonl", "anchor", "full");
    expect(set.cases).toHaveLength(12);
    expect(new Set(set.cases.map((c) => c.slice))).toEqual(new Set(["refund", "order_status"]));
    expect(files["prompts/system.md"]).not.toContain("{{");
  });
});

describe("scripts/readme-tables.mjs", () => {
  const ROOT = resolve(import.meta.dirname, "../..");
  const script = join(ROOT, "scripts/readme-tables.mjs");
  const run = (args: string[]) => {
    try {
      return {
        code: 0,
        out: execFileSync(process.execPath, [script, ...args], {
          cwd: ROOT,
          encoding: "utf8",
          stdio: "pipe",
        }),
      };
    } catch (e) {
      const err = e as { status: number; stderr: string };
      return { code: err.status, out: err.stderr };
    }
  };

  it("finds the README's tables in step with action.yml", () => {
    expect(run(["--check"])).toMatchObject({ code: 0 });
  });

  it("fails --check with a clear message when an input changes, and rewrites the tables without it", () => {
    const dir = makeTempDir("readme");
    const readme = join(dir, "README.md");
    const action = join(dir, "action.yml");
    copyFileSync(join(ROOT, "README.md"), readme);
    const yml = readFileSync(join(ROOT, "action.yml"), "utf8").replace(
      "outputs:\n",
      "  new-input:\n    description: Something | new.\n    default: x\noutputs:\n",
    );
    writeFileSync(action, yml);
    const check = run(["--check", "--readme", readme, "--action", action]);
    expect(check.code).toBe(1);
    expect(check.out).toContain("do not match");
    expect(check.out).toContain("npm run readme");
    expect(run(["--readme", readme, "--action", action]).code).toBe(0);
    expect(readFileSync(readme, "utf8")).toMatch(/\| `new-input` +\| `x` +\| Something \\\| new\. +\|/);
    expect(run(["--check", "--readme", readme, "--action", action]).code).toBe(0);
    writeFileSync(readme, "# no markers\n");
    expect(run(["--check", "--readme", readme, "--action", action]).out).toContain(
      "no <!-- inputs:start -->",
    );
  });
});
