import { describe, expect, it } from "vitest";
import { caseSchema, parseSet, plainCase } from "../../src/core/config/sets.js";
import { type UserError, UserErrors } from "../../src/core/errors.js";
import { seededRng } from "../support/prng.js";

const FILE = "evals/anchor.jsonl";

const line = (obj: Record<string, unknown>) => JSON.stringify(obj);
const ok = (id: string, extra: Record<string, unknown> = {}) =>
  line({ id, slice: "refund", input: "hi", ...extra });

function errorsOf(text: string): UserError[] {
  try {
    parseSet(text, FILE, "anchor", "full");
  } catch (e) {
    expect(e).toBeInstanceOf(UserErrors);
    return (e as UserErrors).errors;
  }
  throw new Error("expected the set to be rejected");
}

function only(text: string): UserError {
  const errors = errorsOf(text);
  expect(errors.map((e) => e.format())).toHaveLength(1);
  return errors[0] as UserError;
}

describe("parseSet", () => {
  it("reads cases with their lines, skipping blanks and comments", () => {
    const text = [
      "// refunds",
      ok("a", { expected: "refund" }),
      "",
      "  ",
      ok("b", { expected: null, vars: { n: 1 } }),
    ].join("\n");
    const set = parseSet(text, FILE, "anchor", "aggregate");
    expect(set).toEqual({
      name: "anchor",
      path: FILE,
      visibility: "aggregate",
      cases: [
        { id: "a", slice: "refund", input: "hi", expected: "refund", vars: {}, line: 2 },
        { id: "b", slice: "refund", input: "hi", expected: null, vars: { n: 1 }, line: 5 },
      ],
    });
  });

  it("reads a messages case with tool calls, graders and extra data", () => {
    const messages = [
      { role: "system", content: "Be brief." },
      { role: "user", content: "Where is my order?" },
      {
        role: "assistant",
        tool_calls: [{ id: "c1", type: "function", function: { name: "lookup", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "c1", content: "shipped" },
    ];
    const text = `${line({
      id: "m",
      slice: "orders",
      messages,
      graders: [{ type: "contains", value: "shipped", weight: 2 }],
      tool_results: { lookup: { status: "shipped" } },
      metadata: { source: "ticket-9" },
    })}\r\n`;
    const [c] = parseSet(text, FILE, "anchor", "full").cases;
    expect(c?.messages?.[2]).toEqual({ ...messages[2], content: null });
    expect(c?.messages?.[3]).toEqual(messages[3]);
    expect(c?.graders).toEqual([{ type: "contains", value: "shipped", weight: 2 }]);
    expect(c).toMatchObject({
      tool_results: { lookup: { status: "shipped" } },
      metadata: { source: "ticket-9" },
    });
    expect(c?.input).toBeUndefined();
  });

  it("reads a case's cluster on the fast path and the full one, and names a bad one", () => {
    const messages = [{ role: "user", content: "hi" }];
    const text = [
      ok("a", { cluster: "ticket-7" }),
      line({ id: "b", slice: "refund", messages, cluster: "ticket-7" }),
    ].join("\n");
    const set = parseSet(text, FILE, "anchor", "full");
    expect(set.cases.map((c) => c.cluster)).toEqual(["ticket-7", "ticket-7"]);
    const bad = only(ok("c", { cluster: 7 }));
    expect(bad.field).toBe("cluster");
    expect(bad.format()).toContain('"cluster": "ticket-123"');
  });

  it("reports bad JSON at its line with the parser's reason", () => {
    const err = only([ok("a"), ok("b"), '{"id": "c", slice: "x"}'].join("\n"));
    expect(err.line).toBe(3);
    expect(err.format()).toMatch(/^evals\/anchor\.jsonl:3: not valid JSON at column 13: Expected \S/);
  });

  it("rejects a line that is not an object", () => {
    const err = only(`${ok("a")}\n[1, 2]\n`);
    expect(err.line).toBe(2);
    expect(err.message).toBe("each line must be a JSON object (one case), got an array");
  });

  it("names both lines of a duplicate id", () => {
    const err = only([ok("a"), ok("b"), "", ok("a")].join("\n"));
    expect(err.line).toBe(4);
    expect(err.field).toBe("id");
    expect(err.format()).toBe(
      "evals/anchor.jsonl:4: id: duplicate id `a` (lines 1 and 4). Give each case of a set its own id.",
    );
  });

  it("requires a slice", () => {
    const err = only(line({ id: "a", input: "hi" }));
    expect(err.field).toBe("slice");
    expect(err.line).toBe(1);
    expect(err.format()).toContain("slice: `slice` is required. Name the group the case is reported in");
  });

  it("requires input or messages", () => {
    const err = only(`${ok("a")}\n${line({ id: "b", slice: "s" })}`);
    expect(err.line).toBe(2);
    expect(err.format()).toContain("Add `input` (the user's message) or `messages`");
  });

  it("rejects both input and messages", () => {
    const err = only(line({ id: "a", slice: "s", input: "hi", messages: [{ role: "user", content: "hi" }] }));
    expect(err.message).toBe("the case has both `input` and `messages`");
  });

  it("suggests the key meant by a typo", () => {
    const errors = errorsOf(line({ id: "a", slcie: "s", input: "hi" }));
    const typo = errors.find((e) => e.field === "slcie");
    expect(typo?.format()).toContain(
      "evals/anchor.jsonl:1: slcie: unknown key `slcie`; did you mean `slice`?",
    );
    expect(errors.find((e) => e.field === "slice")?.message).toBe("`slice` is required");
  });

  it.each([
    [{ id: "", slice: "s", input: "x" }, "id", "must not be empty"],
    [{ id: 7, slice: "s", input: "x" }, "id", "expected a string, got 7"],
    [{ id: "a", slice: "s", input: ["x"] }, "input", "expected a string, got an array"],
    [{ id: "a", slice: "s", input: "x", vars: [] }, "vars", "expected an object, got an array"],
    [{ id: "a", slice: "s", input: "x", graders: [{ value: "y" }] }, "graders[0].type", "`type` is required"],
    [
      { id: "a", slice: "s", input: "x", graders: [{ type: "exact", threshold: 2 }] },
      "graders[0].threshold",
      "at most 1",
    ],
    [
      { id: "a", slice: "s", messages: [{ role: "usr", content: "x" }] },
      "messages[0].role",
      "did you mean `user`?",
    ],
    [{ id: "a", slice: "s", messages: [{ role: "user" }] }, "messages[0].content", "`content` is required"],
    [
      { id: "a", slice: "s", messages: [{ role: "user", contnet: "x" }] },
      "messages[0].contnet",
      "did you mean `content`?",
    ],
    [{ id: "a", slice: "s", messages: [] }, "messages", "must have at least 1 item"],
    [{ id: "a", slice: "s", input: "x", metadata: "note" }, "metadata", 'expected an object, got "note"'],
  ])("rejects %j naming %s", (obj, field, text) => {
    const err = errorsOf(`// header\n${line(obj)}\n`).find((e) => e.field === field);
    expect(err, `no error for ${field}`).toBeDefined();
    expect(err?.line).toBe(2);
    expect(err?.format()).toContain(`evals/anchor.jsonl:2: ${field}: `);
    expect(err?.format()).toContain(text);
    expect(err?.format()).not.toMatch(/Invalid input|received/);
  });

  it("collects errors of every line", () => {
    const errors = errorsOf([ok("a"), "{", line({ id: "b" }), ok("a")].join("\n"));
    expect(errors.map((e) => e.line)).toEqual([2, 3, 3, 4]);
  });

  it("caps the list at 50 and says how many more", () => {
    const errors = errorsOf(Array.from({ length: 60 }, () => "nope").join("\n"));
    expect(errors).toHaveLength(51);
    expect(errors[50]?.format()).toBe("evals/anchor.jsonl: …and 10 more errors in this file.");
  });

  it.each([[""], ["\n\n"], ["// nothing yet\n"]])("rejects an empty set %j", (text) => {
    const err = only(text);
    expect(err.format()).toContain(
      "evals/anchor.jsonl: the set `anchor` has no cases. Add one JSON object per line",
    );
  });
});

describe("the plain-case fast path", () => {
  // Each key's candidate values, valid and not; a line takes one value (or none) per key.
  const values: Record<string, unknown[]> = {
    id: ["a-1", "", 7, null],
    slice: ["refund", "", ["x"]],
    input: ["hi", "", 3, { text: "hi" }],
    expected: ["refund", null, 0, { ok: true }, [1, 2]],
    vars: [{ name: "Ada" }, {}, [], "x", null],
    metadata: [{ source: "t-1" }, [], 1],
    tool_results: [{ lookup: { ok: 1 } }, "x"],
    cluster: ["ticket-7", "", 5],
    messages: [[{ role: "user", content: "hi" }]],
    extra: [1],
  };

  it("accepts exactly what caseSchema accepts, with the same data, or leaves the line to it", () => {
    const rng = seededRng(42);
    // Half the time the first (valid) value, so that many lines reach the fast path.
    const pick = <T>(xs: T[]): T => (rng() < 0.5 ? xs[0] : xs[Math.floor(rng() * xs.length)]) as T;
    let fast = 0;
    for (let n = 0; n < 10000; n++) {
      const raw: Record<string, unknown> = {};
      for (const [key, options] of Object.entries(values)) {
        // Required keys are usually there; the rest usually not.
        const p = ["id", "slice", "input"].includes(key)
          ? 0.9
          : ["messages", "extra"].includes(key)
            ? 0.05
            : 0.4;
        if (rng() < p) raw[key] = pick(options);
      }
      const plain = plainCase(raw);
      if (plain === undefined) continue;
      fast++;
      const zod = caseSchema.safeParse(raw);
      expect(zod.success, JSON.stringify(raw)).toBe(true);
      expect(plain).toStrictEqual(zod.data);
    }
    // The generator reaches the fast path often enough for the comparison to mean something.
    expect(fast).toBeGreaterThan(300);
  });

  it("leaves a `__proto__` key to zod", () => {
    const raw = JSON.parse('{"id": "a", "slice": "s", "input": "i", "vars": {"__proto__": {"x": 1}}}');
    expect(plainCase(raw)).toBeUndefined();
  });
});
