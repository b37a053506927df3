import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseSet } from "../../src/core/config/sets.js";
import { validateGraders } from "../../src/core/config/validate-graders.js";
import { graderRegistry } from "../../src/core/graders/index.js";
import { toJsonl } from "../../src/core/import/common.js";
import { importOpenAIEvals } from "../../src/core/import/openai-evals.js";
import { importPromptfoo } from "../../src/core/import/promptfoo.js";

const FIXTURES = join(import.meta.dirname, "fixtures/import");
const read = (name: string) => readFileSync(join(FIXTURES, name), "utf8");

/** What `eval-gate run` does with a set file: parse every line, validate every grader. */
function loads(jsonl: string) {
  const set = parseSet(jsonl, "evals/imported.jsonl", "imported", "full");
  for (const c of set.cases) {
    expect(validateGraders(c.graders ?? [], graderRegistry, { file: "x", field: "graders" })).toEqual([]);
  }
  return set;
}

describe("import promptfoo", () => {
  const result = importPromptfoo(read("promptfooconfig.yaml"), {
    file: "promptfooconfig.yaml",
    sliceFrom: "topic",
  });

  it("turns each test into a case: the input var, the other vars, the slice, an id from the description", () => {
    expect(result.cases.map((c) => [c.id, c.slice, c.input])).toEqual([
      ["refund-for-a-broken-item", "refund", "My blender arrived broken, can I get my money back?"],
      ["order-status", "orders", "Where is order 1234?"],
      ["test-3", "order_status", "Reply with the order as JSON"],
      ["refund-for-a-broken-item-2", "refund", "I want a refund for my late order"],
    ]);
    expect(result.cases[0]?.vars).toEqual({ shop: "ACME", topic: "refund" });
    expect(result.cases[0]?.metadata).toEqual({
      source: "promptfoo",
      test: 1,
      description: "Refund for a broken item",
    });
  });

  it("maps assertions to graders, with defaultTest's first and vars filled in", () => {
    expect(result.cases[0]?.graders).toEqual([
      { type: "contains", value: "as an AI", ignore_case: true, negate: true },
      { type: "contains", value: "refund", ignore_case: true },
      { type: "judge", rubric: "Apologises and offers a refund for ACME" },
    ]);
    expect(result.cases[1]?.graders?.slice(1)).toEqual([
      { type: "contains", value: "1234", ignore_case: false },
      { type: "regex", pattern: "track(ing)?" },
    ]);
    expect(result.cases[2]?.graders?.slice(1)).toEqual([
      { type: "json_schema", schema: { type: "object", required: ["order_id"] } },
      { type: "json_schema", schema: { const: { order_id: 1234 } } },
      { type: "similarity", value: "The order ships tomorrow", threshold: 0.8 },
      { type: "contains", value: ["ships", "shipped"], all: false, ignore_case: false },
    ]);
    expect(result.cases[0]?.expected).toBe("refund");
  });

  it("lists what it could not convert with its line, and writes a set that eval-gate loads", () => {
    expect(result.skipped.map((s) => `${s.where}: ${s.reason}`)).toEqual([
      "promptfooconfig.yaml:60: test 5: vars.question is a list (promptfoo runs one test per value); write one test per value",
    ]);
    expect(result.dropped.map((s) => `${s.where}: ${s.reason}`)).toEqual([
      expect.stringMatching(/^promptfooconfig\.yaml:6: providers: not imported \(openai:gpt-4o-mini\)/),
      "promptfooconfig.yaml:34: test 2, assert 3: type `javascript` has no eval-gate grader",
      "promptfooconfig.yaml:56: test 4, assert 1: type `cost` has no eval-gate grader",
      expect.stringMatching(
        /^promptfooconfig\.yaml:58: test 4, assert 2: as a `regex` grader: .*regular expression/,
      ),
    ]);
    expect(result.changed).toEqual([]);
    const set = loads(toJsonl(result.cases));
    expect(set.cases).toHaveLength(4);
    expect(result.notes.join("\n")).toContain("{{shop}}, {{question}}");
    expect(result.notes.join("\n")).toContain("1 llm-rubric assertion(s) became `judge` graders");
  });

  it("takes the prompt's single var as the input, --input-var when given, and `default` as the slice", () => {
    const yaml = [
      "prompts: ['Summarise: {{ article }}']",
      "tests:",
      "  - vars: { article: Long text, lang: en }",
      "    assert: [{ type: equals, value: Short }]",
    ].join("\n");
    const [c] = importPromptfoo(yaml, { file: "p.yaml" }).cases;
    expect(c).toMatchObject({ id: "test-1", slice: "default", input: "Long text", vars: { lang: "en" } });
    expect(c?.graders).toEqual([{ type: "exact", value: "Short" }]);
    expect(importPromptfoo(yaml, { file: "p.yaml", inputVar: "lang" }).cases[0]?.input).toBe("en");
    const none = importPromptfoo(yaml, { file: "p.yaml", inputVar: "missing" });
    expect(none.cases).toEqual([]);
    expect(none.skipped[0]?.reason).toMatch(/--input-var/);
  });

  it("reads file:// prompts through the reader it is given", () => {
    const yaml = "prompts: [file://prompt.txt]\ntests:\n  - vars: { ticket: Help, name: Ada }\n";
    const out = importPromptfoo(yaml, {
      file: "p.yaml",
      readFile: (p) =>
        p === "prompt.txt" ? { text: "Dear {{name}}... no, the ticket: {{ticket}}" } : { missing: true },
      inputVar: "ticket",
    });
    expect(out.cases[0]?.input).toBe("Help");
    expect(out.notes.join()).toContain("{{name}}, {{ticket}}");
  });

  it("skips an assertion whose value keeps a placeholder the vars do not fill", () => {
    const yaml = "tests:\n  - vars: { input: Hi }\n    assert: [{ type: contains, value: '{{missing}}' }]\n";
    const out = importPromptfoo(yaml, { file: "p.yaml" });
    expect(out.skipped).toEqual([]);
    expect(out.dropped.map((s) => s.reason)).toEqual([
      "its value uses {{missing}}, which the test's vars do not fill",
    ]);
    expect(out.changed.map((s) => s.reason)).toEqual([
      "no assertion was imported: the case uses the config's default graders",
    ]);
  });

  it("refuses a file without inline tests, or that is not YAML, with the file and line", () => {
    expect(() => importPromptfoo("tests: file://tests.csv\n", { file: "p.yaml" })).toThrow(/names a file/);
    expect(() => importPromptfoo("prompts: [a\n", { file: "p.yaml" })).toThrow(/not valid YAML/);
  });
});

describe("import promptfoo: file:// vars, transforms and providers", () => {
  const FILES: Record<string, string> = {
    "q/refund.txt": "My blender broke.\n",
    "ctx/order.json": '{"id": 7, "items": ["a"]}',
    "ctx/user.yaml": "name: Ada\ntier: gold\n",
    "ctx/bad.json": '{"id": 7,\n  oops}',
    "gen.py": "def get_var(): ...",
    "rubric.md": "Apologises, then offers a refund.\n",
  };
  const readFile = (p: string) =>
    p.startsWith("..")
      ? { outside: "it is outside the project folder /repo" }
      : p in FILES
        ? { text: FILES[p] as string }
        : { missing: true as const };
  const YAML = [
    "prompts: ['Answer {{question}}']", // 1
    "providers:", // 2
    "  - openai:gpt-4o-mini", // 3
    "  - id: anthropic:messages:claude-3-5-sonnet", // 4
    "    config: { temperature: 0 }", // 5
    "defaultTest:", // 6
    "  options:", // 7
    "    transform: output.trim()", // 8
    "tests:", // 9
    "  - vars:", // 10
    "      question: file://q/refund.txt", // 11
    "      order: file://ctx/order.json", // 12
    "      user: file://ctx/user.yaml", // 13
    "    options:", // 14
    "      transform: JSON.parse(output).answer", // 15
    "    assert:", // 16
    "      - { type: llm-rubric, value: file://rubric.md }", // 17
    "  - vars: { question: file://missing.txt }", // 18
    "  - vars: { question: file://gen.py }", // 19
    "  - vars: { question: Hi, order: file://ctx/bad.json }", // 20
    "  - vars: { question: Hi }", // 21
    "    transform: output.toUpperCase()", // 22
    "    assert: [{ type: javascript, value: 'output.length < 5' }]", // 23
    "",
  ].join("\n");
  const result = importPromptfoo(YAML, { file: "p.yaml", readFile });

  it("loads file:// vars relative to the config: text as it is, .json and .yaml as values", () => {
    expect(result.cases[0]).toMatchObject({
      input: "My blender broke.\n",
      vars: { order: { id: 7, items: ["a"] }, user: { name: "Ada", tier: "gold" } },
      graders: [{ type: "judge", rubric: "Apologises, then offers a refund.\n" }],
    });
  });

  it("skips, with its line, a test whose file is missing, is code, or does not parse", () => {
    expect(result.skipped.map((s) => `${s.where}: ${s.reason}`)).toEqual([
      expect.stringMatching(/^p\.yaml:18: test 2: vars\.question: file:\/\/missing\.txt does not exist/),
      expect.stringMatching(/^p\.yaml:19: test 3: vars\.question: file:\/\/gen\.py is code/),
      expect.stringMatching(
        /^p\.yaml:20: test 4: vars\.order: file:\/\/ctx\/bad\.json is not valid JSON \(line 2/,
      ),
    ]);
  });

  it("lists the providers, pointing to target.model, and every transform it leaves out", () => {
    expect(result.dropped.map((s) => `${s.where}: ${s.reason}`)).toEqual([
      expect.stringMatching(
        /^p\.yaml:3: providers: not imported \(openai:gpt-4o-mini, anthropic:messages:claude-3-5-sonnet\): .*target\.model/,
      ),
      expect.stringMatching(
        /^p\.yaml:8: defaultTest: options\.transform is not imported: eval-gate grades the raw output/,
      ),
      expect.stringMatching(/^p\.yaml:15: test 1: options\.transform is not imported/),
      expect.stringMatching(/^p\.yaml:22: test 5: transform is not imported/),
      "p.yaml:23: test 5, assert 1: type `javascript` has no eval-gate grader",
    ]);
    expect(result.changed.map((s) => s.where)).toEqual(["p.yaml:21: test 5"]);
  });

  it("reads a defaultTest from a file, and lists an `assert` that is not a list", () => {
    const yaml = [
      "defaultTest: file://ctx/default.yaml", // 1
      "tests:", // 2
      "  - vars: { question: Hi }", // 3
      "    assert: { type: contains, value: hi }", // 4
      "",
    ].join("\n");
    const files = {
      "ctx/default.yaml": "vars: { shop: ACME }\nassert: [{ type: icontains, value: hello }]\n",
    };
    const out = importPromptfoo(yaml, {
      file: "p.yaml",
      readFile: (p) => (p in files ? { text: files[p as keyof typeof files] } : { missing: true }),
    });
    expect(out.cases[0]).toMatchObject({
      input: "Hi",
      vars: { shop: "ACME" },
      graders: [{ type: "contains", value: "hello", ignore_case: true }],
    });
    expect(out.dropped.map((d) => `${d.where}: ${d.reason}`)).toEqual([
      "p.yaml:4: test 1: `assert` is not a list of assertions",
    ]);
  });

  it("refuses a file outside the project, naming the file, the line and the var", () => {
    const outside = "tests:\n  - vars:\n      question: file://../../etc/passwd\n";
    expect(() => importPromptfoo(outside, { file: "p.yaml", readFile })).toThrow(
      expect.objectContaining({
        file: "p.yaml",
        line: 3,
        field: "tests[0].vars.question",
        message: expect.stringMatching(/file:\/\/\.\.\/\.\.\/etc\/passwd: it is outside the project folder/),
      }),
    );
  });
});

describe("import openai-evals", () => {
  const result = importOpenAIEvals(read("samples.jsonl"), { file: "samples.jsonl", sliceFrom: "category" });

  it("turns samples into cases with messages (or input), expected = ideal and a contains grader", () => {
    expect(result.cases).toEqual([
      {
        id: "sample-1",
        slice: "geography",
        messages: [
          { role: "system", content: "Answer with one word." },
          { role: "user", content: "What is the capital of France?" },
        ],
        expected: "Paris",
        graders: [{ type: "contains", value: "Paris" }],
        metadata: { source: "openai-evals", line: 1 },
      },
      expect.objectContaining({
        id: "sample-2",
        slice: "math",
        expected: ["4", "four"],
        graders: [{ type: "contains", value: ["4", "four"], all: false }],
      }),
      expect.objectContaining({ id: "sample-3", slice: "default", input: "Name a primary colour." }),
    ]);
    expect(loads(toJsonl(result.cases)).cases).toHaveLength(3);
  });

  it("lists the samples it cannot use by line, and stops at a line that is not JSON", () => {
    expect(result.skipped).toEqual([
      {
        where: "samples.jsonl:5",
        reason: "a message's content is not text (images and parts are not imported)",
      },
      { where: "samples.jsonl:6", reason: "no `input` (a string or a list of chat messages)" },
    ]);
    expect(result.notes[0]).toBe("1 sample(s) had no `category` field: they are in slice `default`");
    expect(result.notes[1]).toMatch(/^1 of 3 case\(s\) start with their own system message \(line 1\)/);
    expect(() => importOpenAIEvals('{"input": "a"}\n{oops\n', { file: "s.jsonl" })).toThrow(/not valid JSON/);
  });
});

describe("import openai-evals: the prompt under test", () => {
  const lines = (rows: unknown[]) => rows.map((r) => JSON.stringify(r)).join("\n");
  const ask = (system: string | null, q: string, ideal = "x") => ({
    input: [...(system ? [{ role: "system", content: system }] : []), { role: "user", content: q }],
    ideal,
  });
  const SAMPLES = lines([
    ask("Answer with one word.", "Capital of France?", "Paris"),
    ask("Answer with one word.", "Capital of Italy?", "Rome"),
    { input: "Name a primary colour.", ideal: "red" },
  ]);

  it("says when samples carry their own system message, which target.system then never reaches", () => {
    const result = importOpenAIEvals(SAMPLES, { file: "s.jsonl" });
    expect(result.cases[0]?.messages?.[0]?.role).toBe("system");
    const note = result.notes.join("\n");
    expect(note).toContain("2 of 3 case(s) start with their own system message (lines 1, 2)");
    expect(note).toContain("target.system");
    expect(note).toContain("--system-from-target");
  });

  it("with systemFromTarget, leaves the samples' system message out and hands back the one they share", () => {
    const result = importOpenAIEvals(SAMPLES, { file: "s.jsonl", systemFromTarget: true });
    expect(result.cases.map((c) => c.messages ?? c.input)).toEqual([
      [{ role: "user", content: "Capital of France?" }],
      [{ role: "user", content: "Capital of Italy?" }],
      "Name a primary colour.",
    ]);
    expect(result.system).toEqual({ text: "Answer with one word.", cases: 2 });
    expect(result.changed.map((c) => c.where)).toEqual(["s.jsonl:1", "s.jsonl:2"]);
    expect(result.changed[0]?.reason).toMatch(/system message left out/);
    expect(result.notes.join("\n")).not.toContain("start with their own system message");
  });

  it("with systemFromTarget and different system messages, hands back none and says which differ", () => {
    const text = lines([ask("Be brief.", "a?"), ask("Be long.", "b?"), ask("Be brief.", "c?")]);
    const result = importOpenAIEvals(text, { file: "s.jsonl", systemFromTarget: true });
    expect(result.system).toBeUndefined();
    expect(result.changed).toHaveLength(3);
    expect(result.notes.join("\n")).toContain("2 different system messages");
    // A sample that is nothing but a system message has nothing left to send.
    const only = importOpenAIEvals(lines([{ input: [{ role: "system", content: "x" }], ideal: "y" }]), {
      file: "s.jsonl",
      systemFromTarget: true,
    });
    expect(only.cases).toEqual([]);
    expect(only.skipped[0]?.reason).toMatch(/no user message/);
  });

  it("counts a sample it writes with the default graders as changed, not skipped", () => {
    const result = importOpenAIEvals(lines([{ input: "hi" }, { ideal: "no input" }]), { file: "s.jsonl" });
    expect(result.cases).toHaveLength(1);
    expect(result.skipped.map((s) => s.where)).toEqual(["s.jsonl:2"]);
    expect(result.changed).toEqual([
      { where: "s.jsonl:1", reason: "no usable `ideal`: the case uses the config's default graders" },
    ]);
  });
});
