// What evaluate() does while something else is on its way: the head's files are read while the
// base commit is still being looked up in git, and on a run without a base a leak check (only a
// note there) waits until the requests are in flight; neither changes what the run finds.
import { describe, expect, it } from "vitest";
import { loadProject, ParseMemo } from "../../src/core/config/project.js";
import { UserError } from "../../src/core/errors.js";
import { type BaseSide, evaluate, insertAt } from "../../src/core/evaluate.js";
import { type FileSource, systemClock } from "../../src/core/ports.js";
import { findLeaks, findLeaksInTurns } from "../../src/core/text/leaks.js";
import type { EvalSet } from "../../src/core/types.js";

const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;
const LEAKED = "I need my money back for the broken kettle order";
const CONFIG = [
  "version: 1",
  "target: { model: m, system: prompts/support.md }",
  "sets: { anchor: evals/anchor.jsonl }",
  "graders: [{ type: contains, value: '{{expected}}' }]",
  "",
].join("\n");
const LEAKY_PROMPT = `Example: ${LEAKED} is a refund.\n`;
const FILES: Record<string, string> = {
  "eval-gate.yml": CONFIG,
  "prompts/support.md": "You are Acme's assistant. Answer in one word.\n",
  "evals/anchor.jsonl": jsonl([
    { id: "refund-1", slice: "refund", input: "refund please", expected: "refund" },
    { id: "refund-2", slice: "refund", input: LEAKED, expected: "refund" },
    {
      id: "own-prompt",
      slice: "refund",
      messages: [
        { role: "system", content: "Answer with one word." },
        { role: "user", content: "refund?" },
      ],
      expected: "refund",
    },
  ]),
};

function source(label: string, files: Record<string, string>, log: string[]): FileSource {
  return {
    label,
    read: async (path) => {
      log.push(`${label}:${path}`);
      return files[path] ?? null;
    },
  };
}

async function run(base: BaseSide | null | Promise<BaseSide | null>, log: string[], head = FILES) {
  let sent = 0;
  const evaluation = await evaluate(
    {
      configPath: "eval-gate.yml",
      head: { source: source("head", head, log), sha: "1".repeat(40) },
      base,
      env: {},
      allowedEndpoints: null,
    },
    {
      providerFor: () => ({
        complete: async () => {
          if (sent++ === 0) log.push("first request");
          return { content: "refund" };
        },
      }),
      clock: systemClock,
    },
  );
  return { evaluation, sent };
}

describe("the base side on its way", () => {
  it("reads the head's config and sets while the base commit is looked up", async () => {
    const log: string[] = [];
    const baseFiles = { ...FILES, "prompts/support.md": "You are Acme's assistant.\n" };
    let found!: (side: BaseSide) => void;
    const base = new Promise<BaseSide>((resolve) => {
      found = resolve;
    });
    const running = run(base, log);
    // Let the head's reads go ahead; only then is the base commit found.
    await new Promise((r) => setTimeout(r, 20));
    log.push("base found");
    found({ source: source("base", baseFiles, log), ref: "main", sha: "2".repeat(40) });
    const { evaluation } = await running;

    expect(log.indexOf("head:eval-gate.yml")).toBeLessThan(log.indexOf("base found"));
    expect(log.indexOf("head:evals/anchor.jsonl")).toBeLessThan(log.indexOf("base found"));
    expect(log.indexOf("base found")).toBeLessThan(log.indexOf("base:eval-gate.yml"));
    expect(evaluation.report.base).toEqual({ ref: "main", sha: "2".repeat(40) });
    expect(evaluation.report.usage_by_side?.base?.requests).toBe(3);
  });

  it("makes a base that cannot be found the run's error, after the head's own errors", async () => {
    const lost = () => Promise.reject(new UserError("the base main is not in this checkout"));
    await expect(run(lost(), [])).rejects.toThrow("the base main is not in this checkout");
    const broken = { ...FILES, "eval-gate.yml": CONFIG.replace("version: 1", "version: 7") };
    await expect(run(lost(), [], broken)).rejects.toThrow(/version/);
  });
});

describe("a leak on a run without a base", () => {
  it("is a note, in its place before the other notes", async () => {
    const log: string[] = [];
    const { evaluation, sent } = await run(null, log, { ...FILES, "prompts/support.md": LEAKY_PROMPT });
    expect(sent).toBe(3);
    expect(evaluation.notes).toHaveLength(2);
    expect(evaluation.notes[0]).toMatch(/the input of case `refund-2` is in prompts\/support\.md:1/);
    expect(evaluation.notes[1]).toMatch(/^anchor: 1 of 3 case\(s\) ignore target\.system/);
    expect(evaluation.report.reasons).toEqual(expect.arrayContaining(evaluation.notes));
  });

  it("keeps any number of notes, in order", () => {
    const notes = ["first", "last"];
    const many = Array.from({ length: 300_000 }, (_, i) => `leak ${i}`);
    insertAt(notes, 1, many);
    expect(notes).toHaveLength(300_002);
    expect([notes[0], notes[1], notes[300_000], notes[300_001]]).toEqual([
      "first",
      "leak 0",
      "leak 299999",
      "last",
    ]);
  });

  it("is not looked for once the job is cancelled", async () => {
    const evaluation = await evaluate(
      {
        configPath: "eval-gate.yml",
        head: {
          source: source("head", { ...FILES, "prompts/support.md": LEAKY_PROMPT }, []),
          sha: "1".repeat(40),
        },
        base: null,
        env: {},
        allowedEndpoints: null,
      },
      {
        providerFor: () => ({ complete: async () => ({ content: "refund" }) }),
        clock: systemClock,
        signal: AbortSignal.abort(),
      },
    );
    expect(evaluation.collected.aborted).toBeTruthy();
    expect(evaluation.notes.join("\n")).not.toContain("refund-2");
  });

  it("stops a pull request before any request", async () => {
    const base: BaseSide = { source: source("base", FILES, []), ref: "main", sha: "2".repeat(40) };
    const leaky = { ...FILES, "prompts/support.md": LEAKY_PROMPT };
    let sent = 0;
    await expect(
      evaluate(
        {
          configPath: "eval-gate.yml",
          head: { source: source("head", leaky, []), sha: "1".repeat(40) },
          base: Promise.resolve(base),
          env: {},
          allowedEndpoints: null,
        },
        {
          providerFor: () => ({
            complete: async () => {
              sent++;
              return { content: "refund" };
            },
          }),
          clock: systemClock,
        },
      ),
    ).rejects.toThrow(/the input of case `refund-2` is in prompts\/support\.md:1 \(word for word\)/);
    expect(sent).toBe(0);
  });
});

describe("files the same on both sides", () => {
  it("are parsed once and shared; a file that differs is parsed on its own", async () => {
    const memo = new ParseMemo();
    const head = await loadProject(source("head", FILES, []), "eval-gate.yml", {}, memo);
    const same = await loadProject(source("base", { ...FILES }, []), "eval-gate.yml", {}, memo);
    expect(same.config).toBe(head.config);
    expect(same.sets[0]).toBe(head.sets[0]);
    // A case more on one side: that side's set is its own, with its own cases.
    const more = `${FILES["evals/anchor.jsonl"]}${jsonl([{ id: "new", slice: "x", input: "hi", expected: "x" }])}`;
    const other = await loadProject(
      source("base", { ...FILES, "evals/anchor.jsonl": more }, []),
      "eval-gate.yml",
      {},
      memo,
    );
    expect(other.config).toBe(head.config);
    expect(other.sets[0]).not.toBe(head.sets[0]);
    expect(other.sets[0]?.cases.map((c) => c.id)).toEqual(["refund-1", "refund-2", "own-prompt", "new"]);
    expect(head.sets[0]?.cases).toHaveLength(3);
    // Each side's prompt is its own, shared config or not.
    expect(other.target.system).toBe(FILES["prompts/support.md"]);
  });

  it("leaves the cases a PR adds to its own side", async () => {
    const more = `${FILES["evals/anchor.jsonl"]}${jsonl([{ id: "new", slice: "x", input: "hi", expected: "x" }])}`;
    const base: BaseSide = { source: source("base", FILES, []), ref: "main", sha: "2".repeat(40) };
    const { evaluation } = await run(base, [], { ...FILES, "evals/anchor.jsonl": more });
    const added = evaluation.report.cases.filter((c) => c.new);
    expect(added.map((c) => c.id)).toEqual(["new"]);
    expect(evaluation.report.new_slices?.map((x) => x.slice)).toEqual(["x"]);
  });
});

describe("the leak check in turns", () => {
  it("finds what findLeaks finds, in the same order, a few hundred cases a turn", async () => {
    const prompt = `${LEAKED}. Also: where is my parcel, it has been ten days since I ordered it.\n`;
    const sets: EvalSet[] = ["anchor", "holdout"].map((name, s) => ({
      name,
      path: `evals/${name}.jsonl`,
      visibility: s === 0 ? "full" : "aggregate",
      cases: Array.from({ length: 450 }, (_, i) => ({
        id: `${name}-${i}`,
        slice: "x",
        vars: {},
        line: i + 1,
        input:
          i % 97 === 0 ? LEAKED : i % 89 === 0 ? "where is my parcel, it has been ten days" : `question ${i}`,
        expected: i % 101 === 0 ? { reply: `${LEAKED} noted` } : "x",
      })),
    }));
    const input = { prompts: [{ file: "prompts/support.md", text: prompt }], sets };
    const whole = findLeaks(input);
    expect(whole.length).toBeGreaterThan(10);
    // Other work gets turns while it runs: 900 cases are 4 breaks of 200.
    let others = 0;
    let finished = false;
    const other = () => {
      others++;
      if (!finished) setImmediate(other);
    };
    setImmediate(other);
    const inTurns = await findLeaksInTurns(input);
    finished = true;
    expect(others).toBeGreaterThanOrEqual(4);
    expect(inTurns).toEqual(whole);
    expect(whole.filter((l) => l.set === "holdout").every((l) => l.id === null)).toBe(true);
  });
});
