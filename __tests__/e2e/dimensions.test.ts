// Issue 13 items 5 and 8 end to end, through the bundled action: a PR that keeps the pass rate
// but breaks one of a slice's two graders gets review naming that grader; a PR that makes every
// answer three times longer shows "Behaviour changed", and fails the check under gate.drift: fail.
import { describe, expect, it } from "vitest";
import type { Report } from "../../src/core/report-types.js";
import { messageText, type RespondRequest } from "../support/openai-server.js";
import { runAction } from "./harness.js";
import { prWorld } from "./world.js";

/**
 * A shop bot steered by its system prompt: `format: json` answers `{"reply": ...}` (`json-odd`:
 * only to odd tickets, plain text to the rest); `knows: all` names the ticket's topic (`even`:
 * only for even tickets); `verbose: 3` says everything three times.
 */
function shopBot(req: RespondRequest): string {
  const system = messageText(req.messages.find((m) => m.role === "system")?.content ?? "");
  const user = messageText([...req.messages].reverse().find((m) => m.role === "user")?.content ?? "");
  const [, ticket, topic] = /Ticket (\d+) \((\w+)\)/.exec(user) ?? [];
  const odd = Number(ticket) % 2 === 1;
  const knows = system.includes("knows: all") || (system.includes("knows: even") && !odd);
  const text = knows ? `Done: I handled your ${topic} request.` : "I will look into it.";
  const reply = system.includes("verbose: 3") ? [text, text, text].join(" ") : text;
  const json = system.includes("format: json\n") || (system.includes("format: json-odd") && odd);
  return json ? JSON.stringify({ reply }) : reply;
}

function cases(): string {
  const lines: string[] = [];
  for (const topic of ["refund", "tracking"]) {
    for (let i = 1; i <= 20; i++) {
      lines.push(
        JSON.stringify({
          id: `${topic}-${i}`,
          slice: topic,
          input: `Ticket ${i} (${topic})`,
          expected: topic,
        }),
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

function config(drift: "report" | "fail"): string {
  return [
    "version: 1",
    "target: { model: shop-bot, system: prompts/bot.md }",
    "sets: { anchor: evals/anchor.jsonl }",
    "graders:",
    "  - { type: json_schema, schema: { type: object, required: [reply], properties: { reply: { type: string } } } }",
    '  - { type: contains, value: "{{expected}}" }',
    `gate: { min_slice_n: 10, drift: ${drift} }`,
    "requests: { timeout_ms: 5000, attempts: 3 }",
    "",
  ].join("\n");
}

const world = prWorld({ respond: shopBot, firstPr: 300 });

async function runPr(options: { drift: "report" | "fail"; base: string; head: string }) {
  const { repo, event } = await world.pr(
    { "prompts/bot.md": options.head },
    {
      "eval-gate.yml": config(options.drift),
      "prompts/bot.md": options.base,
      "evals/anchor.jsonl": cases(),
    },
  );
  const env = world.env("sk-test");
  const run = await runAction({ workspace: repo.dir, eventName: "pull_request", event, env });
  const comment = world.github.comments("acme", "widgets", world.prNumber)[0]?.body ?? "";
  return { run, comment, report: run.report as unknown as Report };
}

describe("dimensions through the action", () => {
  it("asks for review naming the grader a PR broke while the slice's pass rate stayed the same", async () => {
    // Base: JSON always, the topic for even tickets; head: JSON for odd tickets only, the topic always.
    const { run, comment, report } = await runPr({
      drift: "report",
      base: "You are a shop bot.\nformat: json\nknows: even\n",
      head: "You are a shop bot.\nformat: json-odd\nknows: all\n",
    });
    expect(run.outputs.verdict).toBe("review");
    expect(run.code).toBe(0);
    const refund = report.slices.find((s) => s.slice === "refund");
    expect(refund).toMatchObject({ base_score: 0.5, head_score: 0.5, status: "unchanged" });
    const rows = report.dimensions?.rows ?? [];
    const schema = rows.find((r) => r.slice === "refund" && r.dimension.startsWith("json_schema"));
    expect(schema).toMatchObject({ base_score: 1, head_score: 0.5, status: "dropped" });
    expect(schema?.dimension).toMatch(/^json_schema: required reply #[0-9a-f]{6}$/);
    const contains = rows.find((r) => r.slice === "refund" && r.dimension === 'contains: "{{expected}}"');
    expect(contains).toMatchObject({ base_score: 0.5, head_score: 1, status: "improved" });
    expect(report.reasons.join("\n")).toMatch(
      /^Dimension dropped: anchor\/refund · json_schema: required reply #[0-9a-f]{6} \(-50 pts\), anchor\/tracking · json_schema/m,
    );
    expect(comment).toContain("### Dimensions");
    expect(comment).toContain("**Dropped (review):** anchor / refund · json\\_schema: required reply");
    expect(comment).not.toContain("Behaviour changed");
    // Per case: both graders' tallies on each side.
    const c = report.cases.find((x) => x.id === "refund-2");
    expect(c?.dimensions).toEqual([schema?.dimension, 'contains: "{{expected}}"']);
    expect(c?.base).toMatchObject({ dim_passes: [1, 1] });
    expect(c?.head).toMatchObject({ dim_passes: [0, 1] });
  });
});

describe("behaviour drift through the action", () => {
  const base = "You are a shop bot.\nformat: json\nknows: all\n";
  const head = "You are a shop bot.\nformat: json\nknows: all\nverbose: 3\n";

  it("shows answers three times as long as 'Behaviour changed' and passes, every grade unchanged", async () => {
    const { run, comment, report } = await runPr({ drift: "report", base, head });
    expect(run.outputs.verdict).toBe("pass");
    expect(report.slices.every((s) => s.status === "unchanged")).toBe(true);
    const all = report.drift?.rows ?? [];
    const rows = all.filter((r) => r.changed);
    expect(rows.map((r) => `${r.slice}:${r.measure}`).sort()).toEqual([
      "refund:output_chars",
      "tracking:output_chars",
    ]);
    expect(rows[0]?.change).toBeGreaterThan(1.5);
    expect(comment).toContain("### 🔀 Behaviour changed");
    expect(comment).toMatch(/- anchor \/ refund: output length \+\d+% \\\(\d+ → \d+ chars\\\) · 20 cases/);
    expect(comment).toContain("Informative: it does not change the verdict");
    // Latency was measured (nothing was cached) and, a few ms either way, did not count.
    expect(all.some((r) => r.measure === "latency_ms" && !r.changed)).toBe(true);
  });

  it("fails the check under gate.drift: fail, with the reason", async () => {
    const { run, comment, report } = await runPr({ drift: "fail", base, head });
    expect(run.code).toBe(1);
    expect(run.outputs.verdict).toBe("fail");
    expect(report.reasons.join("\n")).toMatch(
      /^Behaviour changed \(gate.drift: fail\): anchor\/refund output length \+\d+%/m,
    );
    expect(comment).toContain("It fails the check (`gate.drift: fail`).");
  });
});
