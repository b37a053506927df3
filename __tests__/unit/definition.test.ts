// What a PR changes in the gate definition, and the verdict it earns for it.
import { describe, expect, it } from "vitest";
import { addedCases, caseChanges, changeSummary, settingChanges } from "../../src/core/config/definition.js";
import { parseConfig } from "../../src/core/config/parse-config.js";
import { evaluate } from "../../src/core/evaluate.js";
import { buildReport, type Collected } from "../../src/core/gate/assemble.js";
import {
  type FileSource,
  type ModelProvider,
  type ResponseCache,
  systemClock,
} from "../../src/core/ports.js";
import type { Case, CaseResult, EvalSet, ModelResponse } from "../../src/core/types.js";

const config = (extra = "") =>
  parseConfig(`version: 1\ntarget: { model: m }\nsets: { anchor: a.jsonl }\n${extra}`, "eval-gate.yml");

function set(name: string, cases: Partial<Case>[], visibility: "full" | "aggregate" = "full"): EvalSet {
  return {
    name,
    path: `${name}.jsonl`,
    visibility,
    cases: cases.map((c, i) => ({ id: `c${i}`, slice: "s", vars: {}, line: i + 1, ...c })),
  };
}

describe("settingChanges", () => {
  it("lists every setting outside target whose value differs, and nothing of target", () => {
    const base = config("gate: { alpha: 0.05 }");
    const head = parseConfig(
      "version: 1\ntarget: { model: other }\nsets: { anchor: b.jsonl }\ngate: { alpha: 0.5, definition: head }\nrepeats: 3\n",
      "eval-gate.yml",
    );
    expect(settingChanges(base, head)).toEqual([
      { key: "gate.alpha", base: "0.05", head: "0.5" },
      { key: "gate.definition", base: '"base"', head: '"head"' },
      { key: "repeats", base: "1", head: "3" },
      { key: "sets.anchor.path", base: '"a.jsonl"', head: '"b.jsonl"' },
    ]);
    expect(settingChanges(base, base)).toEqual([]);
  });
});

describe("caseChanges", () => {
  it("counts added, removed and changed cases per slice; moving a line is no change", () => {
    const base = [
      set("anchor", [
        { id: "a", input: "x" },
        { id: "b", input: "y" },
        { id: "c", input: "z", slice: "t" },
      ]),
    ];
    const head = [
      set("anchor", [
        { id: "b", input: "y", line: 9 },
        { id: "c", input: "z!", slice: "t" },
        { id: "d", input: "new" },
      ]),
    ];
    expect(caseChanges(base, head)).toEqual([
      {
        set: "anchor",
        slice: "t",
        added: 0,
        removed: 0,
        changed: 1,
        ids: { added: [], removed: [], changed: ["c"] },
      },
      {
        set: "anchor",
        slice: "s",
        added: 1,
        removed: 1,
        changed: 0,
        ids: { added: ["d"], removed: ["a"], changed: [] },
      },
    ]);
  });

  it("never names the cases of an aggregate-only set", () => {
    const base = [set("holdout", [{ id: "secret-1" }], "aggregate")];
    const head = [set("holdout", [{ id: "secret-2" }], "aggregate")];
    expect(caseChanges(base, head)).toEqual([
      { set: "holdout", slice: "all", added: 1, removed: 1, changed: 0, ids: null },
    ]);
  });
});

describe("addedCases", () => {
  it("keeps the PR's cases the definition lacks, marked added, in sets old and new", () => {
    const def = [set("anchor", [{ id: "a" }])];
    const head = [set("anchor", [{ id: "a", input: "changed" }, { id: "b" }]), set("extra", [{ id: "x" }])];
    const added = addedCases(def, head);
    expect(added.map((s) => [s.name, s.added, s.cases.map((c) => c.id)])).toEqual([
      ["anchor", true, ["b"]],
      ["extra", true, ["x"]],
    ]);
  });
});

describe("the verdict of a PR that changes the definition", () => {
  const side = (passes: number) => ({ runs: 1, passes, errors: 0 });
  const cases = (n: number, extra: Partial<CaseResult> = {}): CaseResult[] =>
    Array.from({ length: n }, (_, i) => ({
      id: `c${i}${extra.new ? "-new" : ""}`,
      set: "anchor",
      slice: "s",
      line: i + 1,
      base: side(1),
      head: side(1),
      ...extra,
    }));
  const collected = (over: Partial<Collected>): Collected => ({
    configPath: "eval-gate.yml",
    sets: [{ name: "anchor", visibility: "full" }],
    gate: { mode: "statistical", alpha: 0.05, floor: null, min_slice_n: 5, repeats: 1, max_error_rate: 0 },
    prices: { base: null, head: null },
    notes: [],
    base: { ref: "main", sha: "a".repeat(40) },
    headSha: "b".repeat(40),
    cases: cases(20),
    stats: [],
    ...over,
  });
  const definition = {
    source: "base" as const,
    settings: [],
    files: [],
    cases: [{ set: "anchor", slice: "s", added: 3, removed: 0, changed: 0, ids: null }],
  };

  it("is at least review, with the change in the reasons, when the base's definition judged it", () => {
    const report = buildReport(collected({ definition }));
    expect(report.verdict).toBe("review");
    expect(report.reasons.at(-1)).toBe(
      `This PR changes the eval set (${changeSummary(definition)}); the base branch's definition judged it, so review the changes`,
    );
  });

  it("stays pass when the base lets the PR's definition judge (gate.definition: head)", () => {
    expect(buildReport(collected({ definition: { ...definition, source: "head" } })).verdict).toBe("pass");
  });

  it("leaves added cases out of the gate: a broken new slice neither fails nor counts errors", () => {
    const broken = cases(20, { new: true, slice: "fresh", head: side(0) });
    const errors = Array.from({ length: 20 }, () => ({
      side: "head" as const,
      set: "anchor",
      cached: false,
      error: "boom",
      refusal: false,
      added: true,
    }));
    const report = buildReport(collected({ cases: [...cases(20), ...broken], stats: errors, definition }));
    expect(report.verdict).toBe("review");
    expect(report.slices.map((s) => s.slice)).toEqual(["s"]);
    expect(report.new_slices?.map((s) => [s.slice, s.status])).toEqual([["fresh", "regressed"]]);
    expect(report.errors.rate).toBe(0);
  });
});

describe("the definition diff of a run whose every answer is cached", () => {
  // The diff starts on the first answer from the endpoint; with none, once the runs are in. A PR
  // that edits a case while every request is cached (its prompt unchanged) must still show it.
  it("names the edited case and earns a review, with no request made", async () => {
    const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;
    const rows = Array.from({ length: 6 }, (_, i) => ({
      id: `c${i}`,
      slice: "refund",
      input: `question ${i}`,
      expected: "refund",
    }));
    const config =
      "version: 1\ntarget: { model: m }\nsets: { anchor: evals/anchor.jsonl }\ngate: { min_slice_n: 2 }\n";
    const source = (files: Record<string, string>): FileSource => ({
      label: "memory",
      read: async (path) => files[path] ?? null,
    });
    const base = source({ "eval-gate.yml": config, "evals/anchor.jsonl": jsonl(rows) });
    // The PR loosens case c2's expected value: an easier case, not a better model.
    const edited = rows.map((r) => (r.id === "c2" ? { ...r, expected: "question" } : r));
    const head = source({ "eval-gate.yml": config, "evals/anchor.jsonl": jsonl(edited) });
    const store = new Map<string, ModelResponse>();
    const cache: ResponseCache = {
      get: async (k) => store.get(k),
      set: async (k, v) => void store.set(k, v),
    };
    let asked = 0;
    const answering: ModelProvider = {
      complete: async (request) => {
        asked++;
        return { content: `refund for ${String(request.messages.at(-1)?.content)}` };
      },
    };
    const run = (provider: ModelProvider) =>
      evaluate(
        {
          configPath: "eval-gate.yml",
          head: { source: head, sha: "h".repeat(40) },
          base: { source: base, ref: "main", sha: "b".repeat(40) },
          env: { OPENAI_API_KEY: "sk-test" },
          allowedEndpoints: null,
        },
        { providerFor: () => provider, cache, clock: systemClock },
      );
    await run(answering);
    const first = asked;
    const warm = await run({
      complete: async () => {
        throw new Error("a cached run asked the endpoint");
      },
    });
    expect(first).toBeGreaterThan(0);
    expect(warm.report.usage.requests).toBe(0);
    expect(warm.report.definition?.cases).toEqual([
      expect.objectContaining({
        set: "anchor",
        slice: "refund",
        changed: 1,
        ids: expect.objectContaining({ changed: ["c2"] }),
      }),
    ]);
    expect(warm.report.verdict).toBe("review");
  });
});
