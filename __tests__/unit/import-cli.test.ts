// `eval-gate import` on real folders: what it reads for a promptfoo config (file:// values, inside
// the project only) and what it prints (every item not imported as it was, and true counts).
import { existsSync, mkdirSync, readFileSync, symlinkSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { importCommand } from "../../src/cli/commands/import.js";
import { runCommand, writeFiles } from "../support/command-run.js";
import { cleanupAll, makeRepo, makeTempDir } from "../support/git-repo.js";

afterAll(() => cleanupAll());

const run = (argv: string[], cwd: string) => runCommand(importCommand, argv, cwd);
const write = writeFiles;

const CONFIG = [
  "prompts: ['Answer: {{question}}']", // 1
  "providers: [openai:chat:gpt-4o-mini]", // 2
  "tests:", // 3
  "  - description: refund", // 4
  "    vars: { question: file://data/refund.txt, order: file://data/order.yaml }", // 5
  "    options: { transform: output.trim() }", // 6
  "    assert: [{ type: contains, value: refund }, { type: python, value: file://check.py }]", // 7
  "  - vars: { question: file://data/missing.txt }", // 8
  "  - vars: { question: Where is my parcel? }", // 9
  "",
].join("\n");

describe("eval-gate import promptfoo", () => {
  it("loads file:// vars relative to the config, lists what it leaves out with lines, and counts true", async () => {
    const dir = makeTempDir("import");
    write(dir, {
      "pf/promptfooconfig.yaml": CONFIG,
      "pf/data/refund.txt": "My blender broke.",
      "pf/data/order.yaml": "id: 7\n",
    });
    const r = await run(["promptfoo", "pf/promptfooconfig.yaml", "--out", "evals/pf.jsonl"], dir);
    expect(r.code).toBe(0);
    const cases = readFileSync(join(dir, "evals/pf.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(cases.map((c) => [c.input, c.vars])).toEqual([
      ["My blender broke.", { order: { id: 7 } }],
      ["Where is my parcel?", undefined],
    ]);
    expect(r.err.split("\n").filter((l) => /^(skipped|dropped|changed):/.test(l))).toEqual([
      expect.stringMatching(
        /^skipped: pf\/promptfooconfig\.yaml:8: test 2: vars\.question: file:\/\/data\/missing\.txt does not exist/,
      ),
      expect.stringMatching(
        /^dropped: pf\/promptfooconfig\.yaml:2: providers: not imported \(openai:chat:gpt-4o-mini\): .*`target: \{ model: gpt-4o-mini \}`/,
      ),
      expect.stringMatching(
        /^dropped: pf\/promptfooconfig\.yaml:6: test 1: options\.transform is not imported/,
      ),
      "dropped: pf/promptfooconfig.yaml:7: test 1, assert 2: type `python` has no eval-gate grader",
      "changed: pf/promptfooconfig.yaml:9: test 3: no assertion was imported: the case uses the config's default graders",
    ]);
    expect(r.out).toContain(
      "Wrote 2 case(s) in 1 slice(s) to evals/pf.jsonl; 1 test skipped, 3 items dropped, 1 case changed (listed on stderr).",
    );
  });

  it("refuses a file:// path out of the project, or a link that leads out, naming the line and the var", async () => {
    const dir = makeTempDir("import");
    write(dir, {
      "secret.txt": "a secret",
      "pf/promptfooconfig.yaml": CONFIG.replace("file://data/refund.txt", "file://../secret.txt"),
    });
    // Outside git, the project is the config's own folder.
    await expect(
      run(["promptfoo", "pf/promptfooconfig.yaml", "--out", "x.jsonl"], dir),
    ).rejects.toMatchObject({
      file: "pf/promptfooconfig.yaml",
      line: 5,
      field: "tests[0].vars.question",
      message: expect.stringMatching(/^file:\/\/\.\.\/secret\.txt: it is outside the project folder .*\/pf$/),
    });
    write(dir, { "pf/promptfooconfig.yaml": CONFIG });
    mkdirSync(join(dir, "pf/data"), { recursive: true });
    symlinkSync(join(dir, "secret.txt"), join(dir, "pf/data/refund.txt"));
    await expect(run(["promptfoo", "pf/promptfooconfig.yaml", "--out", "x.jsonl"], dir)).rejects.toThrow(
      /file:\/\/data\/refund\.txt: it is a symbolic link to a file outside the project folder/,
    );
    expect(existsSync(join(dir, "x.jsonl"))).toBe(false);
  });

  it("reads files anywhere in the config's git repository", async () => {
    const repo = await makeRepo({
      "shared/refund.txt": "Refund me.",
      "shared/order.yaml": "id: 8\n",
      "evals/pf/promptfooconfig.yaml": CONFIG.replace(
        "file://data/refund.txt",
        "file://../../shared/refund.txt",
      ).replace("file://data/order.yaml", "file://../../shared/order.yaml"),
    });
    const r = await run(
      ["promptfoo", "evals/pf/promptfooconfig.yaml", "--out", "evals/anchor.jsonl"],
      repo.dir,
    );
    expect(r.code).toBe(0);
    expect(readFileSync(join(repo.dir, "evals/anchor.jsonl"), "utf8")).toContain('"input":"Refund me."');
  });
});
