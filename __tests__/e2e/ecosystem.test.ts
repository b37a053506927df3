// The conventions GitHub and eval users already live by: annotations on the set file's lines,
// JUnit XML, folded log sections, CLI filters and formats, `init`, `import`, `--help` everywhere.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commands } from "../../src/cli/main.js";
import {
  cleanupAll,
  makePullRequestRepo,
  makeRepo,
  makeTempDir,
  pullRequestEvent,
} from "../support/git-repo.js";
import { type GitHubServer, startGitHubServer } from "../support/github-server.js";
import { type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";
import { findAll, parseXml, type XmlElement } from "../support/xml.js";
import { CLI, runAction, runCli } from "./harness.js";
import { baseFiles, NO_ADDRESS, supportModel } from "./scenario.js";

let openai: OpenAIServer;
let github: GitHubServer;
beforeAll(async () => {
  openai = await startOpenAIServer({ respond: supportModel });
  github = await startGitHubServer();
});
afterAll(async () => {
  await openai.close();
  await github.close();
  cleanupAll();
});

const env = () => ({ OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: "sk-test", GITHUB_API_URL: github.url });

describe("the action on a PR that breaks a slice", () => {
  it("annotates the broken cases on their lines, writes JUnit XML, folds its log and ends with one line", async () => {
    const { repo, baseSha, headSha } = await makePullRequestRepo({
      base: baseFiles(),
      head: { "prompts/support.md": NO_ADDRESS },
    });
    const run = await runAction({
      workspace: repo.dir,
      eventName: "pull_request",
      event: pullRequestEvent({ baseSha, headSha, number: 900 }),
      inputs: { junit: "out/eval-gate.xml" },
      env: env(),
    });
    expect(run.code).toBe(1);

    // Annotations: at most 9 errors, each on a line of evals/anchor.jsonl (or rotation) that holds
    // an address_change case, then one notice for the rest (15 + 10 cases flipped).
    const annotations = [...run.stdout.matchAll(/^::error title=([^,]*),file=([^,]+),line=(\d+)::(.*)$/gm)];
    expect(annotations).toHaveLength(9);
    for (const [, title, file, line, message] of annotations) {
      expect(title).toMatch(/^eval-gate%3A (anchor|rotation)\/address_change regressed$/);
      const text = readFileSync(join(repo.dir, file as string), "utf8").split("\n")[Number(line) - 1];
      expect(JSON.parse(text as string).slice).toBe("address_change");
      expect(message).toContain(`Case ${JSON.parse(text as string).id} passed on base and fails on head`);
    }
    expect(annotations[0]?.[2]).toBe("evals/anchor.jsonl");
    expect(run.stdout).toMatch(/^::notice title=eval-gate%3A more cases got worse::16 more cases/m);

    // The log: three sections, each closed, the sets listed, and the one-line result last.
    const groups = [...run.stdout.matchAll(/^::group::(.*)$/gm)].map((m) => m[1]);
    expect(groups).toEqual(["eval-gate: config and sets", "eval-gate: run", "eval-gate: report"]);
    expect(run.stdout.match(/^::endgroup::$/gm)).toHaveLength(3);
    expect(run.stdout).toContain("set anchor: evals/anchor.jsonl (45 cases)");
    expect(run.stdout).toMatch(/^anchor\s+address_change\s+15\s+100%\s+0%/m);
    // The runner decodes a workflow command's %-escapes before it shows the message.
    const last = run.stdout.trimEnd().split("\n").at(-1)?.replace(/%25/g, "%");
    expect(last).toBe(
      "::error::eval-gate: fail — anchor/address_change 100% → 0% (regressed); 2 of 6 slices regressed",
    );

    // JUnit: one testcase per case (75), in two suites, the broken head cases failing; the base
    // side only in each testcase's properties.
    const root = parseXml(readFileSync(join(repo.dir, "out/eval-gate.xml"), "utf8"));
    expect(root.attrs).toMatchObject({ tests: "75", failures: "25", errors: "0" });
    expect(findAll(root, "testsuite").map((s) => s.attrs.name)).toEqual(["anchor", "rotation"]);
    const failing = findAll(root, "testcase").filter((c) => c.children.some((x) => x.name === "failure"));
    const change = (c: XmlElement) =>
      findAll(c, "property").find((p) => p.attrs.name === "eval-gate.change")?.attrs.value;
    expect(failing.map(change)).toEqual(Array(25).fill("worse"));
    expect(failing[0]?.attrs.classname).toBe("eval-gate.anchor.address_change");
  });
});

describe("eval-gate run: filters, formats, JUnit", () => {
  it("runs only the sets, slices and cases asked for", async () => {
    const repo = await makeRepo(baseFiles());
    const run = await runCli(
      ["run", "--set", "anchor", "--slice", "refund,order_status", "--format", "json"],
      {
        cwd: repo.dir,
        env: env(),
      },
    );
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.slices.map((s: { set: string; slice: string }) => `${s.set}/${s.slice}`).sort()).toEqual([
      "anchor/order_status",
      "anchor/refund",
    ]);
    expect(report).toEqual(JSON.parse(readFileSync(join(repo.dir, ".eval-gate/report.json"), "utf8")));

    const one = await runCli(["run", "--case", "a-refund-1", "--case", "a-refund-2", "--junit", "j.xml"], {
      cwd: repo.dir,
      env: env(),
    });
    expect(one.code).toBe(0);
    const cases = findAll(parseXml(readFileSync(join(repo.dir, "j.xml"), "utf8")), "testcase");
    expect(cases.map((c) => c.attrs.name)).toEqual(["a-refund-1", "a-refund-2"]);

    const none = await runCli(["run", "--slice", "nope"], { cwd: repo.dir, env: env() });
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--slice: nope names no slice\. Slices: anchor: [a-z_, ]*refund/);
  });

  it("prints the job summary's Markdown with --format markdown, with no colour codes", async () => {
    const { repo } = await makePullRequestRepo({
      base: baseFiles(),
      head: { "prompts/support.md": NO_ADDRESS },
    });
    const run = await runCli(["run", "--base", "main", "--format", "markdown"], {
      cwd: repo.dir,
      env: env(),
    });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/^## /m);
    expect(run.stdout).toContain("address_change");
    expect(run.stdout).not.toContain("\u001b[");
    const bad = await runCli(["run", "--format", "yaml"], { cwd: repo.dir, env: env() });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--format is "yaml"');
  });
});

describe("eval-gate --help", () => {
  it.each(commands.map((c) => c.name))(
    "`%s --help` prints its usage and options and exits 0",
    async (name) => {
      const run = await runCli([name, "--help"], { cwd: makeTempDir("help") });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^eval-gate ${name}: `));
      expect(run.stdout).toContain(`Usage:\n  eval-gate ${name}`);
      expect(run.stdout).toContain("-h, --help");
    },
  );

  it("lists every command", async () => {
    const run = await runCli(["--help"], { cwd: makeTempDir("help") });
    for (const c of commands) expect(run.stdout).toContain(`  ${c.name}`);
  });
});

describe("eval-gate init", () => {
  it("writes a starter that `eval-gate run` accepts, and refuses to overwrite without --force", async () => {
    const repo = await makeRepo({ "README.md": "# shop\n" });
    // npm_command is cleared: `npx vitest` would hand its own "exec" down to the CLI.
    const init = await runCli(["init"], { cwd: repo.dir, env: { npm_command: "" } });
    expect(init.code).toBe(0);
    expect(init.stdout).toContain("Wrote eval-gate.yml, prompts/system.md, evals/anchor.jsonl");
    // Run from this clone's bundle: the next steps say how to run that bundle again.
    expect(init.stdout).toContain(`node ${CLI} run --base main`);

    const run = await runCli(["run"], { cwd: repo.dir, env: env() });
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(readFileSync(join(repo.dir, ".eval-gate/report.json"), "utf8"));
    expect(report.slices.map((s: { slice: string; n: number }) => `${s.slice}:${s.n}`).sort()).toEqual([
      "order_status:6",
      "refund:6",
    ]);

    writeFileSync(join(repo.dir, "prompts/system.md"), "mine\n");
    const again = await runCli(["init"], { cwd: repo.dir });
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already exist");
    expect(again.stderr).toContain("--force");
    expect(readFileSync(join(repo.dir, "prompts/system.md"), "utf8")).toBe("mine\n");
    const forced = await runCli(["init", "--force"], { cwd: repo.dir, env: { npm_command: "exec" } });
    expect(forced.code).toBe(0);
    // Under npx the bin is on no PATH: the next steps use npx too.
    expect(forced.stdout).toContain("npx eval-gate run --base main");
    expect(readFileSync(join(repo.dir, "prompts/system.md"), "utf8")).not.toBe("mine\n");
  });
});

describe("eval-gate import", () => {
  const FIXTURES = join(import.meta.dirname, "../unit/fixtures/import");

  it("converts OpenAI evals samples into a set that `eval-gate run` runs", async () => {
    const repo = await makeRepo({
      "eval-gate.yml": "version: 1\ntarget: { model: m }\nsets: { anchor: evals/anchor.jsonl }\n",
    });
    const imp = await runCli(
      [
        "import",
        "openai-evals",
        join(FIXTURES, "samples.jsonl"),
        "--out",
        "evals/anchor.jsonl",
        "--slice-from",
        "category",
      ],
      { cwd: repo.dir },
    );
    expect(imp.code).toBe(0);
    expect(imp.stdout).toContain("Wrote 3 case(s) in 3 slice(s) to evals/anchor.jsonl");
    expect(imp.stderr).toMatch(/skipped: .*samples\.jsonl:5: /);
    const run = await runCli(["run"], { cwd: repo.dir, env: env() });
    expect(run.code, run.stderr).toBe(0);
    expect(JSON.parse(readFileSync(join(repo.dir, ".eval-gate/report.json"), "utf8")).cases).toHaveLength(3);

    const again = await runCli(
      ["import", "openai-evals", join(FIXTURES, "samples.jsonl"), "--out", "evals/anchor.jsonl"],
      {
        cwd: repo.dir,
      },
    );
    expect(again.code).toBe(2);
    expect(again.stderr).toContain("already exists");
  });

  it("moves the samples' own system message into the target with --system-from-target, and the run warns until then", async () => {
    const repo = await makeRepo({
      "eval-gate.yml":
        "version: 1\ntarget: { model: m, system: prompts/system.md }\nsets: { anchor: evals/anchor.jsonl }\n",
      "prompts/system.md": "You are a quiz bot.\n",
    });
    const samples = join(FIXTURES, "samples.jsonl");
    const kept = await runCli(["import", "openai-evals", samples, "--out", "evals/anchor.jsonl"], {
      cwd: repo.dir,
    });
    expect(kept.code).toBe(0);
    expect(kept.stderr).toMatch(/note: 1 of 3 case\(s\) start with their own system message \(line 1\)/);
    const shadowed = await runCli(["run"], { cwd: repo.dir, env: env() });
    expect(shadowed.code, shadowed.stderr).toBe(0);
    expect(shadowed.stderr).toMatch(
      /warning: anchor: 1 of 3 case\(s\) ignore target\.system \(prompts\/system\.md\)/,
    );

    const moved = await runCli(
      ["import", "openai-evals", samples, "--out", "evals/anchor.jsonl", "--system-from-target", "--force"],
      { cwd: repo.dir },
    );
    expect(moved.code, moved.stderr).toBe(0);
    expect(moved.stderr).toMatch(/changed: .*samples\.jsonl:1: system message left out/);
    expect(moved.stdout).toContain(
      "Wrote the system message the 1 sample(s) shared to evals/anchor.system.md",
    );
    expect(moved.stdout).toContain("target: { system: evals/anchor.system.md }");
    expect(readFileSync(join(repo.dir, "evals/anchor.system.md"), "utf8")).toBe("Answer with one word.\n");
    const clean = await runCli(["run"], { cwd: repo.dir, env: env() });
    expect(clean.code, clean.stderr).toBe(0);
    expect(clean.stderr).not.toContain("ignore target.system");
  });

  it("converts a promptfoo config and lists what it skipped, with lines", async () => {
    const dir = makeTempDir("import");
    const imp = await runCli(
      [
        "import",
        "promptfoo",
        join(FIXTURES, "promptfooconfig.yaml"),
        "--out",
        "evals/pf.jsonl",
        "--slice-from",
        "topic",
      ],
      { cwd: dir },
    );
    expect(imp.code).toBe(0);
    expect(imp.stderr).toMatch(/dropped: .*promptfooconfig\.yaml:34: test 2, assert 3: type `javascript`/);
    expect(imp.stderr).toMatch(
      /dropped: .*promptfooconfig\.yaml:6: providers: not imported \(openai:gpt-4o-mini\)/,
    );
    expect(imp.stdout).toContain("; 1 test skipped, 4 items dropped (listed on stderr)");
    const lines = readFileSync(join(dir, "evals/pf.jsonl"), "utf8").trim().split("\n");
    expect(lines.map((l) => JSON.parse(l).slice)).toEqual(["refund", "orders", "order_status", "refund"]);

    const wrong = await runCli(["import", "langsmith", "x.json", "--out", "y.jsonl"], { cwd: dir });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('unknown format "langsmith"');
    expect(existsSync(join(dir, "y.jsonl"))).toBe(false);
  });
});
