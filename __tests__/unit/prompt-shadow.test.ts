// A case that opens with its own system message is sent without the target's prompt: the gate
// says so, or a prompt change that cannot reach those cases would pass as "unchanged".
import { describe, expect, it } from "vitest";
import { shadowedPromptWarnings, type TargetSpec } from "../../src/core/config/requests.js";
import { evaluate } from "../../src/core/evaluate.js";
import { systemClock } from "../../src/core/ports.js";
import type { EvalSet } from "../../src/core/types.js";

const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;
const own = (id: string) => ({
  id,
  slice: "geo",
  messages: [
    { role: "system", content: "Answer with one word." },
    { role: "user", content: `question ${id}` },
  ],
  expected: "x",
});

async function run(files: Record<string, string>) {
  const sent: string[][] = [];
  const evaluation = await evaluate(
    {
      configPath: "eval-gate.yml",
      head: { source: { label: "workspace", read: async (p) => files[p] ?? null }, sha: "0".repeat(40) },
      base: null,
      env: {},
      allowedEndpoints: null,
    },
    {
      providerFor: () => ({
        complete: async (request) => {
          sent.push(request.messages.map((m) => String(m.content)));
          return { content: "x" };
        },
      }),
      clock: systemClock,
    },
  );
  return { evaluation, sent };
}

const CONFIG = [
  "version: 1",
  "target: { model: m, system: prompts/support.md }",
  "sets:",
  "  anchor: evals/anchor.jsonl",
  "  holdout: { path: evals/holdout.jsonl, visibility: aggregate }",
  "",
].join("\n");

describe("cases whose own system message shadows target.system", () => {
  it("warns per set with how many cases and where, and says a prompt change does not reach them", async () => {
    const { evaluation, sent } = await run({
      "eval-gate.yml": CONFIG,
      "prompts/support.md": "You are Acme's assistant.",
      "evals/anchor.jsonl": jsonl([
        { id: "plain", slice: "geo", input: "hi", expected: "x" },
        own("a"),
        own("b"),
      ]),
      "evals/holdout.jsonl": jsonl([own("h-secret")]),
    });
    // What the gate sends: the case's own system message, never the target's prompt.
    expect(sent.filter((m) => m[0] === "You are Acme's assistant.")).toHaveLength(1);
    expect(evaluation.warnings).toEqual([
      expect.stringMatching(
        /^anchor: 2 of 3 case\(s\) ignore target\.system \(prompts\/support\.md\): they start with their own system message, which eval-gate sends instead, so a prompt change cannot move their scores \(first at evals\/anchor\.jsonl:2\)\./,
      ),
      expect.stringMatching(
        /^holdout: 1 of 1 case\(s\) ignore target\.system .* cannot move their scores\. Take/,
      ),
    ]);
    expect(evaluation.warnings.join("\n")).not.toContain("h-secret");
    // The report (and so the comment and the summary) carries it too.
    expect(evaluation.report.reasons).toEqual(expect.arrayContaining(evaluation.warnings));
  });

  it("says nothing when the target has no system prompt to shadow", async () => {
    const { evaluation } = await run({
      "eval-gate.yml": CONFIG.replace(", system: prompts/support.md", ""),
      "evals/anchor.jsonl": jsonl([own("a")]),
      "evals/holdout.jsonl": jsonl([own("h")]),
    });
    expect(evaluation.warnings).toEqual([]);
  });
});

describe("shadowed prompts in a big set", () => {
  it("are counted for 150,000 cases without overflowing the stack", () => {
    const cases = Array.from({ length: 150_000 }, (_, i) => ({ ...own(`c${i}`), line: i + 1 }));
    const set = {
      name: "anchor",
      path: "evals/anchor.jsonl",
      visibility: "full",
      cases,
    } as unknown as EvalSet;
    const target = { system: "Be brief.", systemFile: "prompts/system.md" } as unknown as TargetSpec;
    const [warning] = shadowedPromptWarnings([set], [target, null]);
    expect(warning).toContain("150000 of 150000");
  });
});
