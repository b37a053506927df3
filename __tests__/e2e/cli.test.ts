import { existsSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll, makePullRequestRepo, makeRepo } from "../support/git-repo.js";
import { type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";
import { runCli, runProcess } from "./harness.js";
import { baseFiles, NO_ADDRESS, REWORDED, supportModel } from "./scenario.js";

let openai: OpenAIServer;
beforeAll(async () => {
  openai = await startOpenAIServer({ respond: supportModel });
});
afterAll(async () => {
  await openai.close();
  cleanupAll();
});

const env = () => ({ OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: "sk-test" });

describe("eval-gate run", () => {
  it("exits 1 and names the slice when the working tree breaks one", async () => {
    const { repo } = await makePullRequestRepo({
      base: baseFiles(),
      head: { "prompts/support.md": NO_ADDRESS },
    });
    const run = await runCli(["run", "--base", "main"], { cwd: repo.dir, env: env() });
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("address_change");
    expect(run.stdout).toMatch(/regressed/i);
    expect(run.stderr).toMatch(/\d+\/\d+ runs/);
    const report = JSON.parse(readFileSync(join(repo.dir, ".eval-gate/report.json"), "utf8"));
    expect(report.verdict).toBe("fail");
    expect(report.base.sha).toMatch(/^[0-9a-f]{40}$/);
  });

  it("judges a working tree by the base's eval set when it deletes the slice it breaks", async () => {
    const files = baseFiles();
    const drop = (text: string) =>
      text
        .split("\n")
        .filter((l) => !l.includes('"slice":"address_change"'))
        .join("\n");
    const { repo } = await makePullRequestRepo({
      base: files,
      head: {
        "prompts/support.md": NO_ADDRESS,
        "evals/anchor.jsonl": drop(files["evals/anchor.jsonl"] as string),
        "evals/rotation.jsonl": drop(files["evals/rotation.jsonl"] as string),
      },
    });
    const run = await runCli(["run", "--base", "main"], { cwd: repo.dir, env: env() });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/address_change\s+15\s+100%\s+0%/);
    expect(run.stdout).toMatch(/This PR changes the eval set \(25 case\(s\) removed\)/);
  });

  it("exits 0 for a wording-only change, and writes the report where --json says", async () => {
    const { repo } = await makePullRequestRepo({
      base: baseFiles(),
      head: { "prompts/support.md": REWORDED },
    });
    const run = await runCli(["run", "--base", "main", "--json", "out/r.json"], {
      cwd: repo.dir,
      env: env(),
    });
    expect(run.code).toBe(0);
    expect(JSON.parse(readFileSync(join(repo.dir, "out/r.json"), "utf8")).verdict).toBe("pass");
  });

  it("runs head only when the base has no config, and calls no slice unchanged", async () => {
    const { repo } = await makePullRequestRepo({ base: { "README.md": "# shop\n" }, head: baseFiles() });
    const run = await runCli(["run", "--base", "main"], { cwd: repo.dir, env: env() });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(/no baseline/i);
    const report = JSON.parse(readFileSync(join(repo.dir, ".eval-gate/report.json"), "utf8"));
    expect(report.base).toBeNull();
    expect(report.slices.map((s: { status: string }) => s.status)).toEqual(
      Array(report.slices.length).fill("no_baseline"),
    );
    expect(run.stdout).not.toMatch(/unchanged/);
    expect(run.stdout).toMatch(/anchor\s+refund\s+15\s+—\s+100%.*no baseline/);
  });

  it("sends cases without a label to no model, grades none of them, and says so per set", async () => {
    const files = baseFiles();
    // What `eval-gate rotate` writes: fresh cases with no expected value, flagged for a person.
    const fresh = [1, 2, 3].map((i) =>
      JSON.stringify({
        id: `june-${i}`,
        slice: "refund",
        input: `UNLABELLED ticket ${i} (refund)`,
        expected: null,
        metadata: { source_id: `june-${i}`, needs_label: true },
      }),
    );
    files["evals/rotation.jsonl"] = `${files["evals/rotation.jsonl"]}${fresh.join("\n")}\n`;
    const { repo } = await makePullRequestRepo({ base: files, head: { "prompts/support.md": REWORDED } });
    openai.clearRequests();
    const run = await runCli(["run", "--base", "main"], { cwd: repo.dir, env: env() });
    expect(run.code, run.stderr).toBe(0);
    const sent = JSON.stringify(openai.requests().map((r) => r.body));
    expect(sent).not.toContain("UNLABELLED");
    // The rotation's labelled inputs repeat the anchor's, so 45 distinct requests a side.
    expect(openai.requests().filter((r) => r.path.endsWith("/chat/completions"))).toHaveLength(2 * 45);
    const report = JSON.parse(readFileSync(join(repo.dir, ".eval-gate/report.json"), "utf8"));
    expect(report.verdict).toBe("pass");
    expect(report.unlabelled).toEqual([
      { set: "rotation", file: "evals/rotation.jsonl", count: 3, ids: ["june-1", "june-2", "june-3"] },
    ]);
    // Still 10 cases at 100% on both sides: the unlabelled ones are in no slice's n.
    expect(run.stdout).toMatch(/rotation\s+refund\s+10\s+100%\s+100%/);
    // The terminal wraps notes at its width: compare with the line breaks taken out.
    expect(run.stdout.replace(/\n\s*/g, " ")).toContain(
      "not graded: 3 cases in set rotation have no expected value and were not graded; label them: write each one's `expected` in evals/rotation.jsonl.",
    );
    expect(run.stderr).toContain(
      "warning: 3 cases in set rotation have no expected value and were not graded",
    );
    expect(run.stdout).toMatch(/eval-gate: pass|verdict: PASS/);
  });

  it("exits 2 with the file, line and field of a bad config, no stack trace, no report", async () => {
    const repo = await makeRepo({
      ...baseFiles(),
      "eval-gate.yml": "version: 1\ntarget:\n  modle: x\nsets: {}\n",
    });
    const run = await runCli(["run"], { cwd: repo.dir, env: env() });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("eval-gate.yml:3");
    expect(run.stderr).toContain("did you mean `model`");
    expect(run.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(join(repo.dir, ".eval-gate/report.json"))).toBe(false);
  });

  it("exits 2 when the provider keeps failing, never counting it as a pass", async () => {
    const repo = await makeRepo(baseFiles());
    writeFileSync(join(repo.dir, "eval-gate.yml"), `${baseFiles()["eval-gate.yml"]}\n`);
    openai.setFaults({ down: "503" });
    try {
      const run = await runCli(["run", "--no-cache"], { cwd: repo.dir, env: env() });
      expect(run.code).toBe(2);
      const report = JSON.parse(readFileSync(join(repo.dir, ".eval-gate/report.json"), "utf8"));
      expect(report.verdict).toBe("error");
      expect(report.errors.runs).toBeGreaterThan(0);
    } finally {
      openai.setFaults({});
    }
  });
});

describe("the bundled offline example", () => {
  it("runs with no key and no network and catches the regression (npm run example)", async () => {
    const run = await runProcess([join(import.meta.dirname, "../../examples/demo.mjs")], {
      cwd: join(import.meta.dirname, "../.."),
      env: { PATH: process.env.PATH ?? "", NO_COLOR: "1" },
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/anchor\s+address_change.*regressed/);
    expect(run.stdout).toContain("the gate failed the PR, as it should");
    // It says where the repo was, that it is gone, and how to keep it.
    const repo = /^Example repo: (\S+)/m.exec(run.stdout)?.[1] as string;
    expect(existsSync(repo)).toBe(false);
    expect(run.stdout).toContain("npm run example -- --keep");
  });

  it("keeps the example repo with --keep and says where it is", async () => {
    const run = await runProcess([join(import.meta.dirname, "../../examples/demo.mjs"), "--keep"], {
      cwd: join(import.meta.dirname, "../.."),
      env: { PATH: process.env.PATH ?? "", NO_COLOR: "1" },
    });
    const repo = /^Example repo: (\S+) \(kept: --keep\)$/m.exec(run.stdout)?.[1] as string;
    try {
      expect(run.code).toBe(0);
      expect(existsSync(join(repo, ".eval-gate/report.json"))).toBe(true);
      expect(run.stdout).toContain(`The example repo is still at ${repo}`);
    } finally {
      if (repo) rmSync(repo, { recursive: true, force: true });
    }
  });
});

describe("leakage", () => {
  it("refuses a PR whose prompt holds an eval case, and only notes it on a head-only run", async () => {
    const leaked = `${NO_ADDRESS}Example: when a customer writes "Ticket 3 (refund) I need my money back for the broken kettle order" answer refund.\n`;
    const files = baseFiles();
    files["evals/anchor.jsonl"] = (files["evals/anchor.jsonl"] as string).replace(
      '"input":"Ticket 3 (refund)"',
      '"input":"Ticket 3 (refund) I need my money back for the broken kettle order"',
    );
    const { repo } = await makePullRequestRepo({ base: files, head: { "prompts/support.md": leaked } });
    const pr = await runCli(["run", "--base", "main"], { cwd: repo.dir, env: env() });
    expect(pr.code).toBe(2);
    expect(pr.stderr).toMatch(
      /evals\/anchor\.jsonl:\d+: input: the input of case `a-refund-3` is in prompts\/support\.md:\d+ \(word for word\)/,
    );
    const push = await runCli(["run"], { cwd: repo.dir, env: env() });
    expect(push.code).toBe(0);
    expect(push.stderr).toMatch(/note: .*a-refund-3/);
  });
});

describe("usage and cost", () => {
  it("prices each side's tokens when the config names prices", async () => {
    const files = baseFiles();
    files["eval-gate.yml"] = (files["eval-gate.yml"] as string).replace(
      "  params: { temperature: 0 }",
      "  params: { temperature: 0 }\n  prices: { prompt: 0.15, completion: 0.6 }",
    );
    const { repo } = await makePullRequestRepo({ base: files, head: { "prompts/support.md": REWORDED } });
    const run = await runCli(["run", "--base", "main"], { cwd: repo.dir, env: env() });
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(join(repo.dir, ".eval-gate/report.json"), "utf8"));
    for (const side of [report.usage_by_side.base, report.usage_by_side.head]) {
      expect(side.prompt_tokens).toBeGreaterThan(0);
      expect(side.cost_usd).toBeCloseTo((side.prompt_tokens * 0.15 + side.completion_tokens * 0.6) / 1e6, 12);
    }
    // The reworded prompt is longer: the head side's prompt tokens and cost are higher.
    expect(report.usage_by_side.head.cost_usd).toBeGreaterThan(report.usage_by_side.base.cost_usd);
  });
});
