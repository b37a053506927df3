import { describe, expect, it } from "vitest";
import { z } from "zod";
import { parseConfig } from "../../src/core/config/parse-config.js";
import { validateGraders } from "../../src/core/config/validate-graders.js";
import { type UserError, UserErrors } from "../../src/core/errors.js";
import { graderRegistry } from "../../src/core/graders/index.js";
import type { GraderDefinition } from "../../src/core/graders/types.js";
import { suggest } from "../../src/core/text/suggest.js";

const FILE = "eval-gate.yml";
const MINIMAL = "version: 1\ntarget:\n  model: gpt-4o-mini\nsets:\n  anchor: evals/anchor.jsonl\n";

/** The errors a config raises; fails the test when it parses. */
function errorsOf(text: string): UserError[] {
  try {
    parseConfig(text, FILE);
  } catch (e) {
    expect(e).toBeInstanceOf(UserErrors);
    return (e as UserErrors).errors;
  }
  throw new Error("expected the config to be rejected");
}

function only(text: string): UserError {
  const errors = errorsOf(text);
  expect(errors.map((e) => e.format())).toHaveLength(1);
  return errors[0] as UserError;
}

describe("parseConfig", () => {
  it("fills every default", () => {
    expect(parseConfig(MINIMAL, FILE)).toEqual({
      version: 1,
      target: { model: "gpt-4o-mini", api_key_env: "OPENAI_API_KEY", params: {}, provider: "openai" },
      sets: { anchor: { path: "evals/anchor.jsonl", visibility: "full" } },
      repeats: 1,
      concurrency: 8,
      graders: [{ type: "contains", value: "{{expected}}" }],
      gate: {
        mode: "statistical",
        alpha: 0.05,
        floor: null,
        review_drop: 0.01,
        min_slice_n: 12,
        max_error_rate: 0,
        definition: "base",
        drift: "report",
      },
      requests: { timeout_ms: 60000, attempts: 10 },
      embedding_model: "text-embedding-3-small",
    });
  });

  it("reads `repeats: auto` with or without `max_repeats`", () => {
    expect(parseConfig(`${MINIMAL}repeats: auto\n`, FILE)).toMatchObject({ repeats: "auto" });
    expect(parseConfig(`${MINIMAL}repeats: auto\n`, FILE).max_repeats).toBeUndefined();
    expect(parseConfig(`${MINIMAL}repeats: auto\nmax_repeats: 8\n`, FILE)).toMatchObject({
      repeats: "auto",
      max_repeats: 8,
    });
  });

  it("reads the embedding model and the judge block, filling min_kappa", () => {
    const config = parseConfig(
      `${MINIMAL}embedding_model: text-embedding-3-large\njudge:\n  model: gpt-4o\n  calibration: evals/judge-labels.jsonl\n`,
      FILE,
    );
    expect(config.embedding_model).toBe("text-embedding-3-large");
    expect(config.judge).toEqual({
      model: "gpt-4o",
      calibration: "evals/judge-labels.jsonl",
      min_kappa: 0.6,
    });
    expect(parseConfig(`${MINIMAL}judge: { model: m, min_kappa: 0.8 }\n`, FILE).judge).toEqual({
      model: "m",
      min_kappa: 0.8,
    });
    expect(parseConfig(MINIMAL, FILE).judge).toBeUndefined();
  });

  it("fills the rest of a partly written gate", () => {
    const config = parseConfig(`${MINIMAL}gate:\n  floor: 0.8\n`, FILE);
    expect(config.gate).toEqual({
      mode: "statistical",
      alpha: 0.05,
      floor: 0.8,
      review_drop: 0.01,
      min_slice_n: 12,
      max_error_rate: 0,
      definition: "base",
      drift: "report",
    });
  });

  it("reads the full example of the contract", () => {
    const text = [
      "version: 1",
      "target:",
      "  model: gpt-4o-mini",
      "  system: prompts/support.md",
      "  base_url: https://api.openai.com/v1",
      "  params: { temperature: 0, max_tokens: 400 }",
      "  tools: tools/support.json",
      "sets:",
      "  anchor: evals/anchor.jsonl",
      "  holdout: { path: evals/holdout.jsonl, visibility: aggregate }",
      "repeats: 3",
      "graders:",
      "  - { type: regex, pattern: refund, weight: 2, threshold: 0.5 }",
      "gate: { mode: strict, alpha: 0.01, min_slice_n: 5, max_error_rate: 0.1 }",
      "requests: { timeout_ms: 5000, attempts: 1 }",
    ].join("\n");
    const config = parseConfig(text, FILE);
    expect(config.target).toMatchObject({
      system: "prompts/support.md",
      params: { temperature: 0, max_tokens: 400 },
    });
    expect(config.sets).toEqual({
      anchor: { path: "evals/anchor.jsonl", visibility: "full" },
      holdout: { path: "evals/holdout.jsonl", visibility: "aggregate" },
    });
    expect(config.graders).toEqual([{ type: "regex", pattern: "refund", weight: 2, threshold: 0.5 }]);
    expect(config.gate.mode).toBe("strict");
    expect(parseConfig(`${MINIMAL}gate: { drift: fail, review_drop: 0.05 }\n`, FILE).gate).toMatchObject({
      drift: "fail",
      review_drop: 0.05,
    });
    expect(config.requests).toEqual({ timeout_ms: 5000, attempts: 1 });
  });

  it("names an unknown top-level key with a suggestion", () => {
    const err = only(`${MINIMAL}concurency: 4\n`);
    expect(err.line).toBe(6);
    expect(err.field).toBe("concurency");
    expect(err.format()).toContain(
      "eval-gate.yml:6: concurency: unknown key `concurency`; did you mean `concurrency`?",
    );
  });

  it("names a misspelt target key and the missing model at the target line", () => {
    const errors = errorsOf("version: 1\ntarget:\n  modle: gpt-4o-mini\nsets:\n  a: a.jsonl\n");
    const byField = Object.fromEntries(errors.map((e) => [e.field, e]));
    expect(byField["target.modle"]?.line).toBe(3);
    expect(byField["target.modle"]?.message).toBe("unknown key `modle`; did you mean `model`?");
    expect(byField["target.model"]?.line).toBe(2);
    expect(byField["target.model"]?.format()).toBe(
      "eval-gate.yml:2: target.model: `model` is required. Add `model: gpt-4o-mini` under `target`.",
    );
  });

  it("rejects another version", () => {
    const err = only(MINIMAL.replace("version: 1", "version: 2"));
    expect(err.format()).toBe(
      "eval-gate.yml:1: version: unsupported version 2; this eval-gate reads version 1. Set `version: 1`.",
    );
  });

  it("reports a missing version", () => {
    const err = only(MINIMAL.replace("version: 1\n", ""));
    expect(err.field).toBe("version");
    expect(err.format()).toContain("`version` is required. Add `version: 1` at the top of the file.");
  });

  it.each([
    [
      "gate:\n  alpha: 1.5\n",
      7,
      "gate.alpha",
      "must be less than 1, got 1.5. Use a number between 0 and 1, e.g. 0.05.",
    ],
    ["gate:\n  alpha: high\n", 7, "gate.alpha", 'expected a number, got "high"'],
    ["gate:\n  floor: 2\n", 7, "gate.floor", "must be at most 1, got 2"],
    ["gate:\n  mode: strikt\n", 7, "gate.mode", 'got "strikt"; did you mean `strict`?'],
    ["gate:\n  min_slice_n: 0\n", 7, "gate.min_slice_n", "must be at least 1, got 0"],
    ["gate:\n  max_error_rate: -0.1\n", 7, "gate.max_error_rate", "must be at least 0, got -0.1"],
    ["repeats: 2.5\n", 6, "repeats", "expected a whole number or `auto`, got 2.5"],
    ["repeats: often\n", 6, "repeats", 'expected a number or `auto`, got "often". Use a whole number'],
    ["repeats: auto\nmax_repeats: 1\n", 7, "max_repeats", "must be at least 2, got 1"],
    ["repeats: 3\nmax_repeats: 8\n", 7, "max_repeats", "only applies with `repeats: auto`"],
    [
      "gate:\n  review_drop: 5\n",
      7,
      "gate.review_drop",
      "must be at most 1, got 5. Use a number between 0 and 1",
    ],
    ["gate:\n  drift: fial\n", 7, "gate.drift", 'got "fial"; did you mean `fail`?'],
    ["repeats: 101\n", 6, "repeats", "must be at most 100, got 101. Use a whole number from 1 to 100"],
    ["concurrency: 0\n", 6, "concurrency", "must be at least 1, got 0"],
    ["requests:\n  timeout_ms: 10\n", 7, "requests.timeout_ms", "must be at least 1000, got 10"],
    ["requests:\n  attempts: 21\n", 7, "requests.attempts", "must be at most 20, got 21"],
    [
      "graders:\n  - { type: contains, value: x }\n  - { weight: 0 }\n",
      8,
      "graders[1].weight",
      "must be greater than 0",
    ],
    ["graders:\n  - { type: 7 }\n", 7, "graders[0].type", "expected a string, got 7"],
    ["graders: contains\n", 6, "graders", 'expected a list, got "contains"'],
    ["gate: 3\n", 6, "gate", "expected a mapping, got 3"],
    ["embedding_model: ''\n", 6, "embedding_model", "must not be empty. Name an embedding model"],
    [
      "judge:\n  calibration: a.jsonl\n",
      6,
      "judge.model",
      "`model` is required. Add `model: gpt-4o` under `judge`.",
    ],
    [
      "judge:\n  model: m\n  min_kappa: 1.2\n",
      8,
      "judge.min_kappa",
      "must be at most 1, got 1.2. Use a number between 0 and 1",
    ],
    [
      "judge:\n  model: m\n  calibraton: a.jsonl\n",
      8,
      "judge.calibraton",
      "unknown key `calibraton`; did you mean `calibration`?",
    ],
    [
      "judge: gpt-4o\n",
      6,
      "judge",
      'expected a mapping, got "gpt-4o". Use a mapping, e.g. `judge: { model: gpt-4o',
    ],
  ])("rejects %j with its line and field", (extra, line, field, text) => {
    const err = errorsOf(`${MINIMAL}${extra}`).find((e) => e.field === field);
    expect(err, `no error for ${field}`).toBeDefined();
    expect(err?.line).toBe(line);
    expect(err?.format()).toContain(`eval-gate.yml:${line}: ${field}: `);
    expect(err?.format()).toContain(text);
  });

  it("rejects target values of the wrong kind", () => {
    const text =
      "version: 1\ntarget:\n  model: ''\n  base_url: ftp://example.com\n  params: [1]\nsets:\n  a: a.jsonl\n";
    const errors = errorsOf(text);
    expect(errors.map((e) => [e.line, e.field])).toEqual([
      [3, "target.model"],
      [4, "target.base_url"],
      [5, "target.params"],
    ]);
    expect(errors[0]?.message).toBe("must not be empty");
    expect(errors[1]?.message).toBe('must be an http or https URL, got "ftp://example.com"');
  });

  it("requires recordings for the replay provider", () => {
    const err = only("version: 1\ntarget:\n  model: m\n  provider: replay\nsets:\n  a: a.jsonl\n");
    expect(err.field).toBe("target.recordings");
    expect(err.line).toBe(2);
    expect(err.format()).toContain("`recordings` is required when `provider` is `replay`");
    const ok = parseConfig(
      "version: 1\ntarget:\n  model: m\n  provider: replay\n  recordings: r.jsonl\nsets:\n  a: a.jsonl\n",
      FILE,
    );
    expect(ok.target).toMatchObject({ provider: "replay", recordings: "r.jsonl" });
  });

  it("checks set entries, names and count", () => {
    const text = [
      "version: 1",
      "target: { model: m }",
      "sets:",
      "  good: a.jsonl",
      "  holdout: { path: h.jsonl, visiblity: aggregate }",
      "  wrong: { path: w.jsonl, visibility: hidden }",
      "  'has space': b.jsonl",
    ].join("\n");
    const errors = errorsOf(text);
    expect(errors.map((e) => [e.line, e.field])).toEqual([
      [5, "sets.holdout.visiblity"],
      [6, "sets.wrong.visibility"],
    ]);
    expect(errors[0]?.message).toBe("unknown key `visiblity`; did you mean `visibility`?");
    const names = only("version: 1\ntarget: { model: m }\nsets:\n  'has space': b.jsonl\n");
    expect(names.field).toBe("sets.has space");
    expect(names.line).toBe(4);
    const none = only("version: 1\ntarget: { model: m }\nsets: {}\n");
    expect(none.format()).toContain("eval-gate.yml:3: sets: no sets are listed. Add at least one set");
  });

  it("reports a YAML syntax error at its line", () => {
    const err = only("version: 1\ntarget:\n  model: gpt\n    params: x\nsets: {}\n");
    expect(err.line).toBe(3);
    expect(err.format()).toBe(
      "eval-gate.yml:3: YAML syntax error: Nested mappings are not allowed in compact mappings (the line reads `model: gpt`). Check the indentation and quoting on this line and the one before it.",
    );
    expect(only('version: 1\ntarget: { model: "gpt }\nsets: {}\n').line).toBeGreaterThanOrEqual(2);
  });

  it("reports duplicate keys as YAML errors", () => {
    const err = only(`${MINIMAL}repeats: 2\nrepeats: 3\n`);
    expect(err.line).toBe(7);
  });

  it.each([
    ["", "the config is empty"],
    ["# only a comment\n", "the config is empty"],
    ["- a\n- b\n", "must be a mapping"],
    ["just text\n", "must be a mapping"],
  ])("explains what a config looks like for %j", (text, message) => {
    const err = only(text);
    expect(err.message).toContain(message);
    expect(err.fix).toContain("version: 1");
  });

  it("collects every problem, in line order, without zod's wording", () => {
    const errors = errorsOf("version: 3\nconcurency: 2\ntarget: {}\nsets:\n  a: 5\ngate: { alpha: 0 }\n");
    expect(errors.map((e) => e.field)).toEqual([
      "version",
      "concurency",
      "target.model",
      "sets.a",
      "gate.alpha",
    ]);
    for (const e of errors) {
      expect(e.format()).not.toMatch(/Invalid input|received|\{"|"code"/);
      expect(e.file).toBe(FILE);
      expect(e.fix).toBeTruthy();
    }
  });
});

const registry: Record<string, GraderDefinition> = {
  contains: {
    type: "contains",
    summary: "output contains a value",
    schema: z.strictObject({
      type: z.literal("contains"),
      value: z.string(),
      weight: z.number().optional(),
      threshold: z.number().optional(),
    }),
    grade: () => ({ grader: "contains", pass: true, score: 1, reason: "" }),
  },
  regex: {
    type: "regex",
    summary: "output matches a pattern",
    schema: z.strictObject({
      type: z.literal("regex"),
      pattern: z.string().min(1),
      flags: z.string().optional(),
    }),
    grade: () => ({ grader: "regex", pass: true, score: 1, reason: "" }),
  },
};

describe("validateGraders", () => {
  it("accepts valid specs", () => {
    const specs = [
      { type: "contains", value: "x" },
      { type: "regex", pattern: "^a" },
    ];
    expect(validateGraders(specs, registry, { file: FILE, line: 9, field: "graders" })).toEqual([]);
  });

  it("names an unknown type with a suggestion and the known types", () => {
    const [err, ...rest] = validateGraders([{ type: "contains", value: "x" }, { type: "regx" }], registry, {
      file: "evals/a.jsonl",
      line: 4,
      field: "graders",
    });
    expect(rest).toEqual([]);
    expect(err?.field).toBe("graders[1].type");
    expect(err?.line).toBe(4);
    expect(err?.format()).toContain(
      "evals/a.jsonl:4: graders[1].type: unknown grader type `regx`; did you mean `regex`?",
    );
    expect(err?.fix).toBe("Known types: contains, regex.");
  });

  it("turns schema issues into fields of the spec", () => {
    const errors = validateGraders(
      [
        { type: "regex", patern: "a" },
        { type: "contains", value: 3 },
      ],
      registry,
      { file: FILE, line: 12, field: "graders" },
    );
    expect(errors.map((e) => [e.field, e.line])).toEqual([
      ["graders[0].pattern", 12],
      ["graders[0].patern", 12],
      ["graders[1].value", 12],
    ]);
    expect(errors[0]?.message).toBe("`pattern` is required");
    expect(errors[1]?.message).toBe("unknown key `patern`; did you mean `pattern`?");
    expect(errors[2]?.message).toBe("expected a string, got 3");
  });
});

describe("validateGraders with the model and script graders", () => {
  it("names the field and the fix of each grader's own checks", () => {
    const errors = validateGraders(
      [
        { type: "judge" },
        { type: "judge", rubric: "r", rubric_file: "r.md" },
        { type: "similarity", value: "{{expected}}", field: "answer" },
        { type: "script", path: "grade.py" },
        { type: "script", path: "g.mjs", timeout: 5 },
      ],
      graderRegistry,
      { file: FILE, line: 9, field: "graders" },
    );
    expect(errors.map((e) => e.format())).toEqual([
      "eval-gate.yml:9: graders[0]: a judge needs a `rubric` or a `rubric_file`. Write the rubric inline (`rubric: The answer is polite and offers a refund`) or name a file relative to the config (`rubric_file: rubrics/tone.md`).",
      "eval-gate.yml:9: graders[1].rubric_file: give `rubric` or `rubric_file`, not both. Write the rubric inline (`rubric: The answer is polite and offers a refund`) or name a file relative to the config (`rubric_file: rubrics/tone.md`).",
      'eval-gate.yml:9: graders[2].field: `field` picks a part of `expected` and cannot be combined with `value`. Keep one: `field: answer` or `value: "{{expected.answer}}"`.',
      "eval-gate.yml:9: graders[3].path: must name a JavaScript module (.js, .mjs or .cjs). Give the path of a module of the repository, e.g. `path: evals/grade.mjs`.",
      "eval-gate.yml:9: graders[4].timeout: unknown key `timeout`; did you mean `timeout_ms`? Known keys: type, weight, threshold, path, export, timeout_ms.",
    ]);
  });
});

describe("suggest", () => {
  it("finds close words and refuses far ones", () => {
    expect(suggest("concurency", ["repeats", "concurrency"])).toBe("concurrency");
    expect(suggest("modle", ["model", "system"])).toBe("model");
    expect(suggest("slcie", ["id", "slice", "input"])).toBe("slice");
    expect(suggest("banana", ["model", "system"])).toBeUndefined();
  });
});
