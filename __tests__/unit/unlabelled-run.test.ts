// Issue 14, "no silent mis-grade": after `eval-gate rotate`, the cases it brought in (expected null)
// were graded by the default grader, failed on both sides ("Expected output to contain "null""),
// pulled the rotation slices down to 80%, and nothing said why. They must be sent to no model, be
// graded by nothing, stay out of every slice's n, and be counted apart in the report and its views.
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { workspaceSource } from "../../src/adapters/files/git.js";
import { makeProvider } from "../../src/adapters/providers/providers.js";
import type { Command, CommandContext } from "../../src/cli/command.js";
import { parseCommandArgs } from "../../src/cli/command.js";
import { rotateCommand } from "../../src/cli/commands/rotate.js";
import { UserError } from "../../src/core/errors.js";
import { evaluate } from "../../src/core/evaluate.js";
import { buildReport } from "../../src/core/gate/assemble.js";
import { mergePartials, toPartial } from "../../src/core/gate/shard.js";
import { systemClock } from "../../src/core/ports.js";
import { fitReport, reportJson } from "../../src/core/report/fit.js";
import { renderComment, renderSummary, renderTerminal } from "../../src/core/report/render/index.js";
import { renderJunit } from "../../src/core/report/render/junit.js";
import { unlabelledWarnings } from "../../src/core/report/render/unlabelled.js";
import { parseReport } from "../../src/core/report/schema.js";
import { cleanupAll, makeTempDir } from "../support/git-repo.js";
import { messageText, type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";

let server: OpenAIServer;
beforeAll(async () => {
  server = await startOpenAIServer({ respond: () => "I have started your refund; it takes five days." });
});
beforeEach(() => server.reset());
afterAll(async () => {
  await server.close();
  cleanupAll();
});

const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;

function write(dir: string, files: Record<string, string>): void {
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
}

/** Ten labelled cases a slice, which the model always passes, and June's traces to rotate in. */
function project(): string {
  const dir = makeTempDir("unlabelled");
  const labelled = (set: string, slice: string, n: number) =>
    Array.from({ length: n }, (_, i) => ({
      id: `${set}-${slice}-${i}`,
      slice,
      input: `${set} ${slice} question number ${i} about order ${4000 + i}`,
      expected: "refund",
    }));
  write(dir, {
    "eval-gate.yml": [
      "version: 1",
      "target: { model: gpt-4o-mini, system: prompts/support.md }",
      "sets:",
      "  anchor: evals/anchor.jsonl",
      "  rotation: evals/rotation.jsonl",
      "  holdout: { path: evals/holdout.jsonl, visibility: aggregate }",
      "concurrency: 4",
      "requests: { timeout_ms: 5000, attempts: 2 }",
      "gate: { min_slice_n: 4 }",
      "",
    ].join("\n"),
    "prompts/support.md": "You are Acme's support assistant.\n",
    "evals/anchor.jsonl": jsonl(labelled("anchor", "refund", 10)),
    "evals/rotation.jsonl": jsonl([
      ...labelled("rotation", "refund", 5),
      ...labelled("rotation", "billing", 5),
    ]),
    // A holdout case written before it had a label: no expected value at all.
    "evals/holdout.jsonl": jsonl([
      ...labelled("holdout", "x", 4),
      { id: "secret-unlabelled", slice: "x", input: "SECRET held out question" },
    ]),
    "traces/june.jsonl": jsonl(
      Array.from({ length: 20 }, (_, i) => ({
        id: `june-${i}`,
        category: i % 2 ? "billing" : "refund",
        input: `FRESH june ticket ${i}: something about ${i % 2 ? "an invoice" : "my money"} from order ${9000 + i}`,
      })),
    ),
  });
  return dir;
}

async function runCommand(command: Command, argv: string[], cwd: string) {
  let out = "";
  const ctx: CommandContext = {
    env: {},
    cwd,
    out: (s) => {
      out += s;
    },
    err: () => {},
    stdoutIsTTY: false,
    stdoutColumns: 100,
  };
  const { values, positionals } = parseCommandArgs(command, argv);
  return { code: await command.run({ values, positionals }, ctx), out };
}

async function gate(dir: string, withBase = true, shard?: { index: number; count: number }) {
  const env = { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: server.url };
  const source = workspaceSource(dir);
  return evaluate(
    {
      configPath: "eval-gate.yml",
      head: { source, sha: "2".repeat(40) },
      base: withBase ? { source, ref: "main", sha: "1".repeat(40) } : null,
      env,
      allowedEndpoints: null,
      ...(shard ? { shard } : {}),
    },
    { providerFor: (target, config) => makeProvider(target, config, env), clock: systemClock },
  );
}

/** The user messages the model was sent. */
const asked = () =>
  server
    .requests()
    .filter((r) => r.path.endsWith("/chat/completions"))
    .map((r) => {
      const messages = (r.body as { messages: { role: string; content: unknown }[] }).messages;
      return messageText(messages.filter((m) => m.role === "user").at(-1)?.content ?? "");
    });

describe("cases without a label after `eval-gate rotate`", () => {
  it("are never sent to the model, never graded, out of the slices' n, and counted per set", async () => {
    const dir = project();
    const rotated = await runCommand(rotateCommand, ["traces/june.jsonl", "--seed", "3"], dir);
    expect(rotated.code).toBe(0);
    const fresh = readFileSync(join(dir, "evals/rotation.jsonl"), "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l))
      .filter((c) => c.id.startsWith("june-"));
    // What rotate writes today: one fresh case per slice, with no expected value and the flag.
    expect(fresh).toHaveLength(2);
    for (const c of fresh) expect(c).toMatchObject({ expected: null, metadata: { needs_label: true } });

    const { report } = await gate(dir);
    // No request for them: 10 anchor + 8 rotation + 4 holdout cases, on both sides.
    const inputs = asked();
    expect(inputs).toHaveLength(2 * 22);
    expect(inputs.some((t) => t.startsWith("FRESH") || t.startsWith("SECRET"))).toBe(false);

    // The slices are what the labelled cases say: every one passes, on 4 cases, not 80% of 5.
    const rotation = report.slices.filter((s) => s.set === "rotation");
    expect(rotation.map((s) => [s.slice, s.n, s.base_score, s.head_score, s.status])).toEqual(
      expect.arrayContaining([
        ["refund", 4, 1, 1, "unchanged"],
        ["billing", 4, 1, 1, "unchanged"],
      ]),
    );
    expect(report.slices.find((s) => s.set === "holdout")).toMatchObject({ n: 4, head_score: 1 });
    expect(report.cases.some((c) => c.id.startsWith("june-"))).toBe(false);
    expect(report.verdict).toBe("pass");
    expect(report.errors.runs).toBe(0);
    expect(report.unlabelled).toEqual([
      { set: "rotation", file: "evals/rotation.jsonl", count: 2, ids: fresh.map((c) => c.id) },
      { set: "holdout", file: "evals/holdout.jsonl", count: 1, ids: null },
    ]);

    // Taken out before sharding: the merge of two shards reports the same list, and the same slices.
    const shard = async (index: number) => ({
      file: `p${index}`,
      value: toPartial((await gate(dir, true, { index, count: 2 })).collected, { index, count: 2 }),
    });
    const merged = buildReport(mergePartials([await shard(1), await shard(2)]));
    expect(merged.unlabelled).toEqual(report.unlabelled);
    expect(merged.slices).toEqual(report.slices);

    // The report as written is one post-report reads back.
    const fitted = fitReport(report);
    expect(parseReport(reportJson(fitted), "report.json").unlabelled).toEqual(report.unlabelled);

    // Every view says so, per set, and how to label them; the holdout's ids appear in none.
    const sentence = /2 cases in set rotation have no expected value and were not graded; label them/;
    const views = {
      terminal: renderTerminal(fitted),
      comment: renderComment(fitted, { commentId: "default" }),
      summary: renderSummary(fitted),
      junit: renderJunit(fitted),
    };
    expect(views.terminal).toMatch(sentence);
    expect(views.comment).toMatch(sentence);
    expect(views.summary).toMatch(sentence);
    expect(views.terminal).toContain("evals/rotation.jsonl");
    expect(views.comment).toContain("1 case in set holdout has no expected value and was not graded");
    for (const id of fresh.map((c) => c.id)) expect(views.summary).toContain(id);
    for (const text of Object.values(views)) expect(text).not.toContain("secret-unlabelled");
    expect(views.junit).toMatch(/<testcase classname="eval-gate\.rotation" name="june-\d+ \[unlabelled\]"/);
    expect(unlabelledWarnings(fitted)).toEqual([
      expect.stringMatching(/^2 cases in set rotation have no expected value and were not graded/),
      expect.stringMatching(/^1 case in set holdout has no expected value and was not graded/),
    ]);
  });

  it("counts a labelled case again once it has an expected value, a stale needs_label flag or not", async () => {
    const dir = project();
    await runCommand(rotateCommand, ["traces/june.jsonl", "--seed", "3"], dir);
    const file = join(dir, "evals/rotation.jsonl");
    const lines = readFileSync(file, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    // A person labels the fresh cases and leaves the flag behind.
    write(dir, {
      "evals/rotation.jsonl": jsonl(
        lines.map((c) => (c.expected === null ? { ...c, expected: "refund" } : c)),
      ),
    });
    const { report } = await gate(dir);
    expect(report.unlabelled).toEqual([{ set: "holdout", file: "evals/holdout.jsonl", count: 1, ids: null }]);
    expect(report.slices.filter((s) => s.set === "rotation").map((s) => s.n)).toEqual([5, 5]);
    expect(asked().filter((t) => t.startsWith("FRESH"))).toHaveLength(4);
  });

  it("stops before any request when no case at all has a label", async () => {
    const dir = project();
    const unlabel = (path: string) =>
      jsonl(
        readFileSync(join(dir, path), "utf8")
          .trim()
          .split("\n")
          .map((l) => ({ ...JSON.parse(l), expected: null })),
      );
    write(dir, {
      "evals/anchor.jsonl": unlabel("evals/anchor.jsonl"),
      "evals/rotation.jsonl": unlabel("evals/rotation.jsonl"),
      "evals/holdout.jsonl": unlabel("evals/holdout.jsonl"),
    });
    const error = await gate(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserError);
    expect((error as UserError).format()).toMatch(/no case has an expected value/);
    expect(server.requests()).toHaveLength(0);
  });
});

describe("a run without a baseline", () => {
  it("says `no_baseline` for every slice, never `unchanged`, whatever the head scored", async () => {
    const dir = project();
    server.setRespond(() => "Sorry, I cannot help.");
    try {
      const { report } = await gate(dir, false);
      expect(report.slices.length).toBeGreaterThan(0);
      for (const s of report.slices) expect(s).toMatchObject({ head_score: 0, status: "no_baseline" });
      const text = renderTerminal(report);
      expect(text).not.toMatch(/unchanged/);
      expect(text).toMatch(/anchor\s+refund\s+10\s+—\s+0%.*no baseline/);
      expect(renderComment(report, { commentId: "default" })).not.toMatch(/unchanged/);
      expect(renderSummary(report)).not.toMatch(/unchanged/);
    } finally {
      server.setRespond(() => "I have started your refund; it takes five days.");
    }
  });
});
