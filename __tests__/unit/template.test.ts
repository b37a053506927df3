import { describe, expect, it } from "vitest";
import { UserError } from "../../src/core/errors.js";
import { fill, fillSystem, withoutPlaceholders } from "../../src/core/text/template.js";
import type { Case } from "../../src/core/types.js";

function makeCase(overrides: Partial<Case> = {}): Case {
  return { id: "c-1", slice: "s", input: "Can I get a refund?", vars: {}, line: 7, ...overrides };
}

function thrown(fn: () => unknown): UserError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(UserError);
    return e as UserError;
  }
  throw new Error("expected a UserError");
}

describe("fill", () => {
  it("fills a string expected as written", () => {
    expect(fill("say {{expected}}", makeCase({ expected: "refund" }))).toBe("say refund");
  });

  it("fills an object expected as JSON and numbers as their JSON text", () => {
    const c = makeCase({ expected: { category: "refund", n: 2 } });
    expect(fill("{{expected}}", c)).toBe('{"category":"refund","n":2}');
    expect(fill("{{expected.n}}", c)).toBe("2");
    expect(fill("{{expected.category}}", c)).toBe("refund");
  });

  it("fills vars, with spaces inside the braces", () => {
    const c = makeCase({ vars: { name: "Ada", tags: ["a", "b"], user: { plan: "pro" } } });
    expect(fill("Hi {{ vars.name }}, {{vars.tags}}", c)).toBe('Hi Ada, ["a","b"]');
    expect(fill("{{vars.user.plan}}", c)).toBe("pro");
  });

  it("fills {{input}} from input, or from the last user message", () => {
    expect(fill("[{{input}}]", makeCase())).toBe("[Can I get a refund?]");
    const multi = makeCase({
      input: undefined,
      messages: [
        { role: "user", content: "first" },
        { role: "assistant", content: "ok" },
        { role: "user", content: "second" },
      ],
    });
    expect(fill("{{input}}", multi)).toBe("second");
  });

  it("applies escape to filled values only", () => {
    const c = makeCase({ expected: "a.b" });
    expect(fill("^{{expected}}$", c, { escape: (v) => v.toUpperCase() })).toBe("^A.B$");
  });

  it("leaves single braces alone", () => {
    expect(fill('{"a": {"b": 1}} \\d{4}', makeCase())).toBe('{"a": {"b": 1}} \\d{4}');
  });

  it("throws a UserError naming the placeholder and case for an unknown var", () => {
    const e = thrown(() =>
      fill("{{vars.missing}}", makeCase({ vars: { name: "x" } }), { field: "contains.value" }),
    );
    expect(e.message).toBe('Placeholder {{vars.missing}} in contains.value has no value in case "c-1"');
    expect(e.fix).toContain('Add "missing" to the vars of case "c-1"');
    expect(e.fix).toContain("{{vars.name}}");
    expect(e.line).toBe(7);
  });

  it("throws for an unknown placeholder name", () => {
    const e = thrown(() => fill("{{ foo }}", makeCase()));
    expect(e.message).toBe('Unknown placeholder {{ foo }} in case "c-1"');
    expect(e.fix).toContain("{{vars.NAME}}");
  });

  it("throws when the case has no expected rather than filling a hole", () => {
    const e = thrown(() => fill("{{expected}}", makeCase()));
    expect(e.message).toContain('{{expected}} has no value in case "c-1"');
  });

  it("does not reach inherited properties", () => {
    expect(() => fill("{{vars.constructor}}", makeCase())).toThrow(UserError);
    expect(() => fill("{{expected.length}}", makeCase({ expected: "abc" }))).toThrow(UserError);
  });

  it("keeps null and empty strings, which are values", () => {
    expect(fill("[{{expected}}]", makeCase({ expected: null }))).toBe("[null]");
    expect(fill("[{{vars.x}}]", makeCase({ vars: { x: "" } }))).toBe("[]");
  });
});

describe("fillSystem", () => {
  it("fills {{name}} from vars", () => {
    const text = fillSystem(
      "You help {{ company }} ({{tier}}).",
      { company: "Acme", tier: 2 },
      {
        file: "prompts/support.md",
        caseId: "c-1",
      },
    );
    expect(text).toBe("You help Acme (2).");
  });

  it("throws a UserError with the file and case for a missing var", () => {
    const e = thrown(() => fillSystem("Hi {{company}}", {}, { file: "prompts/support.md", caseId: "c-9" }));
    expect(e.message).toContain('case "c-9" has no var "company"');
    expect(e.file).toBe("prompts/support.md");
    expect(e.format()).toMatch(/^prompts\/support\.md: vars: The system prompt uses \{\{company\}\}/);
  });
});

describe("withoutPlaceholders", () => {
  it("removes every placeholder", () => {
    expect(withoutPlaceholders("^{{ expected }}-{{vars.a}}$")).toBe("^-$");
  });
});
