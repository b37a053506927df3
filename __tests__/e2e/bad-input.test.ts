// Bad input, end to end: each entry breaks one thing of a working repository, and the bundled CLI
// (and, for a few, the bundled action) must stop with a clear message that names the file, the
// line where there is one, the field and the fix; exit 2; no stack trace; nothing written; and not
// one request to the model.
import { readdirSync } from "node:fs";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cleanupAll, makePullRequestRepo, makeRepo, pullRequestEvent } from "../support/git-repo.js";
import { type GitHubServer, startGitHubServer } from "../support/github-server.js";
import { type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";
import { type ProcessResult, runAction, runCli } from "./harness.js";
import { ALL_SKILLS, baseFiles, casesJsonl, configYaml, supportModel } from "./scenario.js";

let openai: OpenAIServer;
let github: GitHubServer;

beforeAll(async () => {
  openai = await startOpenAIServer({ respond: supportModel });
  github = await startGitHubServer();
});
afterAll(async () => {
  await openai.close();
  await github.close();
  cleanupAll();
});

type Files = Record<string, string | null>;

interface Entry {
  name: string;
  /** Files written over baseFiles(): a string replaces a file, null deletes it. */
  files: Files;
  /** CLI arguments after `run`. */
  args?: string[];
  /** Each must appear in stderr: the file (with `:line` where there is one), the field, the fix. */
  says: (string | RegExp)[];
  /** Must appear nowhere (a holdout's case ids, inputs, expected values). */
  hides?: string[];
}

// The base config, line by line (scenario.ts):
//  1 version: 1                 6 sets:                         11   - { type: contains, ... }
//  2 target:                    7   anchor: evals/anchor.jsonl  12 gate:
//  3   model: support-model     8   rotation: evals/rotation…   13   min_slice_n: 10
//  4   system: prompts/support… 9 concurrency: 4                14 requests: { timeout_ms: ... }
//  5   params: { temperature: 0 } 10 graders:                   15 (extra)
const CONFIG = configYaml();

/** The config with line `n` (1-based) replaced by `lines` (none deletes it). */
function configLine(n: number, ...lines: string[]): Files {
  const all = CONFIG.split("\n");
  all.splice(n - 1, 1, ...lines);
  return { "eval-gate.yml": all.join("\n") };
}

/** The config with lines `first` to `last` replaced by `lines`. */
function configLines(first: number, last: number, ...lines: string[]): Files {
  const all = CONFIG.split("\n");
  all.splice(first - 1, last - first + 1, ...lines);
  return { "eval-gate.yml": all.join("\n") };
}

/** The config with text appended (line 15). */
function configPlus(extra: string): Files {
  return { "eval-gate.yml": configYaml(extra) };
}

const ANCHOR = casesJsonl("a", 15);

/** The anchor set with line `n` replaced by `text`. */
function anchorLine(n: number, text: string): Files {
  const all = ANCHOR.split("\n");
  all[n - 1] = text;
  return { "evals/anchor.jsonl": all.join("\n") };
}

const json = (value: unknown) => JSON.stringify(value);

/** A third set, kept hidden (`visibility: aggregate`), whose ids and texts must appear nowhere. */
const HOLDOUT_CONFIG = configLine(
  8,
  "  rotation: evals/rotation.jsonl",
  "  holdout: { path: evals/holdout.jsonl, visibility: aggregate }",
)["eval-gate.yml"] as string;
const SECRET = {
  id: "h-secret-refund-7",
  input: "SECRET-INPUT my card ending 4242 was charged twice",
  expected: "SECRET-EXPECTED-refund",
};
const holdoutCase = (extra: Record<string, unknown> = {}) =>
  json({ id: SECRET.id, slice: "refund", input: SECRET.input, expected: SECRET.expected, ...extra });
const okHoldout = (i: number) =>
  json({ id: `h-ok-${i}`, slice: "refund", input: `Ticket ${i} (refund)`, expected: "refund" });
function holdout(...lines: string[]): Files {
  return { "eval-gate.yml": HOLDOUT_CONFIG, "evals/holdout.jsonl": `${lines.join("\n")}\n` };
}
const HIDDEN = [SECRET.id, "SECRET-INPUT", "SECRET-EXPECTED", "4242"];

const CORPUS: Entry[] = [
  // The config: YAML
  {
    name: "YAML syntax: a tab as indentation",
    files: configLine(4, "\tsystem: prompts/support.md"),
    says: ["eval-gate.yml:4", "YAML syntax error", "Tabs are not allowed", "Indent with spaces"],
  },
  {
    name: "YAML syntax: a flow mapping left open",
    files: configLine(5, "  params: { temperature: 0"),
    says: [/eval-gate\.yml:[56]: YAML syntax error/, "Close the `[` or `{`"],
  },
  {
    name: "YAML syntax: a backslash in double quotes",
    files: configLine(11, '  - { type: regex, pattern: "order #\\d+" }'),
    says: ["eval-gate.yml:11", "Invalid escape sequence", "single quotes"],
  },
  {
    name: "an empty config file",
    files: { "eval-gate.yml": "" },
    says: ["eval-gate.yml:1: the config is empty", "version: 1"],
  },
  {
    name: "a config that is a list",
    files: { "eval-gate.yml": "- version: 1\n- target: x\n" },
    says: ["eval-gate.yml:1", "must be a mapping", "version: 1"],
  },
  {
    name: "a config that is not there (--config)",
    files: {},
    args: ["--config", "ci/eval-gate.yml"],
    says: ["error: ci/eval-gate.yml: the config file does not exist", "--config"],
  },
  // The config: schema
  {
    name: "version: 2",
    files: configLine(1, "version: 2"),
    says: ["eval-gate.yml:1: version: unsupported version 2", "Set `version: 1`"],
  },
  {
    name: "no target.model",
    files: configLine(3),
    says: ["eval-gate.yml:2: target.model: `model` is required", "Add `model: gpt-4o-mini` under `target`"],
  },
  {
    name: "an unknown top-level key",
    files: configLine(9, "concurency: 4"),
    says: ["eval-gate.yml:9: concurency: unknown key", "did you mean `concurrency`", "Known keys:"],
  },
  {
    name: "concurrency: 0",
    files: configLine(9, "concurrency: 0"),
    says: ["eval-gate.yml:9: concurrency: must be at least 1", "Use a whole number from 1 to 512"],
  },
  {
    name: "gate.alpha: 1.5",
    files: configLine(13, "  min_slice_n: 10", "  alpha: 1.5"),
    says: ["eval-gate.yml:14: gate.alpha: must be less than 1", "Use a number between 0 and 1"],
  },
  {
    name: "repeats: 1000",
    files: configPlus("repeats: 1000"),
    says: ["eval-gate.yml:15: repeats: must be at most 100", "Use a whole number from 1 to 100"],
  },
  {
    name: 'wrong type: repeats: "three"',
    files: configPlus('repeats: "three"'),
    says: [
      'eval-gate.yml:15: repeats: expected a number or `auto`, got "three"',
      "Use a whole number from 1 to 100",
    ],
  },
  {
    name: "wrong type: sets: []",
    files: configLines(6, 8, "sets: []"),
    says: ["eval-gate.yml:6: sets: expected a mapping, got a list", "sets: { anchor: evals/anchor.jsonl }"],
  },
  {
    name: "wrong type: graders: {}",
    files: configLines(10, 11, "graders: {}"),
    says: ["eval-gate.yml:10: graders: expected a list, got a mapping", "Use a list of graders"],
  },
  {
    name: "gate.mode misspelt",
    files: configLine(13, "  min_slice_n: 10", "  mode: strcit"),
    says: ["eval-gate.yml:14: gate.mode", "did you mean `strict`", "Use `statistical` or `strict`"],
  },
  {
    name: "a set's visibility misspelt",
    files: configLine(8, "  rotation: { path: evals/rotation.jsonl, visibility: agregate }"),
    says: [
      "eval-gate.yml:8: sets.rotation.visibility",
      "did you mean `aggregate`",
      "Use `full` or `aggregate`",
    ],
  },
  {
    name: "target.base_url that is not a URL",
    files: configLine(5, "  params: { temperature: 0 }", "  base_url: localhost:8080"),
    says: ["eval-gate.yml:6: target.base_url: must be an http or https URL", "https://api.openai.com/v1"],
  },
  {
    name: "provider: replay without recordings",
    files: configLine(5, "  params: { temperature: 0 }", "  provider: replay"),
    says: ["eval-gate.yml:2: target.recordings", "`recordings` is required when `provider` is `replay`"],
  },
  // The config: graders
  {
    name: "an unknown grader type",
    files: configLine(11, '  - { type: contians, value: "{{expected}}" }'),
    says: ["eval-gate.yml:11: graders[0].type", "unknown grader type `contians`; did you mean `contains`?"],
  },
  {
    name: "a grader without a type",
    files: configLine(11, '  - { value: "{{expected}}" }'),
    says: ["eval-gate.yml:11: graders[0].type: `type` is required", "type: contains"],
  },
  {
    name: "a config grader with a bad regex (the line of the grader)",
    files: configLine(
      11,
      '  - { type: contains, value: "{{expected}}" }',
      "  - type: regex",
      "    pattern: 'order #(\\d+'",
    ),
    says: [
      "eval-gate.yml:13: graders[1].pattern: the pattern is not a valid regular expression",
      "escape characters meant literally",
    ],
  },
  {
    name: "a config grader with an unknown key",
    files: configLine(11, '  - { type: contains, valeu: "{{expected}}" }'),
    says: [
      "eval-gate.yml:11: graders[0].valeu: unknown key",
      "did you mean `value`",
      "eval-gate.yml:11: graders[0].value: `value` is required",
    ],
  },
  // The target's files
  {
    name: "the system prompt file is missing",
    files: { "prompts/support.md": null },
    says: ["eval-gate.yml:4: target.system: prompts/support.md does not exist", "fix the path"],
  },
  {
    name: "a tools file that is not JSON",
    files: {
      ...configLine(5, "  params: { temperature: 0 }", "  tools: tools/support.json"),
      "tools/support.json": '[\n  {"type": "function", "function": {"name": "refund"}},\n]\n',
    },
    says: [
      "tools/support.json:3: target.tools: not valid JSON at column 1",
      "JSON array of OpenAI function tool definitions",
    ],
  },
  {
    name: "recordings that are not there (provider: replay)",
    files: configLine(
      5,
      "  params: { temperature: 0 }",
      "  provider: replay",
      "  recordings: evals/rec.jsonl",
    ),
    says: ["eval-gate.yml:7: target.recordings: evals/rec.jsonl does not exist", "Create evals/rec.jsonl"],
  },
  {
    name: "a {{vars.NAME}} of the system prompt that the cases do not fill",
    files: { "prompts/support.md": `${ALL_SKILLS}Greet {{vars.customer}} by name.\n` },
    says: [
      "evals/anchor.jsonl:1: vars.customer: prompts/support.md:5 uses {{vars.customer}}",
      "case `a-refund-1` has no var `customer` (nor do 44 more cases of this set)",
      '"vars": {"customer": "..."}',
      "evals/rotation.jsonl:1",
    ],
  },
  // The sets
  {
    name: "a set file that is missing",
    files: { "evals/rotation.jsonl": null },
    says: [
      "eval-gate.yml:8: sets.rotation: set file evals/rotation.jsonl does not exist",
      "Create the JSONL file",
    ],
  },
  {
    name: "an empty set",
    files: { "evals/rotation.jsonl": "// to do\n\n" },
    says: ["evals/rotation.jsonl: the set `rotation` has no cases", "Add one JSON object per line"],
  },
  {
    name: "bad JSON on a line",
    files: anchorLine(5, '{"id": "a-refund-5", "slice": "refund", "input": "hi",}'),
    says: ["evals/anchor.jsonl:5: not valid JSON at column 55", "no trailing commas"],
  },
  {
    name: "a line that is not an object",
    files: anchorLine(5, '["a-refund-5", "refund"]'),
    says: [
      "evals/anchor.jsonl:5: each line must be a JSON object (one case), got an array",
      '"slice": "refund"',
    ],
  },
  {
    name: "duplicate ids (both lines named)",
    files: anchorLine(7, json({ id: "a-refund-2", slice: "refund", input: "x", expected: "refund" })),
    says: ["evals/anchor.jsonl:7: id: duplicate id `a-refund-2` (lines 2 and 7)", "its own id"],
  },
  {
    name: "a case without a slice",
    files: anchorLine(4, json({ id: "a-refund-4", input: "x", expected: "refund" })),
    says: ["evals/anchor.jsonl:4: slice: `slice` is required", '"slice": "refund"'],
  },
  {
    name: "a case without input or messages",
    files: anchorLine(4, json({ id: "a-refund-4", slice: "refund", expected: "refund" })),
    says: ["evals/anchor.jsonl:4: input: the case has no `input` or `messages`", "Add `input`"],
  },
  {
    name: "a case with both input and messages",
    files: anchorLine(
      4,
      json({ id: "a-refund-4", slice: "refund", input: "x", messages: [{ role: "user", content: "x" }] }),
    ),
    says: ["evals/anchor.jsonl:4: input: the case has both `input` and `messages`", "Keep one"],
  },
  {
    name: "an unknown key on a case",
    files: anchorLine(6, json({ id: "a-refund-6", slcie: "refund", input: "x" })),
    says: [
      "evals/anchor.jsonl:6: slcie: unknown key `slcie`; did you mean `slice`?",
      "evals/anchor.jsonl:6: slice",
    ],
  },
  {
    name: "a message role misspelt",
    files: anchorLine(
      6,
      json({ id: "a-refund-6", slice: "refund", messages: [{ role: "usr", content: "x" }] }),
    ),
    says: ["evals/anchor.jsonl:6: messages[0].role", "did you mean `user`", "Use one of system, user"],
  },
  {
    name: "a case grader with a bad regex (the line of the case)",
    files: anchorLine(
      3,
      json({ id: "a-refund-3", slice: "refund", input: "x", graders: [{ type: "regex", pattern: "([" }] }),
    ),
    says: [
      "evals/anchor.jsonl:3: graders[0].pattern: the pattern is not a valid regular expression",
      "backslash",
    ],
  },
  {
    name: "a case grader of an unknown type",
    files: anchorLine(
      3,
      json({ id: "a-refund-3", slice: "refund", input: "x", graders: [{ type: "exactly", value: "x" }] }),
    ),
    says: [
      "evals/anchor.jsonl:3: graders[0].type: unknown grader type `exactly`; did you mean `exact`?",
      "Known types:",
    ],
  },
  // A holdout set: messages name the file, the line and the field, and quote nothing of its cases.
  {
    name: "holdout: duplicate ids",
    files: holdout(holdoutCase(), okHoldout(2), holdoutCase({ input: "SECRET-INPUT again" })),
    says: ["evals/holdout.jsonl:3: id: this case has the same id as the case on line 1", "lines 1 and 3"],
    hides: HIDDEN,
  },
  {
    name: "holdout: a bad line (wrong types, a line that is not JSON)",
    files: holdout(
      okHoldout(1),
      holdoutCase({
        slice: 7,
        expected: undefined,
        input: undefined,
        messages: [{ role: "usr", content: SECRET.input }],
      }),
      `${SECRET.id} ${SECRET.input}`,
    ),
    says: [
      "evals/holdout.jsonl:2: slice: expected a string, got a number",
      "evals/holdout.jsonl:2: messages[0].role: must be one of",
      "evals/holdout.jsonl:3: not valid JSON",
    ],
    hides: [...HIDDEN, "usr", "did you mean"],
  },
  {
    name: "holdout: a case grader with a bad regex",
    files: holdout(
      okHoldout(1),
      holdoutCase({ graders: [{ type: "regex", pattern: "SECRET-EXPECTED-(refund" }] }),
    ),
    says: ["evals/holdout.jsonl:2: graders[0].pattern: the pattern is not a valid regular expression"],
    hides: HIDDEN,
  },
  {
    name: "holdout: a system prompt var its case does not fill",
    files: {
      ...holdout(holdoutCase({ vars: { name: "Ada" } }), okHoldout(2)),
      "prompts/support.md": `${ALL_SKILLS}Greet {{name}}.\n`,
      "evals/anchor.jsonl": casesJsonl("a", 15).replace(/"expected"/g, '"vars":{"name":"Bo"},"expected"'),
      "evals/rotation.jsonl": casesJsonl("r", 10).replace(/"expected"/g, '"vars":{"name":"Bo"},"expected"'),
    },
    says: [
      "evals/holdout.jsonl:2: vars.name: prompts/support.md:5 uses {{name}}, but this case has no var `name`",
    ],
    hides: HIDDEN,
  },
];

const STACK = /\n\s+at |node:internal|eval-gate failed/;

function expectSays(text: string, says: (string | RegExp)[]): void {
  for (const s of says) {
    if (typeof s === "string") expect(text).toContain(s);
    else expect(text).toMatch(s);
  }
}

function expectHides(texts: string[], hides: string[] = []): void {
  for (const text of texts) for (const h of hides) expect(text).not.toContain(h);
}

/** Requests the fake model received with this key: each entry has its own, so they can run at once. */
function requestsWith(key: string): number {
  return openai.requests().filter((r) => r.authorization === `Bearer ${key}`).length;
}

/** Every file under `dir` but .git, as sorted relative paths. */
function filesIn(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)).split("\\").join("/"))
    .filter((p) => !p.startsWith(".git/"))
    .sort();
}

const keyOf = (name: string) => `sk-bad-${name.replace(/[^a-z0-9]+/gi, "-")}`;

function filesOf(changes: Files): Record<string, string> {
  const files: Files = { ...baseFiles(), ...changes };
  return Object.fromEntries(Object.entries(files).filter(([, v]) => v !== null)) as Record<string, string>;
}

describe("bad input, through the CLI", () => {
  it("has a corpus of at least 24 broken inputs, each named once", () => {
    expect(CORPUS.length).toBeGreaterThanOrEqual(24);
    expect(new Set(CORPUS.map((e) => e.name)).size).toBe(CORPUS.length);
  });

  it("the unbroken repo runs, and its requests are seen (so zero below means zero)", async () => {
    const repo = await makeRepo(baseFiles());
    const key = keyOf("control");
    const run = await runCli(["run", "--no-cache"], {
      cwd: repo.dir,
      env: { OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: key },
    });
    expect(run.stderr).not.toMatch(/^error:/m);
    expect(run.code).toBe(0);
    expect(requestsWith(key)).toBeGreaterThan(0);
  });

  describe.concurrent("each entry: exit 2, file:line, field and fix, no stack, nothing written, no request", () => {
    it.each(CORPUS)("$name", async (entry) => {
      const files = filesOf(entry.files);
      const repo = await makeRepo(files);
      const key = keyOf(entry.name);
      const run: ProcessResult = await runCli(["run", ...(entry.args ?? [])], {
        cwd: repo.dir,
        env: { OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: key },
      });
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr).toMatch(/^error: /);
      expectSays(run.stderr, entry.says);
      expect(run.stderr).not.toMatch(STACK);
      expect(run.stdout).toBe("");
      // Nothing half-written: no report, no cache, no file besides the ones the entry wrote.
      expect(filesIn(repo.dir)).toEqual(Object.keys(files).sort());
      expect(requestsWith(key)).toBe(0);
      expectHides([run.stdout, run.stderr], entry.hides);
    });
  });
});

const ACTION_ENTRIES: { name: string; shows: string[] }[] = [
  { name: "YAML syntax: a tab as indentation", shows: ["eval-gate.yml:4", "Tabs are not allowed"] },
  { name: "an unknown grader type", shows: ["eval-gate.yml:11", "did you mean", "contains"] },
  {
    name: "the system prompt file is missing",
    shows: ["eval-gate.yml:4", "prompts/support.md does not exist"],
  },
  {
    name: "a case grader with a bad regex (the line of the case)",
    shows: ["evals/anchor.jsonl:3", "not a valid regular expression"],
  },
  { name: "holdout: duplicate ids", shows: ["evals/holdout.jsonl:3", "same id as the case on line 1"] },
  {
    name: "holdout: a system prompt var its case does not fill",
    shows: ["evals/holdout.jsonl:2", "has no var"],
  },
];

describe.concurrent("bad input, through the action on pull_request", () => {
  it.each(ACTION_ENTRIES.map((a, i) => ({ ...a, number: 500 + i })))(
    "$name",
    async ({ name, shows, number }) => {
      const entry = CORPUS.find((e) => e.name === name) as Entry;
      expect(entry).toBeDefined();
      const { repo, baseSha, headSha } = await makePullRequestRepo({ base: baseFiles(), head: entry.files });
      const key = keyOf(`action ${name}`);
      const run = await runAction({
        workspace: repo.dir,
        eventName: "pull_request",
        event: pullRequestEvent({ baseSha, headSha, number, owner: "acme", repo: "widgets" }),
        env: { OPENAI_BASE_URL: openai.url, OPENAI_API_KEY: key, GITHUB_API_URL: github.url },
      });
      expect(run.code, run.stdout).toBe(1);
      expect(run.outputs.verdict).toBe("error");
      expect(run.report?.verdict).toBe("error");
      const reasons = (run.report?.reasons ?? []).join("\n");
      expectSays(reasons, shows);
      expectSays(run.summary, shows);
      const comments = github.comments("acme", "widgets", number);
      expect(comments).toHaveLength(1);
      expectSays(comments[0]?.body ?? "", shows);
      expect(run.stdout).toContain("::error");
      expect(`${run.stdout}\n${run.stderr}`).not.toMatch(STACK);
      expect(requestsWith(key)).toBe(0);
      expectHides(
        [run.stdout, run.stderr, run.summary, comments[0]?.body ?? "", JSON.stringify(run.report)],
        entry.hides,
      );
    },
  );
});
