// Issue 5 end to end: a judge that its human labels vouch for may fail the check and one they
// refute may not; a trajectory that skips a confirmation fails with the trajectory shown; a
// script grader reads the final state.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll, makePullRequestRepo } from "../support/git-repo.js";
import {
  messageText,
  type OpenAIServer,
  type RespondRequest,
  type RespondResult,
  startOpenAIServer,
} from "../support/openai-server.js";
import { runCli } from "./harness.js";
import { ALL_SKILLS, casesJsonl, configYaml, NO_ADDRESS, supportModel } from "./scenario.js";

/**
 * The judge answers by a rule on the output. Both rules grade the bot's answers alike ("Done: I
 * handled…" passes, "Sorry…" fails), so both see the PR's regression; on the human labels the
 * good rule agrees every time and the bad one never does.
 */
function judge(req: RespondRequest): string {
  const user = messageText(req.messages.find((m) => m.role === "user")?.content ?? "");
  const output = /<output>\n([\s\S]*?)\n<\/output>/.exec(user)?.[1] ?? "";
  const pass = req.model === "judge-bad" ? output.includes("handled") : output.startsWith("Done");
  return JSON.stringify({ pass, reason: pass ? "handles the request" : "does not handle it" });
}

/** An agent: with "skill: confirm" it looks the order up, confirms, refunds; without, it skips the confirmation. */
function agent(req: RespondRequest): RespondResult {
  const system = messageText(req.messages.find((m) => m.role === "system")?.content ?? "");
  const tools = req.messages.filter((m) => m.role === "tool").length;
  const plan = system.includes("skill: confirm")
    ? ["lookup_order", "confirm_refund", "issue_refund"]
    : ["lookup_order", "issue_refund"];
  const next = plan[tools];
  if (next)
    return { tool_calls: [{ name: next, arguments: { order_id: "A1", amount: 20 }, id: `call_${tools}` }] };
  return "Your refund of $20 is on its way.";
}

let openai: OpenAIServer;
beforeAll(async () => {
  openai = await startOpenAIServer({
    respond: (req) =>
      req.model.startsWith("judge") ? judge(req) : req.model === "agent" ? agent(req) : supportModel(req),
  });
});
afterAll(async () => {
  await openai.close();
  cleanupAll();
});
const env = () => ({ OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: "sk-test" });

function labels(): string {
  const rows: string[] = [];
  for (let i = 0; i < 6; i++)
    rows.push(JSON.stringify({ output: `Done: refund ${i} issued.`, label: "pass" }));
  for (let i = 0; i < 6; i++)
    rows.push(JSON.stringify({ output: `I handled nothing for request ${i}, sorry.`, label: "fail" }));
  return `${rows.join("\n")}\n`;
}

function judgeRepo(judgeModel: string) {
  const config = configYaml(
    `judge: { model: ${judgeModel}, calibration: evals/labels.jsonl, min_kappa: 0.6 }\n`,
  ).replace(
    '  - { type: contains, value: "{{expected}}" }',
    "  - { type: judge, rubric: Pass when the reply says the request was handled. }",
  );
  return makePullRequestRepo({
    base: {
      "eval-gate.yml": config,
      "prompts/support.md": ALL_SKILLS,
      "evals/anchor.jsonl": casesJsonl("a", 15),
      "evals/rotation.jsonl": casesJsonl("r", 10),
      "evals/labels.jsonl": labels(),
    },
    head: { "prompts/support.md": NO_ADDRESS },
  });
}

describe("judge calibration", () => {
  it("lets a judge its labels vouch for fail the check", async () => {
    const { repo } = await judgeRepo("judge-good");
    const run = await runCli(["run", "--base", "main"], { cwd: repo.dir, env: env() });
    expect(run.code).toBe(1);
    const report = JSON.parse(readFileSync(join(repo.dir, ".eval-gate/report.json"), "utf8"));
    expect(report.verdict).toBe("fail");
    expect(report.judges[0]).toMatchObject({ trusted: true, stats: { n: 12, agreement: 1, kappa: 1 } });
    const calibrate = await runCli(["calibrate"], { cwd: repo.dir, env: env() });
    expect(calibrate.code).toBe(0);
    expect(calibrate.stdout).toContain("kappa 1.00");
  });

  it("refuses a judge its labels refute the right to fail the check, and lists every disagreement", async () => {
    const { repo } = await judgeRepo("judge-bad");
    const run = await runCli(["run", "--base", "main"], { cwd: repo.dir, env: env() });
    expect(run.code).toBe(0);
    const report = JSON.parse(readFileSync(join(repo.dir, ".eval-gate/report.json"), "utf8"));
    expect(report.verdict).toBe("review");
    expect(report.judges[0]).toMatchObject({ trusted: false, stats: { kappa: -1 } });
    expect(
      report.slices.filter((s: { judge_untrusted?: boolean }) => s.judge_untrusted).length,
    ).toBeGreaterThan(0);
    const calibrate = await runCli(["calibrate"], { cwd: repo.dir, env: env() });
    expect(calibrate.code).toBe(1);
    expect(calibrate.stdout).toContain("NOT TRUSTED");
    expect(
      calibrate.stdout.match(/evals\/labels\.jsonl:\d+ {2}human (pass|fail), judge (pass|fail)/g),
    ).toHaveLength(12);
  });
});

describe("trajectories and state", () => {
  it("fails a trajectory that skips the confirmation, shows it, and a script grader reads the final state", async () => {
    const tools = [
      {
        type: "function",
        function: { name: "lookup_order", parameters: { type: "object", properties: {} } },
      },
      {
        type: "function",
        function: { name: "confirm_refund", parameters: { type: "object", properties: {} } },
      },
      {
        type: "function",
        function: { name: "issue_refund", parameters: { type: "object", properties: {} } },
      },
    ];
    const cases = Array.from({ length: 12 }, (_, i) =>
      JSON.stringify({
        id: `refund-${i}`,
        slice: "refund",
        input: `Refund order A1, please (${i})`,
        expected: 20,
        tool_results: {
          lookup_order: { order_id: "A1", total: 20 },
          confirm_refund: { confirmed: true },
          issue_refund: { refunded: true, amount: 20 },
        },
      }),
    ).join("\n");
    const config = [
      "version: 1",
      "target: { model: agent, system: prompts/agent.md, tools: tools.json }",
      "sets: { anchor: evals/anchor.jsonl }",
      "graders:",
      "  - { type: tool_calls, calls: [{ name: lookup_order }, { name: issue_refund }], policies: [{ tool: issue_refund, after: confirm_refund }] }",
      "  - { type: script, path: graders/state.mjs }",
      "gate: { min_slice_n: 10 }",
      "",
    ].join("\n");
    const script = [
      "export function grade({ case: c, trajectory }) {",
      "  const refund = [...trajectory].reverse().find((m) => m.role === 'tool' && m.content.includes('refunded'));",
      "  const state = refund ? JSON.parse(refund.content) : null;",
      "  const pass = Boolean(state?.refunded) && state.amount === c.expected;",
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the grader script's own source text
      "  return { pass, reason: pass ? `refunded ${state.amount}` : 'no refund in the final state' };",
      "}",
      "",
    ].join("\n");
    const { repo } = await makePullRequestRepo({
      base: {
        "eval-gate.yml": config,
        "prompts/agent.md": "You are a refunds agent.\nskill: confirm\n",
        "tools.json": JSON.stringify(tools),
        "evals/anchor.jsonl": `${cases}\n`,
        "graders/state.mjs": script,
      },
      head: { "prompts/agent.md": "You are a refunds agent.\n" },
    });
    const run = await runCli(["run", "--base", "main"], { cwd: repo.dir, env: env() });
    expect(run.code).toBe(1);
    const report = JSON.parse(readFileSync(join(repo.dir, ".eval-gate/report.json"), "utf8"));
    const c = report.cases.find((x: { id: string }) => x.id === "refund-0");
    // Each grader is a dimension: the trajectory check fails on head, the final state still passes.
    expect(c.base).toMatchObject({ runs: 1, passes: 1, errors: 0, dim_passes: [1, 1] });
    expect(c.head).toMatchObject({ runs: 1, passes: 0, errors: 0, dim_passes: [0, 1] });
    expect(c.head.behaviour.tool_calls).toBe(2);
    expect(c.base.behaviour.tool_calls).toBe(3);
    expect(c.head_reason).toBe(
      "called issue_refund before confirm_refund (calls: lookup_order → issue_refund)",
    );
    expect(c.head_output).toContain("→ issue_refund(");
    expect(c.head_output).toContain("final: Your refund of $20 is on its way.");
    expect(c.base_output).toContain("→ confirm_refund(");
    expect(report.slices[0].status).toBe("regressed");
  });
});
