// The life-cycle commands on a real folder: sample -> label -> check -> rotate -> perturb.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkCommand } from "../../src/cli/commands/check.js";
import { perturbCommand } from "../../src/cli/commands/perturb.js";
import { rotateCommand } from "../../src/cli/commands/rotate.js";
import { sampleCommand } from "../../src/cli/commands/sample.js";
import { commands } from "../../src/cli/main.js";
import { parseSet } from "../../src/core/config/sets.js";
import { UserError, UserErrors } from "../../src/core/errors.js";
import { runCommand, writeFiles } from "../support/command-run.js";
import { cleanupAll, makeTempDir } from "../support/git-repo.js";
import { type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";

afterAll(() => cleanupAll());

const run = runCommand;
const write = writeFiles;

const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;
const TOPICS = ["parcel", "invoice", "address", "password", "coupon", "receipt", "delivery", "warranty"];
const ask = (i: number) =>
  `question ${i}: what about my ${TOPICS[i % 8]} from order ${1000 + i}, it was placed on day ${i % 28} at ${i % 24} o'clock`;

function project(): string {
  const dir = makeTempDir("lifecycle");
  const traces = Array.from({ length: 120 }, (_, i) => ({
    id: `tr-${i}`,
    category: ["refund", "address_change", "billing"][i % 3],
    input: ask(i),
    output: `answer ${i}`,
    ...(i % 5 === 0 ? { thumbs_down: true } : {}),
    latency_ms: (i * 97) % 9000,
  }));
  write(dir, {
    "eval-gate.yml": [
      "version: 1",
      "target: { model: gpt-4o-mini, system: prompts/support.md }",
      "sets:",
      "  anchor: evals/anchor.jsonl",
      "  rotation: evals/rotation.jsonl",
      "  holdout: { path: evals/holdout.jsonl, visibility: aggregate }",
      "gate: { min_slice_n: 4 }",
      "",
    ].join("\n"),
    "prompts/support.md": "You are Acme's support assistant. Be brief and kind.\n",
    "evals/anchor.jsonl": jsonl(
      Array.from({ length: 20 }, (_, i) => ({
        id: `tr-${i}`,
        slice: "refund",
        input: ask(i),
        expected: "refund",
      })),
    ),
    "evals/rotation.jsonl": jsonl(
      Array.from({ length: 10 }, (_, i) => ({
        id: `rot-${i}`,
        slice: i < 5 ? "refund" : "billing",
        input: `rotation case ${i} about a ${TOPICS[i % 8]} problem number ${5000 + i}`,
        expected: "ok",
      })),
    ),
    "evals/holdout.jsonl": jsonl([
      { id: "secret-1", slice: "x", input: "a held out question nobody should see", expected: "ok" },
    ]),
    "traces/2026-05.jsonl": jsonl(traces),
    "traces/2026-06.jsonl": jsonl(
      traces.map((t, i) => ({ ...t, id: `new-${i}`, input: `fresh ${t.input} again in june` })),
    ),
  });
  return dir;
}

describe("the commands are registered", () => {
  it("lists sample, rotate, check and perturb", () => {
    const names = commands.map((c) => c.name);
    for (const n of ["sample", "rotate", "check", "perturb"]) expect(names).toContain(n);
  });
});

describe("eval-gate sample", () => {
  it("writes a reproducible draft set without the cases the config's sets hold, and says how it drew", async () => {
    const dir = project();
    const args = ["traces/2026-05.jsonl", "--size", "30", "--seed", "7", "--hard-if", "latency_ms>8000"];
    const first = await run(sampleCommand, [...args, "--out", "evals/draft.jsonl"], dir);
    expect(first.code).toBe(0);
    const second = await run(sampleCommand, [...args, "--out", "evals/draft2.jsonl"], dir);
    const a = readFileSync(join(dir, "evals/draft.jsonl"), "utf8");
    expect(readFileSync(join(dir, "evals/draft2.jsonl"), "utf8")).toBe(a);
    expect(second.out.replace("draft2", "draft")).toBe(first.out);
    const set = parseSet(a, "evals/draft.jsonl", "draft", "full");
    expect(set.cases).toHaveLength(30);
    // The anchor holds tr-0..tr-19: never drawn again.
    expect(set.cases.some((c) => ["tr-0", "tr-3", "tr-19"].includes(c.id))).toBe(false);
    expect(first.out).toContain("largest remainder");
    expect(first.out).toContain("whose id a set already holds");
    expect(first.out).toMatch(/Hard traces: 12 of 30 drawn/);
    expect(first.out).toMatch(
      /address_change\s+33\s+9\s+9\.90\s+10\s+4\nbilling\s+34\s+11\s+10\.20\s+10\s+4\n/,
    );
  });

  it("reads `slice` by default, and refuses, writing nothing, when no trace has one, suggesting a field", async () => {
    const dir = project();
    const rows = (key: string) =>
      Array.from({ length: 30 }, (_, i) => ({
        id: `s-${i}`,
        [key]: ["refund", "billing"][i % 2],
        input: ask(200 + i),
      }));
    write(dir, { "traces/slice.jsonl": jsonl(rows("slice")), "traces/topic.jsonl": jsonl(rows("topic")) });
    const sliced = await run(sampleCommand, ["traces/slice.jsonl", "--out", "a.jsonl", "--size", "10"], dir);
    expect(sliced.code).toBe(0);
    expect(sliced.out).toMatch(/^billing\s+15\s/m);
    expect(sliced.out).not.toContain("unsliced");

    await expect(
      run(sampleCommand, ["traces/topic.jsonl", "--out", "b.jsonl", "--size", "10"], dir),
    ).rejects.toMatchObject({
      message: expect.stringMatching(
        /^no trace has a `slice` or `category` field: all 30 would be in slice `unsliced`/,
      ),
      fix: expect.stringMatching(/--slice-field topic \(2 values in 30 traces: billing, refund\)/),
    });
    expect(existsSync(join(dir, "b.jsonl"))).toBe(false);
    // Drawing without slices, on purpose.
    const one = await run(
      sampleCommand,
      ["traces/topic.jsonl", "--out", "b.jsonl", "--size", "10", "--default-slice", "all"],
      dir,
    );
    expect(one.code).toBe(0);
    expect(one.err).toMatch(
      /^warning: no trace has a `slice` or `category` field: all 30 are in slice `all`/,
    );
    await expect(run(rotateCommand, ["traces/topic.jsonl", "--dry-run"], dir)).rejects.toThrow(
      /no trace has a `slice` or `category` field/,
    );
  });

  it("refuses to overwrite a file without --force, and reports bad flags as user errors", async () => {
    const dir = project();
    await expect(
      run(sampleCommand, ["traces/2026-05.jsonl", "--out", "evals/anchor.jsonl"], dir),
    ).rejects.toThrow(UserError);
    await expect(
      run(sampleCommand, ["traces/2026-05.jsonl", "--out", "x.jsonl", "--hard-share", "1.5"], dir),
    ).rejects.toThrow(/--hard-share/);
    await expect(
      run(sampleCommand, ["traces/2026-05.jsonl", "evals/a.jsonl", "--out", "x.jsonl"], dir),
    ).rejects.toMatchObject({ fix: expect.stringMatching(/quote it/) });
  });

  it("excludes the files --exclude names, globs included", async () => {
    const dir = project();
    write(dir, { "other/extra.jsonl": jsonl([{ id: "tr-70", slice: "s", input: "x" }]) });
    const r = await run(
      sampleCommand,
      [
        "traces/2026-05.jsonl",
        "--out",
        "d.jsonl",
        "--size",
        "200",
        "--exclude",
        "other/*.jsonl",
        "--config",
        "eval-gate.yml",
      ],
      dir,
    );
    const ids = readFileSync(join(dir, "d.jsonl"), "utf8");
    expect(ids).not.toContain('"tr-70"');
    expect(r.out).toContain("21 traces whose id a set already holds");
  });
});

describe("eval-gate check", () => {
  it("exits 0 on a clean project and prints the slices with what drop each can see", async () => {
    const dir = project();
    const r = await run(checkCommand, [], dir);
    expect(r.code).toBe(0);
    expect(r.out).toContain("Result: clean.");
    expect(r.out).toMatch(/anchor\s+refund\s+20\s+90%\s+>= \d+(\.\d)? pts\n/);
    expect(r.out).toMatch(/rotation\s+refund\s+5\s+90%\s+none \(too few cases\)/);
    expect(r.out).toContain("holdout");
    expect(r.out).not.toContain("secret-1");
  });

  it("exits 1 on a case leaked into the prompt or the same case in two sets, naming holdout cases by line", async () => {
    const dir = project();
    write(dir, {
      "prompts/support.md": `You are Acme's support assistant.\nExample: ${ask(2)}\n`,
      "evals/holdout.jsonl": jsonl([{ id: "secret-1", slice: "x", input: ask(4) }]),
    });
    const r = await run(checkCommand, ["--json", "out/check.json"], dir);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/anchor\s+tr-2 \(line 3\)\s+input\s+prompts\/support\.md:2\s+exact/);
    expect(r.out).toMatch(/anchor\s+tr-4 \(line 5\)\s+holdout\s+line 1\s+exact/);
    expect(r.out).not.toContain("secret-1");
    const json = JSON.parse(readFileSync(join(dir, "out/check.json"), "utf8"));
    expect(json.leaks).toHaveLength(1);
    expect(json.overlaps[0]).toMatchObject({ a: "anchor", b: "holdout", id_b: null });
  });

  it("uses the base pass rates of a report", async () => {
    const dir = project();
    write(dir, {
      "report.json": JSON.stringify({
        slices: [{ set: "anchor", slice: "refund", base_score: 0.3, head_score: 0.3 }],
      }),
    });
    const r = await run(checkCommand, ["--report", "report.json"], dir);
    // At α/4 a drop needs 7 discordant pairs; 20 cases reach 80% power only past a 30% pass rate.
    expect(r.out).toMatch(/anchor\s+refund\s+20\s+30%\s+none/);
    expect(r.out).toMatch(/rotation\s+refund\s+5\s+90%\*/);
  });

  it("stops on a bad config or set with every problem at once (exit 2 through main)", async () => {
    const dir = project();
    write(dir, { "evals/rotation.jsonl": '{"id": "x"}\nnot json\n', "prompts/support.md": "" });
    try {
      await run(checkCommand, [], dir);
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UserErrors);
      expect((e as UserErrors).errors.map((x) => [x.file, x.line])).toEqual([
        ["evals/rotation.jsonl", 1],
        ["evals/rotation.jsonl", 1],
        ["evals/rotation.jsonl", 2],
      ]);
    }
  });
});

describe("eval-gate rotate", () => {
  it("replaces 20% of each slice in place, prints what left and came in, and --dry-run writes nothing", async () => {
    const dir = project();
    const before = readFileSync(join(dir, "evals/rotation.jsonl"), "utf8");
    const dry = await run(rotateCommand, ["traces/2026-06.jsonl", "--dry-run", "--seed", "3"], dir);
    expect(readFileSync(join(dir, "evals/rotation.jsonl"), "utf8")).toBe(before);
    const r = await run(rotateCommand, ["traces/2026-06.jsonl", "--seed", "3"], dir);
    expect(dry.out.replace(" [dry run: nothing written]", "")).toBe(r.out);
    const after = parseSet(readFileSync(join(dir, "evals/rotation.jsonl"), "utf8"), "r", "rotation", "full");
    expect(after.cases).toHaveLength(10);
    expect(after.cases.filter((c) => c.slice === "refund")).toHaveLength(5);
    expect(after.cases.filter((c) => c.id.startsWith("new-"))).toHaveLength(2);
    expect(r.out).toMatch(/Left \(2\):\n {2}billing: rot-\d\n {2}refund: rot-\d/);
    expect(r.out).toMatch(/Came in \(2\):/);
  });

  it("rotates an aggregate set without naming its cases", async () => {
    const dir = project();
    write(dir, {
      "evals/holdout.jsonl": jsonl(
        Array.from({ length: 10 }, (_, i) => ({
          id: `secret-${i}`,
          slice: "refund",
          input: `held out ${i} ${ask(500 + i)}`,
        })),
      ),
    });
    const r = await run(rotateCommand, ["traces/2026-06.jsonl", "--set", "holdout"], dir);
    expect(r.out).toContain("aggregate-only");
    expect(r.out).not.toMatch(/secret-|new-/);
  });
});

describe("eval-gate perturb", () => {
  let server: OpenAIServer;
  beforeAll(async () => {
    server = await startOpenAIServer({
      respond: ({ messages }) => `Please, kindly: ${String(messages[1]?.content)}`,
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it("writes deterministic variants, and rewrites through OPENAI_BASE_URL", async () => {
    const dir = project();
    const r = await run(
      perturbCommand,
      ["evals/anchor.jsonl", "--out", "evals/robust.jsonl", "--per-case", "1"],
      dir,
    );
    expect(r.code).toBe(0);
    const first = readFileSync(join(dir, "evals/robust.jsonl"), "utf8");
    await run(
      perturbCommand,
      ["evals/anchor.jsonl", "--out", "evals/robust.jsonl", "--per-case", "1", "--force"],
      dir,
    );
    expect(readFileSync(join(dir, "evals/robust.jsonl"), "utf8")).toBe(first);
    expect(parseSet(first, "r", "robust", "full").cases).toHaveLength(80);

    const env = { OPENAI_BASE_URL: server.url, OPENAI_API_KEY: "sk-test" };
    const rw = await run(
      perturbCommand,
      [
        "evals/anchor.jsonl",
        "--out",
        "rw.jsonl",
        "--transforms",
        "none",
        "--rewrite",
        "polite",
        "--model",
        "m",
      ],
      dir,
      env,
    );
    expect(rw.out).toContain("polite: 20");
    const cases = parseSet(readFileSync(join(dir, "rw.jsonl"), "utf8"), "rw", "rw", "full").cases;
    expect(cases[0]?.input).toBe(`Please, kindly: ${ask(0)}`);
    expect(cases[0]?.expected).toBe("refund");
    // A set with variants and originals is not an overlap for `check`.
    expect(existsSync(join(dir, "rw.jsonl"))).toBe(true);
  });

  it("needs a key and a model for rewrites", async () => {
    const dir = project();
    await expect(
      run(
        perturbCommand,
        ["evals/anchor.jsonl", "--out", "x.jsonl", "--rewrite", "angry", "--model", "m"],
        dir,
        {},
      ),
    ).rejects.toThrow(/OPENAI_API_KEY/);
    // Without a config there is no target.model to fall back on.
    const bare = makeTempDir("perturb");
    write(bare, { "anchor.jsonl": readFileSync(join(dir, "evals/anchor.jsonl"), "utf8") });
    await expect(
      run(perturbCommand, ["anchor.jsonl", "--out", "x.jsonl", "--rewrite", "angry"], bare),
    ).rejects.toThrow(/--model/);
  });

  it("rewrites through the config's target.base_url with the key target.api_key_env names, and its model", async () => {
    const own = await startOpenAIServer({ respond: ({ messages }) => `Hi! ${String(messages[1]?.content)}` });
    try {
      const dir = project();
      write(dir, {
        "eval-gate.yml": readFileSync(join(dir, "eval-gate.yml"), "utf8").replace(
          "target: { model: gpt-4o-mini, system: prompts/support.md }",
          `target: { model: support-model, system: prompts/support.md, base_url: "${own.url}", api_key_env: MY_GATEWAY_KEY }`,
        ),
      });
      // OPENAI_* point elsewhere: the config's endpoint and key variable win, as in the gate.
      const env = { MY_GATEWAY_KEY: "sk-gateway", OPENAI_BASE_URL: server.url, OPENAI_API_KEY: "sk-wrong" };
      const r = await run(
        perturbCommand,
        ["evals/anchor.jsonl", "--out", "rw.jsonl", "--transforms", "none", "--rewrite", "polite"],
        dir,
        env,
      );
      expect(r.code).toBe(0);
      expect(own.requests()).toHaveLength(20);
      expect(own.requests().every((q) => q.authorization === "Bearer sk-gateway")).toBe(true);
      expect(own.requests().every((q) => (q.body as { model: string }).model === "support-model")).toBe(true);
      expect(r.err).toContain(`rewrites by support-model at ${own.url}`);
      await expect(
        run(perturbCommand, ["evals/anchor.jsonl", "--out", "x.jsonl", "--rewrite", "polite"], dir, {}),
      ).rejects.toThrow(/MY_GATEWAY_KEY is not set/);
    } finally {
      await own.close();
    }
  });

  it("writes nothing and fails when no rewrite is usable, and says how many were rejected and why", async () => {
    let echo = (text: string, i: number) => (i % 2 === 0 ? text : `Hello. ${text}`);
    let n = 0;
    const own = await startOpenAIServer({
      respond: ({ messages }) => echo(String(messages[1]?.content), n++),
    });
    try {
      const dir = project();
      const env = { OPENAI_BASE_URL: own.url, OPENAI_API_KEY: "sk-test" };
      const args = ["evals/anchor.jsonl", "--per-case", "1", "--rewrite", "polite", "--model", "m"];
      const some = await run(perturbCommand, [...args, "--out", "some.jsonl"], dir, env);
      expect(some.code).toBe(0);
      expect(some.out).toContain("polite: 10");
      expect(some.out).toMatch(/Rejected 10 of 20 rewrites: 10 unchanged \(tr-\d+~polite, /);

      echo = (text) => text;
      await expect(run(perturbCommand, [...args, "--out", "none.jsonl"], dir, env)).rejects.toThrow(
        /no usable rewrite: all 20 were rejected \(20 unchanged\)/,
      );
      expect(existsSync(join(dir, "none.jsonl"))).toBe(false);
      await expect(
        run(perturbCommand, [...args, "--transforms", "none", "--out", "none.jsonl"], dir, env),
      ).rejects.toMatchObject({ fix: expect.stringMatching(/^Nothing was written/) });
      expect(existsSync(join(dir, "none.jsonl"))).toBe(false);
    } finally {
      await own.close();
    }
  });
});
