import { mkdir, mkdtemp, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { makeGraderContext } from "../../src/adapters/graders/grader-context.js";
import { createScriptRunner, type ScriptRunner } from "../../src/adapters/scripts/script-runner.js";
import { UserError } from "../../src/core/errors.js";

let dir: string;
let outside: string;
let runner: ScriptRunner;
const logged: string[] = [];

async function write(path: string, text: string): Promise<string> {
  const file = join(dir, path);
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, text);
  return file;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "eval-gate-scripts-"));
  outside = await mkdtemp(join(tmpdir(), "eval-gate-outside-"));
  await write(
    "counter.mjs",
    [
      "globalThis.loads = (globalThis.loads ?? 0) + 1;",
      "let calls = 0;",
      "export function grade() { calls++; return { pass: true, reason: 'loads ' + globalThis.loads + ' calls ' + calls }; }",
      "export function spin() { for (;;) {} }",
      "export async function slow({ ms }) { await new Promise((r) => setTimeout(r, ms)); calls++; return { pass: true, reason: 'loads ' + globalThis.loads + ' calls ' + calls }; }",
      "export function later() { setTimeout(() => { throw new Error('boom'); }, 10); return new Promise(() => {}); }",
      "export function hog() { const keep = []; for (;;) keep.push(new Array(1e5).fill(keep.length)); }",
      "export function env() { return { pass: true, reason: String(process.env.SECRET_FOR_TEST) }; }",
      "export function chatty() { console.log('hello from the script'); return { pass: true }; }",
      "export function exits() { process.exit(3); }",
      "export function fn() { return { pass: true, extra: () => 1 }; }",
      "export const notAFunction = 1;",
    ].join("\n"),
  );
  await write("cjs.js", "module.exports.grade = ({ output }) => ({ pass: output === 'ok' });\n");
  await write("esm-in-cjs.js", "export function grade() { return { pass: true }; }\n");
  await write("syntax.mjs", "export function grade( {\n");
  await writeFile(join(outside, "evil.mjs"), "export function grade() { return { pass: true }; }\n");
  await symlink(join(outside, "evil.mjs"), join(dir, "link.mjs"));
  runner = createScriptRunner({ readableRoot: dir, log: (t) => logged.push(t), poolSize: 1 });
});
afterAll(async () => {
  await runner.close();
  await rm(dir, { recursive: true, force: true });
  await rm(outside, { recursive: true, force: true });
});

describe("createScriptRunner", () => {
  it("loads a module once per child, and runs one call at a time on each", async () => {
    const file = join(dir, "counter.mjs");
    const results = await Promise.all([1, 2, 3].map(() => runner.run(file, "grade", {}, 5000)));
    expect(results.map((r) => (r as { reason: string }).reason).sort()).toEqual([
      "loads 1 calls 1",
      "loads 1 calls 2",
      "loads 1 calls 3",
    ]);
  });

  it("stops a call past its limit, and the next call gets a fresh child", async () => {
    const file = join(dir, "counter.mjs");
    const started = Date.now();
    const spinning = runner.run(file, "spin", {}, 300);
    const queued = runner.run(file, "grade", {}, 5000); // waits for its turn; its limit starts then
    await expect(spinning).rejects.toThrow("timed out after 300 ms (the script was stopped)");
    await expect(queued).resolves.toMatchObject({ pass: true, reason: "loads 1 calls 1" });
    expect(Date.now() - started).toBeLessThan(3000);
  });

  it("counts only a call's own time against its limit", async () => {
    const file = join(dir, "counter.mjs");
    // Together they take longer than the limit of each.
    const calls = [1, 2, 3].map(() => runner.run(file, "slow", { ms: 400 }, 1000));
    await expect(Promise.all(calls)).resolves.toHaveLength(3);
  });

  it("gives the script no environment, and its console output to the log", async () => {
    process.env.SECRET_FOR_TEST = "sk-do-not-leak";
    try {
      const file = join(dir, "counter.mjs");
      expect(await runner.run(file, "env", {}, 5000)).toEqual({ pass: true, reason: "undefined" });
      await runner.run(file, "chatty", {}, 5000);
      await new Promise((r) => setTimeout(r, 50));
      expect(logged.join("")).toContain("hello from the script");
    } finally {
      delete process.env.SECRET_FOR_TEST;
    }
  });

  it("runs CommonJS modules, and ESM syntax in a .js file (or says how to fix it on a Node without detection)", async () => {
    expect(await runner.run(join(dir, "cjs.js"), "grade", { output: "ok" }, 5000)).toEqual({ pass: true });
    const esm = await runner.run(join(dir, "esm-in-cjs.js"), "grade", {}, 5000).catch((e: unknown) => e);
    if (esm instanceof Error) {
      expect(esm).toBeInstanceOf(UserError);
      expect((esm as UserError).fix).toContain("rename it to .mjs");
    } else expect(esm).toEqual({ pass: true });
  });

  it("reports a module that does not load, or lacks the function, as user errors", async () => {
    const broken = runner.run(join(dir, "syntax.mjs"), "grade", {}, 5000);
    await expect(broken).rejects.toBeInstanceOf(UserError);
    await expect(broken).rejects.toThrow(/could not be loaded/);
    const missing = runner.run(join(dir, "counter.mjs"), "nope", {}, 5000);
    await expect(missing).rejects.toThrow(/exports no function `nope`/);
    await expect(missing).rejects.toHaveProperty(
      "fix",
      expect.stringMatching(
        /^Name one of its exported functions: chatty, env, exits, fn, grade, hog, later, slow, spin\.$/,
      ),
    );
    await expect(runner.run(join(dir, "counter.mjs"), "notAFunction", {}, 5000)).rejects.toThrow(
      /exports no function/,
    );
  });

  it("survives a script that exits, crashes later, runs out of heap, or returns what cannot be copied", async () => {
    const file = join(dir, "counter.mjs");
    await expect(runner.run(file, "exits", {}, 5000)).rejects.toThrow(/exited \(code 3\)/);
    await expect(runner.run(file, "later", {}, 5000)).rejects.toThrow("it crashed: boom");
    await expect(runner.run(file, "fn", {}, 5000)).rejects.toThrow(/cannot be copied/);
    await expect(runner.run(file, "grade", {}, 5000)).resolves.toMatchObject({ pass: true });
    const small = createScriptRunner({ readableRoot: dir, log: () => {}, maxHeapMb: 32 });
    try {
      await expect(small.run(file, "hog", {}, 20_000)).rejects.toThrow(
        "it ran out of memory (its heap limit is 32 MB)",
      );
    } finally {
      await small.close();
    }
  });

  it("keeps up to poolSize warm children per module", async () => {
    const pooled = createScriptRunner({ readableRoot: dir, log: () => {}, poolSize: 2 });
    try {
      const file = join(dir, "counter.mjs");
      const calls = [1, 2, 3, 4].map(() => pooled.run(file, "slow", { ms: 300 }, 5000));
      const reasons = (await Promise.all(calls)).map((r) => (r as { reason: string }).reason);
      // Two children, each loading the module once; which takes the later calls depends on timing.
      expect(reasons.every((r) => r.startsWith("loads 1 calls "))).toBe(true);
      expect(reasons.filter((r) => r === "loads 1 calls 1")).toHaveLength(2);
    } finally {
      await pooled.close();
    }
  });

  it("refuses a module outside its readable root", async () => {
    const run = runner.run(join(outside, "evil.mjs"), "grade", {}, 1000);
    await expect(run).rejects.toBeInstanceOf(UserError);
    await expect(run).rejects.toThrow(/is outside the folder scripts may read/);
  });

  it("rejects waiting calls on close", async () => {
    const own = createScriptRunner({ readableRoot: dir, log: () => {}, poolSize: 1 });
    const file = join(dir, "counter.mjs");
    const running = expect(own.run(file, "spin", {}, 10_000)).rejects.toThrow("the run was stopped");
    const waiting = expect(own.run(file, "grade", {}, 10_000)).rejects.toThrow("the run was stopped");
    await new Promise((r) => setTimeout(r, 100));
    await own.close();
    await running;
    await waiting;
    await expect(own.run(file, "grade", {}, 1000)).rejects.toThrow(/closed/);
  });
});

describe("runScript of the grader context", () => {
  // Every context a test makes is closed: each owns a runner, whose temporary folder goes on close.
  const made: ReturnType<typeof makeGraderContext>[] = [];
  afterEach(async () => {
    await Promise.all(made.splice(0).map((c) => c.close()));
  });

  function context(configDir: string) {
    const ctx = makeGraderContext({
      endpoint: "http://127.0.0.1:9/v1",
      apiKey: "k",
      timeoutMs: 1000,
      configDir,
      repoRoot: dir,
      readRepoFile: async () => null,
      embeddingModel: "e",
      judgeModel: null,
    });
    made.push(ctx);
    return ctx;
  }

  it("resolves paths from the config's folder, and may climb to a sibling inside the repository", async () => {
    await write("ci/evals/grade.mjs", "export function grade() { return { pass: true, reason: 'here' }; }\n");
    expect(await context("ci").runScript("evals/grade.mjs", "grade", {}, 5000)).toMatchObject({
      reason: "here",
    });
    expect(await context("ci/other").runScript("../evals/grade.mjs", "grade", {}, 5000)).toMatchObject({
      reason: "here",
    });
  });

  it("refuses paths that leave the repository, by .. or by a link", async () => {
    for (const path of ["../outside.mjs", "../../etc/passwd.mjs", "/etc/x.mjs", "a/../../b.mjs"]) {
      const run = context(".").runScript(path, "grade", {}, 1000);
      await expect(run).rejects.toBeInstanceOf(UserError);
      await expect(run).rejects.toThrow(/outside the repository/);
    }
    await expect(context(".").runScript("link.mjs", "grade", {}, 1000)).rejects.toThrow(
      /links to a file outside the repository/,
    );
    await expect(context(".").runScript("missing.mjs", "grade", {}, 1000)).rejects.toThrow(
      /the script missing.mjs does not exist/,
    );
    await expect(context(".").runScript("ci", "grade", {}, 1000)).rejects.toThrow(/not a JavaScript module/);
  });
});
