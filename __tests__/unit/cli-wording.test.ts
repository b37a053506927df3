// The CLI speaks CLI: its errors name flags, files and the shell, never a workflow's syntax; its
// help says what options do in plain words; the README's synopsis lists every command it has.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { afterAll, afterEach, describe, expect, it, vi } from "vitest";
import { resolveCommit } from "../../src/adapters/files/git.js";
import { makeProvider } from "../../src/adapters/providers/providers.js";
import { commandHelp } from "../../src/cli/command.js";
import { commands, main } from "../../src/cli/main.js";
import type { Config } from "../../src/core/config/config.js";
import type { ResolvedTarget } from "../../src/core/config/target.js";
import { UserError } from "../../src/core/errors.js";
import { cleanupAll, makeRepo } from "../support/git-repo.js";

afterAll(() => cleanupAll());

const ROOT = resolve(import.meta.dirname, "../..");
/** What only makes sense in a workflow file or the action's inputs. */
const WORKFLOW = /\$\{\{|secrets\.|fetch-depth|workflow|INPUT_|with:|actions\/checkout|the action's|base-ref/;

function caught(f: () => unknown): UserError {
  try {
    f();
  } catch (e) {
    if (e instanceof UserError) return e;
    throw e;
  }
  throw new Error("nothing thrown");
}

async function caughtAsync(p: Promise<unknown>): Promise<UserError> {
  const e = await p.then(
    () => new Error("nothing thrown"),
    (x: unknown) => x,
  );
  if (e instanceof UserError) return e;
  throw e;
}

describe("errors for two audiences", () => {
  it("a missing key: a secret for the action, the shell for the CLI", () => {
    const target = {
      provider: "openai",
      apiKeyEnv: "MY_KEY",
      endpoint: "https://x.invalid",
    } as ResolvedTarget;
    const e = caught(() => makeProvider(target, {} as Config, {}));
    expect(e.format()).toContain("secrets.MY_KEY }}");
    const cli = e.format("cli");
    expect(cli).toContain("export MY_KEY=");
    expect(cli).not.toMatch(WORKFLOW);
  });

  it("a base that is not there: fetch-depth for the action, git fetch and --base for the CLI", async () => {
    const repo = await makeRepo({ "README.md": "x\n" });
    const e = await caughtAsync(resolveCommit(repo.dir, "release-9"));
    expect(e.format()).toContain("fetch-depth: 0");
    const cli = e.format("cli");
    expect(cli).toMatch(/^--base: the base release-9 is not in this checkout/);
    expect(cli).toContain("`git fetch origin release-9`");
    expect(cli).not.toMatch(WORKFLOW);
  });

  it("without CLI wording, both audiences read the same", () => {
    const e = new UserError("bad", { file: "a.yml", line: 2, field: "x", fix: "Fix it." });
    expect(e.format("cli")).toBe(e.format());
    expect(e.format()).toBe("a.yml:2: x: bad. Fix it.");
  });
});

describe("eval-gate's own error output", () => {
  const cwd = process.cwd();
  afterEach(() => {
    process.chdir(cwd);
    vi.restoreAllMocks();
  });

  async function run(argv: string[], dir: string, env: Record<string, string> = {}) {
    let err = "";
    vi.spyOn(process.stderr, "write").mockImplementation((s) => {
      err += String(s);
      return true;
    });
    vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    process.chdir(dir);
    const code = await main(argv, env);
    process.chdir(cwd);
    vi.restoreAllMocks();
    return { code, err };
  }

  it("names --config for a missing config, and --base for a missing ref", async () => {
    const repo = await makeRepo({ "README.md": "x\n" });
    const missing = await run(["run", "--no-cache", "--config", "nope.yml"], repo.dir);
    expect(missing.code).toBe(2);
    expect(missing.err).toContain("error: nope.yml: the config file does not exist");
    expect(missing.err).toContain("pass --config FILE");
    expect(missing.err).not.toMatch(WORKFLOW);
    const base = await run(["run", "--no-cache", "--base", "release-9"], repo.dir);
    expect(base.code).toBe(2);
    expect(base.err).toContain("error: --base: the base release-9 is not in this checkout");
    expect(base.err).not.toMatch(WORKFLOW);
  });
});

describe("the CLI's help and the README", () => {
  it("says what each option does without jargon: no seed documents, issue or section numbers", () => {
    for (const c of commands) {
      const help = commandHelp(c);
      expect(help, c.name).not.toMatch(/\bseed \d{3}\b|§|\bissue \d+|\barticle\b/i);
    }
  });

  it("lists every command in the README's CLI synopsis", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    const section = readme.slice(readme.indexOf("\n## CLI\n"));
    const synopsis = /```text\n([\s\S]*?)```/.exec(section)?.[1] ?? "";
    for (const c of commands) expect(synopsis, c.name).toMatch(new RegExp(`^eval-gate ${c.name}\\b`, "m"));
  });
});
