// The eval set's life through the bundled CLI: traces -> sample -> label -> check -> rotate.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { cleanupAll, makeTempDir } from "../support/git-repo.js";
import { runCli } from "./harness.js";

afterAll(() => cleanupAll());

function write(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;
const SLICES = ["refund", "address_change", "billing"];
const ask = (i: number, month: string) =>
  `${month} ticket ${i}: something about ${SLICES[i % 3]} for order ${7000 + i}, placed ${i % 9} days ago`;

describe("eval-gate sample, check and rotate", () => {
  it("builds a set from traces, gates on leaks and overlaps with exit codes 0, 1 and 2", async () => {
    const dir = makeTempDir("lifecycle-e2e");
    const traces = (month: string) =>
      jsonl(
        Array.from({ length: 90 }, (_, i) => ({
          id: `${month}-${i}`,
          category: SLICES[i % 3],
          input: ask(i, month),
          thumbs_down: i % 4 === 0,
        })),
      );
    write(dir, {
      "eval-gate.yml": [
        "version: 1",
        "target: { model: gpt-4o-mini, system: prompts/support.md }",
        "sets:",
        "  anchor: evals/anchor.jsonl",
        "  rotation: evals/rotation.jsonl",
        "",
      ].join("\n"),
      "prompts/support.md": "You are a support assistant.\n",
      "traces/may.jsonl": traces("may"),
      "traces/june.jsonl": traces("june"),
    });

    const help = await runCli(["--help"], { cwd: dir });
    for (const name of ["sample", "rotate", "check", "perturb"]) expect(help.stdout).toContain(name);

    // A config naming a file that is not there is bad input; the config's own set files may not
    // exist yet (this is how they get made).
    const missing = await runCli(
      [
        "sample",
        "traces/may.jsonl",
        "--out",
        "evals/anchor.jsonl",
        "--per-slice",
        "12",
        "--config",
        "none.yml",
      ],
      { cwd: dir },
    );
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("error: none.yml: the config file does not exist");
    // Traces whose slice is under another name: nothing is drawn into one big `unsliced` slice.
    write(dir, {
      "traces/topics.jsonl": jsonl(
        Array.from({ length: 30 }, (_, i) => ({
          id: `t-${i}`,
          topic: SLICES[i % 3],
          input: ask(i, "april"),
        })),
      ),
    });
    const unsliced = await runCli(["sample", "traces/topics.jsonl", "--out", "evals/t.jsonl"], { cwd: dir });
    expect(unsliced.code).toBe(2);
    expect(unsliced.stderr).toContain(
      "error: traces/topics.jsonl: --slice-field: no trace has a `slice` or `category` field: all 30 would be in slice `unsliced`",
    );
    expect(unsliced.stderr).toContain(
      "--slice-field topic (3 values in 30 traces: address_change, billing, refund)",
    );
    expect(existsSync(join(dir, "evals/t.jsonl"))).toBe(false);
    const first = await runCli(
      ["sample", "traces/may.jsonl", "--out", "evals/anchor.jsonl", "--per-slice", "12"],
      {
        cwd: dir,
      },
    );
    expect(first.code, first.stderr).toBe(0);
    // "Label" the draft: the expected value a person would write.
    const labelled = readFileSync(join(dir, "evals/anchor.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .map((c) => ({ ...c, expected: c.slice, metadata: { ...c.metadata, needs_label: false } }));
    write(dir, { "evals/anchor.jsonl": jsonl(labelled) });

    const rotation = await runCli(
      ["sample", "traces/may.jsonl", "--out", "evals/rotation.jsonl", "--per-slice", "12", "--seed", "2"],
      { cwd: dir },
    );
    expect(rotation.code).toBe(0);
    expect(rotation.stdout).toContain("36 traces whose id a set already holds");

    const clean = await runCli(["check"], { cwd: dir });
    expect(clean.code, clean.stdout + clean.stderr).toBe(0);
    expect(clean.stdout).toContain("36 cases of rotation still need an expected value");
    expect(clean.stdout).toMatch(/anchor\s+billing\s+12\s+90%\s+>= \d/);

    const rotated = await runCli(["rotate", "traces/june.jsonl", "--seed", "2026-06"], { cwd: dir });
    expect(rotated.code).toBe(0);
    expect(rotated.stdout).toMatch(/Left \(6\):/);
    const lines = readFileSync(join(dir, "evals/rotation.jsonl"), "utf8").trim().split("\n");
    expect(lines).toHaveLength(36);
    expect(lines.filter((l) => l.includes('"id":"june-'))).toHaveLength(6);

    const leakedInput = labelled[0].input as string;
    write(dir, { "prompts/support.md": `You are a support assistant.\nFor example: "${leakedInput}"\n` });
    const leak = await runCli(["check"], { cwd: dir });
    expect(leak.code).toBe(1);
    expect(leak.stdout).toContain("prompts/support.md:2");

    write(dir, { "evals/anchor.jsonl": '{"id": 1}\n' });
    const broken = await runCli(["check"], { cwd: dir });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toMatch(/error: evals\/anchor\.jsonl:1: /);
  });
});
