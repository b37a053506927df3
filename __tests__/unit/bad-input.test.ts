// The loaders' messages for bad input: lines for config graders and target files, JSON columns, and
// a holdout set (`visibility: aggregate`) whose case ids, inputs and expected values no message quotes.
import { describe, expect, it } from "vitest";
import { parseConfigWithLines } from "../../src/core/config/parse-config.js";
import { parseSet } from "../../src/core/config/sets.js";
import { validateGraders } from "../../src/core/config/validate-graders.js";
import { type UserError, UserErrors } from "../../src/core/errors.js";
import { evaluate } from "../../src/core/evaluate.js";
import { graderRegistry } from "../../src/core/graders/index.js";
import { systemClock } from "../../src/core/ports.js";
import { jsonErrorOffset, lineColumn } from "../../src/core/text/json-error.js";
import { fillSystem, missingSystemVars } from "../../src/core/text/template.js";

const SECRET_ID = "h-secret-42";
const SECRET_INPUT = "SECRET card 4242 charged twice";
const SECRET_EXPECTED = "SECRET-EXPECTED-refund";
const secretCase = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({
    id: SECRET_ID,
    slice: "refund",
    input: SECRET_INPUT,
    expected: SECRET_EXPECTED,
    ...extra,
  });

function setErrors(
  text: string,
  visibility: "full" | "aggregate",
  file = "evals/holdout.jsonl",
): UserError[] {
  try {
    parseSet(text, file, "holdout", visibility);
  } catch (e) {
    expect(e).toBeInstanceOf(UserErrors);
    return (e as UserErrors).errors;
  }
  throw new Error("expected the set to be rejected");
}

function expectNoSecret(errors: UserError[]): void {
  const text = errors.map((e) => `${e.format()} ${e.field ?? ""}`).join("\n");
  for (const secret of [SECRET_ID, "SECRET", "4242", "usr"]) expect(text).not.toContain(secret);
}

describe("a holdout set's errors quote none of its cases", () => {
  it("names a duplicate id by its lines, not by the id", () => {
    const text = [secretCase(), JSON.stringify({ id: "ok", slice: "s", input: "x" }), secretCase()].join(
      "\n",
    );
    const [err, ...rest] = setErrors(text, "aggregate");
    expect(rest).toEqual([]);
    expect(err?.line).toBe(3);
    expect(err?.field).toBe("id");
    expect(err?.format()).toBe(
      "evals/holdout.jsonl:3: id: this case has the same id as the case on line 1. Give each case of a set its own id (lines 1 and 3 share one).",
    );
    expectNoSecret([err as UserError]);
    // A set with full visibility names the id, as before.
    expect(setErrors(text, "full")[0]?.format()).toContain(`duplicate id \`${SECRET_ID}\` (lines 1 and 3)`);
  });

  it("leaves out the text JSON.parse quotes, keeping the line and the column", () => {
    const [err] = setErrors(`  ${SECRET_ID} ${SECRET_INPUT}`, "aggregate");
    expect(err?.format()).toMatch(
      /^evals\/holdout\.jsonl:1: not valid JSON at column 3\. Write one JSON object/,
    );
    expectNoSecret([err as UserError]);
    // Unredacted, the parser's reason is kept.
    expect(setErrors(`  ${SECRET_ID}`, "full")[0]?.message).toMatch(
      /^not valid JSON at column 3: Unexpected token/,
    );
  });

  it("names wrong values by their kind, with no value and no guess", () => {
    const line = secretCase({
      slice: 7,
      input: undefined,
      expected: undefined,
      messages: [{ role: "usr", content: SECRET_INPUT }],
      vars: SECRET_INPUT,
    });
    const errors = setErrors(`${line}\n"${SECRET_INPUT}"`, "aggregate");
    expect(errors.map((e) => [e.line, e.field, e.message])).toEqual([
      [1, "slice", "expected a string, got a number"],
      [1, "messages[0].role", "must be one of `system`, `user`, `assistant`, `tool`, `developer`"],
      [1, "vars", "expected an object, got a string"],
      [2, undefined, "each line must be a JSON object (one case), got a string"],
    ]);
    expectNoSecret(errors);
  });

  it("can be asked for explicitly, or turned off", () => {
    const text = [secretCase(), secretCase()].join("\n");
    expectNoSecret(
      (() => {
        try {
          parseSet(text, "evals/a.jsonl", "a", "full", { redact: true });
        } catch (e) {
          return (e as UserErrors).errors;
        }
        return [];
      })(),
    );
    expect(() => parseSet(text, "evals/a.jsonl", "a", "aggregate", { redact: false })).toThrow(SECRET_ID);
  });

  it("redacts a case grader's bad regex and bad values, keeping the field and the line", () => {
    const errors = validateGraders(
      [
        { type: "regex", pattern: `${SECRET_EXPECTED}(` },
        { type: "exact", value: SECRET_EXPECTED, weight: -4242 },
      ],
      graderRegistry,
      { file: "evals/holdout.jsonl", line: 9, field: "graders", redact: true },
    );
    expect(errors.map((e) => e.format())).toEqual([
      "evals/holdout.jsonl:9: graders[0].pattern: the pattern is not a valid regular expression (Unterminated group). Fix the pattern: escape characters meant literally, such as ( ) [ ] . * + ?, with a backslash.",
      'evals/holdout.jsonl:9: graders[1].weight: must be greater than 0. Use a number greater than 0, e.g. `"weight": 2`.',
    ]);
    expectNoSecret(errors);
  });
});

describe("config errors found after parsing carry their line", () => {
  const CONFIG = [
    "version: 1", // 1
    "target:", // 2
    "  model: m", // 3
    "  system: prompts/missing.md", // 4
    "sets:", // 5
    "  anchor: evals/anchor.jsonl", // 6
    "  gone: evals/gone.jsonl", // 7
    "graders:", // 8
    '  - { type: contains, value: "{{expected}}" }', // 9
    "  - type: regex", // 10
    "    flags: i", // 11
    "    pattern: '(unclosed'", // 12
    "  - { type: contians, value: x }", // 13
    "",
  ].join("\n");

  it("parseConfigWithLines maps a field path to its line", () => {
    const { lineOf } = parseConfigWithLines(CONFIG, "eval-gate.yml");
    expect(lineOf(["graders", 1, "pattern"])).toBe(12);
    expect(lineOf(["graders", 2])).toBe(13);
    expect(lineOf(["sets", "gone"])).toBe(7);
    expect(lineOf(["target", "tools"])).toBe(2); // not there: its parent's line
  });

  it("evaluate reports graders, missing files and sets together, each at its line, before any request", async () => {
    const files: Record<string, string> = {
      "eval-gate.yml": CONFIG,
      "evals/anchor.jsonl": '{"id": "a", "slice": "s", "input": "x"}\n',
    };
    let providers = 0;
    const run = evaluate(
      {
        configPath: "eval-gate.yml",
        head: { source: { label: "workspace", read: async (p) => files[p] ?? null }, sha: "0".repeat(40) },
        base: null,
        env: {},
        allowedEndpoints: null,
      },
      {
        providerFor: () => {
          providers++;
          throw new Error("no provider in this test");
        },
        clock: systemClock,
      },
    );
    const error = await run.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UserErrors);
    expect((error as UserErrors).errors.map((e) => e.format())).toEqual([
      "eval-gate.yml:12: graders[1].pattern: the pattern is not a valid regular expression (Unterminated group). Fix the pattern: escape characters meant literally, such as ( ) [ ] . * + ?, with a backslash.",
      "eval-gate.yml:13: graders[2].type: unknown grader type `contians`; did you mean `contains`? Known types: contains, exact, json_schema, judge, regex, script, similarity, tool_calls.",
      "eval-gate.yml:7: sets.gone: set file evals/gone.jsonl does not exist. Create the JSONL file or fix the path; paths are relative to the config file's folder.",
      "eval-gate.yml:4: target.system: prompts/missing.md does not exist (workspace). Create prompts/missing.md or fix the path; paths are relative to the config file's folder.",
    ]);
    expect(providers).toBe(0);
  });
});

describe("system prompt placeholders", () => {
  it("accepts {{vars.NAME}} as well as {{NAME}}", () => {
    const where = { file: "p.md", caseId: "c" };
    expect(fillSystem("Hi {{vars.name}} / {{name}}", { name: "Ada" }, where)).toBe("Hi Ada / Ada");
    // A var literally named `vars` keeps its meaning.
    expect(fillSystem("{{vars.x}}", { vars: { x: 1 } }, where)).toBe("1");
  });

  it("lists what a case cannot fill, once each, with the prompt's line", () => {
    expect(missingSystemVars("Hi {{name}}\nfrom {{ vars.team }} and {{name}}", { other: 1 })).toEqual([
      { placeholder: "{{name}}", name: "name", promptLine: 1 },
      { placeholder: "{{ vars.team }}", name: "team", promptLine: 2 },
    ]);
    expect(missingSystemVars("Hi {{name}}", { name: "" })).toEqual([]);
  });
});

describe("jsonErrorOffset", () => {
  it.each([
    ['{"a": 1}', undefined],
    ['[1, 2, {"b": [true, false, null, -1.5e3, "\\u00e9\\n"]}]', undefined],
    ['{"a": 1,}', 8],
    ["{a: 1}", 1],
    ['{"a" 1}', 5],
    ["[1, 2", 5],
    ['"tab\there"', 4],
    ['"bad \\x escape"', 6],
    ['{"a": 1} x', 9],
    ["", 0],
    ["01", 1],
    ["nul", 0],
  ])("%j -> %j", (text, offset) => {
    expect(jsonErrorOffset(text)).toBe(offset);
    if (offset === undefined) expect(() => JSON.parse(text)).not.toThrow();
    else expect(() => JSON.parse(text)).toThrow();
  });

  it("turns an offset into a line and a column", () => {
    const text = '[\n  {"a": 1},\n]\n';
    const offset = jsonErrorOffset(text) as number;
    expect(lineColumn(text, offset)).toEqual({ line: 3, column: 1 });
  });
});
