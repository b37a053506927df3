import { describe, expect, it } from "vitest";
import { noGraderContext } from "../../src/core/graders/context.js";
import { toolCalls, toolCallsSchema } from "../../src/core/graders/tool-calls.js";
import type { Case, ToolCall } from "../../src/core/types.js";

const c: Case = {
  id: "r1",
  slice: "refund",
  input: "refund order A1",
  expected: { order: "A1" },
  vars: { order: "A1" },
  line: 3,
};
const call = (name: string, args: unknown, i = 0): ToolCall => ({
  id: `call_${i}`,
  type: "function",
  function: { name, arguments: JSON.stringify(args) },
});
const grade = (spec: Record<string, unknown>, calls: ToolCall[]) =>
  toolCalls.grade(
    toolCallsSchema.parse({ type: "tool_calls", ...spec }),
    { case: c, output: "done", toolCalls: calls },
    noGraderContext,
  );

describe("tool_calls grader", () => {
  const good = [
    call("lookup_order", { id: "A1", verbose: true }),
    call("confirm_refund", { id: "A1" }),
    call("issue_refund", { id: "A1", amount: 20 }),
  ];
  const skipped = [call("lookup_order", { id: "A1" }), call("issue_refund", { id: "A1", amount: 20 })];

  it("checks required calls in order with argument subsets filled from the case", async () => {
    const spec = {
      calls: [{ name: "lookup_order", args: { id: "{{vars.order}}" } }, { name: "issue_refund" }],
    };
    expect((await grade(spec, good)).pass).toBe(true);
    const wrongOrder = await grade(spec, [good[2] as ToolCall, good[0] as ToolCall]);
    expect(wrongOrder.pass).toBe(false);
    expect(wrongOrder.reason).toMatch(/expected issue_refund \(in order\) not found/);
    const wrongArgs = await grade({ calls: [{ name: "lookup_order", args: { id: "B2" } }] }, good);
    expect(wrongArgs.reason).toContain('lookup_order({"id":"B2"})');
  });

  it("fails a trajectory that skips a required confirmation, and says so with the trail", async () => {
    const spec = { policies: [{ tool: "issue_refund", after: "confirm_refund" }] };
    expect((await grade(spec, good)).pass).toBe(true);
    const g = await grade(spec, skipped);
    expect(g.pass).toBe(false);
    expect(g.reason).toBe("called issue_refund before confirm_refund (calls: lookup_order → issue_refund)");
  });

  it("checks forbidden tools, call limits, any-order and exact sequences, and scores the share of checks held", async () => {
    const g = await grade(
      {
        forbidden: ["delete_account"],
        max_calls: 2,
        calls: [{ name: "issue_refund" }, { name: "lookup_order" }],
        order: "any",
      },
      good,
    );
    expect(g.pass).toBe(false);
    expect(g.score).toBeCloseTo(2 / 3);
    expect(g.reason).toMatch(/3 call\(s\), more than max_calls 2/);
    expect(
      (await grade({ calls: [{ name: "lookup_order" }, { name: "issue_refund" }], order: "exact" }, skipped))
        .pass,
    ).toBe(true);
    expect(
      (await grade({ calls: [{ name: "lookup_order" }, { name: "issue_refund" }], order: "exact" }, good))
        .pass,
    ).toBe(false);
    expect((await grade({ forbidden: ["issue_refund"] }, [])).reason).toBe(
      "Tool calls as expected (no tool calls)",
    );
  });

  it("refuses specs with unknown keys", () => {
    expect(toolCallsSchema.safeParse({ type: "tool_calls", calls: [{ name: "x", arg: {} }] }).success).toBe(
      false,
    );
  });
});
