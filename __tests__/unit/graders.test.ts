import { describe, expect, it } from "vitest";
import { z } from "zod";
import { UserError } from "../../src/core/errors.js";
import { gradeRun } from "../../src/core/graders/grade.js";
import { graderRegistry } from "../../src/core/graders/index.js";
import type { GradeInput, GraderDefinition } from "../../src/core/graders/types.js";
import type { Case, Grade, GraderSpec } from "../../src/core/types.js";
import { fakeGraderContext } from "../support/fake-grader-context.js";

const ctx = fakeGraderContext();

function makeCase(overrides: Partial<Case> = {}): Case {
  return { id: "c-1", slice: "s", input: "q", vars: {}, line: 3, ...overrides };
}

async function grade(spec: GraderSpec, output: string, c: Partial<Case> = {}): Promise<Grade> {
  const definition = graderRegistry[spec.type];
  if (!definition) throw new Error(`no grader ${spec.type}`);
  expect(definition.schema.safeParse(spec).success).toBe(true);
  return definition.grade(spec, { case: makeCase(c), output }, ctx);
}

function schemaIssues(spec: GraderSpec): string[] {
  const result = graderRegistry[spec.type]?.schema.safeParse(spec);
  if (!result || result.success) return [];
  return result.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
}

describe("exact", () => {
  it("passes on the expected value, trimmed by default", async () => {
    const g = await grade({ type: "exact" }, "  ok\n", { expected: "ok" });
    expect(g).toEqual({ grader: "exact", pass: true, score: 1, reason: 'Output equals expected "ok"' });
  });

  it("fails with what it got, and respects trim and ignore_case", async () => {
    const g = await grade({ type: "exact", value: "OK" }, "ok.");
    expect(g.pass).toBe(false);
    expect(g.score).toBe(0);
    expect(g.reason).toBe('Expected output to equal "OK", got "ok."');
    expect((await grade({ type: "exact", value: "OK", ignore_case: true }, "ok")).pass).toBe(true);
    expect((await grade({ type: "exact", value: "ok", trim: false }, "ok ")).pass).toBe(false);
  });

  it("compares against an object expected as its JSON text", async () => {
    const g = await grade({ type: "exact" }, '{"a":1}', { expected: { a: 1 } });
    expect(g.pass).toBe(true);
  });

  it("truncates long quoted values so the reason stays short", async () => {
    const g = await grade({ type: "exact", value: "x".repeat(500) }, "y".repeat(500));
    expect(g.reason.length).toBeLessThanOrEqual(300);
    expect(g.reason).toContain("…");
  });
});

describe("contains", () => {
  it("passes and fails on a single value, case-insensitive by default", async () => {
    expect((await grade({ type: "contains", value: "refund" }, "A REFUND is possible")).reason).toBe(
      'Output contains "refund"',
    );
    const g = await grade({ type: "contains", value: "refund", ignore_case: false }, "A REFUND");
    expect(g).toMatchObject({ pass: false, score: 0, reason: 'Expected output to contain "refund"' });
  });

  it("fills {{expected}} and {{vars.NAME}}", async () => {
    const c = { expected: "refund", vars: { days: 30 } };
    expect(
      (
        await grade(
          { type: "contains", value: ["{{expected}}", "{{vars.days}} days"] },
          "refund in 30 days",
          c,
        )
      ).pass,
    ).toBe(true);
  });

  it("scores the share found for all, and lists what is missing", async () => {
    const g = await grade({ type: "contains", value: ["a", "b", "c", "d"] }, "a b c");
    expect(g.pass).toBe(false);
    expect(g.score).toBe(0.75);
    expect(g.reason).toBe('Expected output to contain all of "a", "b", "c", "d"; missing "d"');
    const lenient = await grade({ type: "contains", value: ["a", "b", "c", "d"], threshold: 0.75 }, "a b c");
    expect(lenient.pass).toBe(true);
  });

  it("any passes on one match and fails on none", async () => {
    const spec = { type: "contains", value: ["yes", "sure"], all: false };
    expect((await grade(spec, "sure thing")).pass).toBe(true);
    expect((await grade(spec, "no")).reason).toBe('Expected output to contain any of "yes", "sure"');
  });

  it("negate with any means contains none", async () => {
    const spec = { type: "contains", value: ["sorry", "cannot"], all: false, negate: true };
    expect((await grade(spec, "Here you go")).reason).toBe('Output contains none of "sorry", "cannot"');
    const g = await grade(spec, "Sorry, no");
    expect(g).toMatchObject({ pass: false, score: 0 });
    expect(g.reason).toBe('Expected output to contain none of "sorry", "cannot"; found "sorry"');
  });

  it("throws instead of matching an empty filled value", async () => {
    await expect(grade({ type: "contains", value: "{{expected}}" }, "x", { expected: "" })).rejects.toThrow(
      /empty once filled in case "c-1"/,
    );
  });

  it("rejects unknown keys and an empty list in the schema", () => {
    expect(schemaIssues({ type: "contains", value: "a", allx: true })).toHaveLength(1);
    expect(schemaIssues({ type: "contains", value: [] })).toHaveLength(1);
    expect(schemaIssues({ type: "contains", value: "a", weight: 0 })).toHaveLength(1);
    expect(schemaIssues({ type: "contains", value: "a", threshold: 1.5 })).toHaveLength(1);
  });
});

describe("regex", () => {
  it("passes on a match and names the matched text", async () => {
    const g = await grade({ type: "regex", pattern: "\\d{4}" }, "in 2024.");
    expect(g).toMatchObject({ pass: true, score: 1 });
    expect(g.reason).toBe('Output matched /\\d{4}/ at "2024"');
  });

  it("fails without a match, honours flags and negate", async () => {
    expect((await grade({ type: "regex", pattern: "^yes$" }, "YES")).reason).toBe(
      "Expected output to match /^yes$/",
    );
    expect((await grade({ type: "regex", pattern: "^yes$", flags: "i" }, "YES")).pass).toBe(true);
    const g = await grade({ type: "regex", pattern: "sorry", negate: true }, "so sorry");
    expect(g.pass).toBe(false);
    expect(g.reason).toBe('Expected output not to match /sorry/; matched at "sorry"');
    expect((await grade({ type: "regex", pattern: "sorry", negate: true }, "fine")).reason).toBe(
      "Output did not match /sorry/",
    );
  });

  it("escapes filled values so they match literally", async () => {
    const spec = { type: "regex", pattern: "^Total: {{expected}}$", flags: "u" };
    expect((await grade(spec, "Total: $1.50 (a+b)", { expected: "$1.50 (a+b)" })).pass).toBe(true);
    expect((await grade(spec, "Total: $1x50 (aab)", { expected: "$1.50 (a+b)" })).pass).toBe(false);
    expect(
      (await grade({ type: "regex", pattern: "{{vars.code}}-\\d+" }, "ID A-12", { vars: { code: "A" } }))
        .pass,
    ).toBe(true);
  });

  it("rejects a bad pattern or bad flags at schema time with the compiler's message", () => {
    const issues = schemaIssues({ type: "regex", pattern: "(unclosed" });
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/^pattern: Invalid regular expression: .*Unterminated group/);
    expect(schemaIssues({ type: "regex", pattern: "a", flags: "q" })[0]).toMatch(/Invalid flags/);
    // `l` (V8's linear engine) compiles only while eval-gate has the engine enabled: refused always.
    expect(schemaIssues({ type: "regex", pattern: "a", flags: "l" })).toEqual(['pattern: Invalid flags "l"']);
    expect(schemaIssues({ type: "regex", pattern: "^{{expected}}$", flags: "u" })).toEqual([]);
  });
});

describe("json_schema", () => {
  const schema = {
    type: "object",
    properties: { category: { enum: ["refund", "other"] }, confidence: { type: "number" } },
    required: ["category"],
    additionalProperties: false,
  };

  it("passes on bare JSON and on JSON in a ```json block", async () => {
    expect((await grade({ type: "json_schema", schema }, '{"category":"refund"}')).reason).toBe(
      "Output is JSON matching the schema",
    );
    const fenced = 'Sure:\n```json\n{"category": "other", "confidence": 0.9}\n```\nAnything else?';
    const g = await grade({ type: "json_schema", schema }, fenced);
    expect(g).toMatchObject({
      pass: true,
      score: 1,
      reason: "Output is JSON matching the schema (from a ```json block)",
    });
  });

  it("fails on JSON the schema rejects, listing ajv errors with instance paths", async () => {
    const g = await grade(
      { type: "json_schema", schema },
      '{"category":"billing","confidence":"high","x":1}',
    );
    expect(g.pass).toBe(false);
    expect(g.reason).toMatch(/^Output JSON does not match the schema: /);
    expect(g.reason).toContain('(root) must NOT have additional properties "x"');
    expect(g.reason).toContain('/category must be equal to one of the allowed values: ["refund","other"]');
    expect(g.reason).toContain("/confidence must be number");
  });

  it("fails on output that is not JSON with the parser's message", async () => {
    const g = await grade({ type: "json_schema", schema }, "The category is refund.");
    expect(g).toMatchObject({ pass: false, score: 0 });
    expect(g.reason).toMatch(/^Output is not JSON: Unexpected token/);
    const bad = await grade({ type: "json_schema", schema }, "```json\n{category: refund}\n```");
    expect(bad.reason).toMatch(/^Output is not JSON: in the ```json block: /);
  });

  it("rejects an invalid schema, or a misspelled keyword, at schema time", () => {
    expect(schemaIssues({ type: "json_schema", schema: { type: "objekt" } })[0]).toMatch(/^schema: /);
    expect(schemaIssues({ type: "json_schema", schema: { type: "object", requird: ["a"] } })[0]).toMatch(
      /unknown keyword: "requird"/,
    );
    expect(schemaIssues({ type: "json_schema", schema: { type: "string", format: "email" } })).toEqual([
      'schema: unknown format "email" in schema at path "#": formats are not checked here; use "pattern"',
    ]);
  });

  it("supports draft 2020-12 via $schema", async () => {
    const s2020 = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      type: "array",
      prefixItems: [{ type: "string" }],
    };
    expect((await grade({ type: "json_schema", schema: s2020 }, '["a", 1]')).pass).toBe(true);
    expect((await grade({ type: "json_schema", schema: s2020 }, "[1]")).pass).toBe(false);
  });
});

describe("gradeRun", () => {
  const input: GradeInput = { case: makeCase({ expected: "refund" }), output: "You can get a refund." };

  it("passes when every grader passes", async () => {
    const run = await gradeRun(
      [
        { type: "contains", value: "{{expected}}" },
        { type: "regex", pattern: "refund\\.$" },
      ],
      input,
      ctx,
    );
    expect(run).toMatchObject({ pass: true, score: 1 });
    expect(run.grades.map((g) => g.grader)).toEqual(["contains", "regex"]);
  });

  it("fails when one of two graders fails, and weights the score", async () => {
    const specs = [
      { type: "contains", value: "refund", weight: 3 },
      { type: "exact", weight: 1 },
    ];
    const run = await gradeRun(specs, input, ctx);
    expect(run.pass).toBe(false);
    expect(run.score).toBe(0.75);
    expect(run.grades[1]?.reason).toBe('Expected output to equal "refund", got "You can get a refund."');
  });

  it("propagates a grader that throws instead of counting a fail", async () => {
    await expect(gradeRun([{ type: "contains", value: "{{vars.nope}}" }], input, ctx)).rejects.toBeInstanceOf(
      UserError,
    );
    const broken: GraderDefinition = {
      type: "broken",
      summary: "always throws",
      schema: z.strictObject({ type: z.literal("broken") }),
      grade: () => Promise.reject(new Error("embeddings down")),
    };
    await expect(gradeRun([{ type: "broken" }], input, ctx, { broken })).rejects.toThrow("embeddings down");
  });

  it("hands every grader the context", async () => {
    const seen: string[] = [];
    const probe: GraderDefinition = {
      type: "probe",
      summary: "reads the context",
      schema: z.strictObject({ type: z.literal("probe") }),
      grade: (_spec, _input, c) => {
        seen.push(c.defaults.embeddingModel);
        return { grader: "probe", pass: true, score: 1, reason: "ok" };
      },
    };
    const own = fakeGraderContext({ defaults: { embeddingModel: "e-1", judgeModel: null } });
    await gradeRun([{ type: "probe" }, { type: "probe" }], input, own, { probe });
    expect(seen).toEqual(["e-1", "e-1"]);
  });

  it("rejects an unknown grader type and an empty list", async () => {
    await expect(gradeRun([{ type: "smell" }], input, ctx)).rejects.toThrow(
      /Unknown grader type "smell" in case "c-1"/,
    );
    await expect(gradeRun([{ type: "toString" }], input, ctx)).rejects.toThrow(/Unknown grader type/);
    await expect(gradeRun([], input, ctx)).rejects.toThrow(/has no graders/);
  });
});
