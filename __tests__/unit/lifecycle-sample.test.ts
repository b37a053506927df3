import { describe, expect, it } from "vitest";
import { parseSet } from "../../src/core/config/sets.js";
import { UserErrors } from "../../src/core/errors.js";
import { apportion } from "../../src/core/lifecycle/allocate.js";
import { parsePredicate, testPredicate } from "../../src/core/lifecycle/predicate.js";
import { rotateSet } from "../../src/core/lifecycle/rotation.js";
import { type ExistingCase, sampleTraces } from "../../src/core/lifecycle/sample.js";
import {
  DEFAULT_TRACE_FIELDS,
  parseSeed,
  parseTraces,
  type Trace,
  traceToCase,
} from "../../src/core/lifecycle/traces.js";
import { jaccard, NearDuplicates, normalizeText, shingles, words } from "../../src/core/text/words.js";

const jsonl = (rows: unknown[]) => `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`;

// Distinct texts per trace: each is a different request, so no two are near-duplicates.
const NOUNS = ["order", "parcel", "invoice", "refund", "address", "card", "account", "plan", "coupon", "box"];
const VERBS = ["change", "cancel", "track", "check", "move", "pay", "close", "renew", "apply", "return"];
function request(i: number): string {
  return `please ${VERBS[i % 10]} my ${NOUNS[Math.floor(i / 10) % 10]} number ${i} before ${i % 7} pm on day ${Math.floor(i / 100)}`;
}

/** A traces file: `counts` traces per slice, the first `hard` of each slice marked thumbs-down. */
function tracesFile(counts: Record<string, { n: number; hard: number }>): string {
  const lines: string[] = [];
  let i = 0;
  for (const [slice, { n, hard }] of Object.entries(counts)) {
    for (let k = 0; k < n; k++, i++) {
      lines.push(
        JSON.stringify({
          id: `t${i}`,
          category: slice,
          input: request(i),
          output: `answer ${i}`,
          ...(k < hard ? { thumbs_down: true } : {}),
          latency_ms: 1000 + ((i * 37) % 6000),
        }),
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

function traces(counts: Record<string, { n: number; hard: number }>): Trace[] {
  return parseTraces(tracesFile(counts), "traces.jsonl").traces;
}

describe("apportion (largest remainder)", () => {
  it("splits in proportion, rounding by the largest fractional parts", () => {
    const a = apportion(10, [
      { key: "a", weight: 1 },
      { key: "b", weight: 1 },
      { key: "c", weight: 1 },
    ]);
    expect(a.map((x) => x.count)).toEqual([4, 3, 3]);
    expect(a[0]?.quota).toBeCloseTo(10 / 3, 12);
    // 61.0, 36.6, 2.4: the one case rounding left goes to 36.6.
    const b = apportion(100, [
      { key: "a", weight: 500 },
      { key: "b", weight: 300 },
      { key: "c", weight: 20 },
    ]);
    expect(b.map((x) => x.count)).toEqual([61, 37, 2]);
  });

  it("keeps bounds and moves what a full part cannot take to the others", () => {
    const a = apportion(12, [
      { key: "A", weight: 100, max: 5 },
      { key: "B", weight: 1, min: 10, max: 10 },
    ]);
    expect(a.map((x) => x.count)).toEqual([2, 10]);
    const b = apportion(50, [
      { key: "a", weight: 90, max: 10 },
      { key: "b", weight: 5 },
      { key: "c", weight: 5 },
    ]);
    expect(b.map((x) => x.count)).toEqual([10, 20, 20]);
  });

  it("never differs from an exact quota by a whole case, and always sums to the total", () => {
    let state = 7;
    const rand = () => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state / 2147483648;
    };
    for (let trial = 0; trial < 200; trial++) {
      const parts = Array.from({ length: 1 + Math.floor(rand() * 8) }, (_, i) => ({
        key: `s${i}`,
        weight: Math.floor(rand() * 1000),
      }));
      const total = Math.floor(rand() * 300);
      const got = apportion(total, parts);
      const sum = got.reduce((n, x) => n + x.count, 0);
      const weights = parts.reduce((n, p) => n + p.weight, 0);
      expect(sum).toBe(weights === 0 && parts.length === 0 ? 0 : total);
      if (weights > 0) {
        for (const [i, x] of got.entries()) {
          expect(Math.abs(x.count - (total * (parts[i]?.weight ?? 0)) / weights)).toBeLessThan(1);
        }
      }
    }
  });
});

describe("predicates and flags", () => {
  it("parses `field op value` and compares without evaluating anything", () => {
    const p = parsePredicate("latency_ms>5000");
    expect(p).toMatchObject({ field: "latency_ms", op: ">", value: 5000 });
    expect(testPredicate(p, { latency_ms: 5200 })).toBe(true);
    expect(testPredicate(p, { latency_ms: "6000" })).toBe(true);
    expect(testPredicate(p, { latency_ms: 4000 })).toBe(false);
    expect(testPredicate(p, {})).toBe(false);
    expect(testPredicate(parsePredicate("meta.status == 'error'"), { meta: { status: "error" } })).toBe(true);
    expect(testPredicate(parsePredicate("status!=ok"), { status: "error" })).toBe(true);
    expect(testPredicate(parsePredicate("escalated=true"), { escalated: true })).toBe(true);
  });

  it("refuses code, missing values and order comparisons of words", () => {
    for (const bad of ["process.exit(1)", "a >", "a > b", "x == 1; y", "require('fs')"]) {
      expect(() => parsePredicate(bad)).toThrow();
    }
  });

  it("reads traces: nested fields, chat messages, hard flags and predicates, unusable lines", () => {
    const text = [
      JSON.stringify({ meta: { id: 1, cat: "refund" }, q: "money back please", flags: { down: "yes" } }),
      JSON.stringify({
        meta: { id: 2 },
        q: [
          { role: "system", content: "You are production's prompt." },
          { role: "user", content: "where is my parcel" },
          { role: "assistant", content: "It ships today." },
        ],
        ms: 9000,
      }),
      JSON.stringify({ meta: { id: 3, cat: "x" } }),
      "",
      "// a comment",
    ].join("\n");
    const parsed = parseTraces(text, "t.jsonl", {
      ...DEFAULT_TRACE_FIELDS,
      id: "meta.id",
      input: "q",
      slice: "meta.cat",
      hard: ["flags.down"],
      hardIf: [parsePredicate("ms>5000")],
    });
    expect(parsed.traces.map((t) => [t.id, t.slice, t.hard])).toEqual([
      ["1", "refund", true],
      ["2", "unsliced", true],
    ]);
    expect(parsed.traces[1]?.messages).toEqual([{ role: "user", content: "where is my parcel" }]);
    expect(parsed.traces[1]?.output).toBe("It ships today.");
    expect(parsed.unusable).toEqual([{ line: 3, reason: "no `q`" }]);
    expect(parsed.unsliced).toBe(1);
  });

  it("takes the slice from `slice`, else from `category`; a field named on purpose only from that field", () => {
    const text = jsonl([
      { id: 1, input: "a", slice: "refund" },
      { id: 2, input: "b", category: "billing" },
      { id: 3, input: "c", slice: "refund", category: "other" },
      { id: 4, input: "d" },
    ]);
    const parsed = parseTraces(text, "t.jsonl");
    expect(parsed.traces.map((t) => t.slice)).toEqual(["refund", "billing", "refund", "unsliced"]);
    expect(parsed.unsliced).toBe(1);
    expect(parsed.slicedBy).toEqual({ slice: 2, category: 1 });
    const chosen = parseTraces(text, "t.jsonl", {
      ...DEFAULT_TRACE_FIELDS,
      slice: "category",
      sliceFallback: [],
    });
    expect(chosen.traces.map((t) => t.slice)).toEqual(["unsliced", "billing", "other", "unsliced"]);
  });

  it("suggests a field when no trace has a slice: a text field of few distinct values that most traces have", () => {
    const topics = ["billing", "refund", "shipping"];
    const rows = Array.from({ length: 30 }, (_, i) => ({
      id: `t${i}`,
      input: `question number ${i} about something`,
      lang: "en",
      user: `user-${i}`,
      meta: { intent: topics[i % 3], score: i },
      ...(i % 10 === 0 ? {} : { topic: topics[(i + 1) % 3] }),
    }));
    const parsed = parseTraces(jsonl(rows), "t.jsonl");
    expect(parsed.unsliced).toBe(30);
    // meta.intent is in every trace, topic in 27 of 30; lang has one value, user one per trace.
    expect(parsed.suggestion).toEqual({
      field: "meta.intent",
      traces: 30,
      values: ["billing", "refund", "shipping"],
    });
    const some = parseTraces(jsonl([{ id: 1, input: "a", slice: "x" }, ...rows]), "t.jsonl");
    expect(some.suggestion).toBeUndefined();
  });

  it("names every bad line", () => {
    try {
      parseTraces('{"id": "a", "input": "x"}\nnot json\n{"input": "no id"}\n', "t.jsonl");
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(UserErrors);
      expect((e as UserErrors).errors.map((x) => x.line)).toEqual([2, 3]);
    }
  });

  it("makes seeds from numbers and words", () => {
    expect(parseSeed("42")).toBe(42);
    expect(parseSeed("2026-05")).toBe(parseSeed("2026-05"));
    expect(parseSeed("2026-05")).not.toBe(parseSeed("2026-06"));
    expect(parseSeed(undefined)).toBe(1);
  });
});

describe("near-duplicates", () => {
  it("folds case, punctuation and whitespace, and finds texts with Jaccard >= 0.9 exactly", () => {
    expect(normalizeText("Where is  my ORDER?!")).toBe("where is my order");
    const base =
      "i ordered a blue jacket last week and it still has not arrived can you check the status for me please";
    const texts = [
      base,
      `${base.toUpperCase()}!`,
      base.replace("blue", "red"),
      "completely different question about billing",
      base.replace("please", "thanks"),
    ];
    const finder = new NearDuplicates(texts);
    finder.add(0);
    expect(finder.matches(1)).toEqual([{ index: 0, similarity: 1 }]);
    // A word in the middle changed: 3 of 19 shingles differ, Jaccard 16/22 < 0.9.
    const j = jaccard(shingles(words(texts[2] as string), 3), shingles(words(base), 3));
    expect(j).toBeLessThan(0.9);
    expect(finder.matches(2)).toEqual([]);
    expect(finder.matches(3)).toEqual([]);
    // The last of 21 words changed: 18 of 19 shingles shared, Jaccard 18/20 = 0.9, a near-duplicate.
    expect(finder.matches(4)).toEqual([{ index: 0, similarity: 18 / 20 }]);
  });

  it("agrees with brute force on random texts (the prefix filter loses nothing)", () => {
    const vocab = ["a", "b", "c", "d", "e", "f"];
    let s = 3;
    const r = () => {
      s = (s * 16807) % 2147483647;
      return s / 2147483647;
    };
    const texts = Array.from({ length: 150 }, () =>
      Array.from({ length: 3 + Math.floor(r() * 12) }, () => vocab[Math.floor(r() * 4)]).join(" "),
    );
    for (const t of [0.5, 0.7, 0.9]) {
      const finder = new NearDuplicates(texts, { threshold: t, shingle: 2 });
      const sets = texts.map((x) => shingles(words(x), 2));
      texts.forEach((_, i) => {
        const expected = texts
          .map((_, j) => j)
          .filter((j) => j < i && jaccard(sets[i] as Set<string>, sets[j] as Set<string>) >= t - 1e-12);
        expect(finder.matches(i).map((m) => m.index)).toEqual(expected);
        finder.add(i);
      });
    }
  });
});

describe("sampleTraces", () => {
  const counts = {
    refund: { n: 500, hard: 60 },
    address: { n: 300, hard: 30 },
    billing: { n: 200, hard: 10 },
  };

  it("draws slices in proportion to their traces and 40% hard, spread by slice size", () => {
    const result = sampleTraces(traces(counts), [], { size: 100, hardShare: 0.4, seed: 1 });
    const row = (s: string) => result.slices.find((x) => x.slice === s);
    expect(result.cases).toHaveLength(100);
    expect([row("refund")?.drawn, row("address")?.drawn, row("billing")?.drawn]).toEqual([50, 30, 20]);
    expect(result.hard_target).toBe(40);
    expect([row("refund")?.hard_drawn, row("address")?.hard_drawn, row("billing")?.hard_drawn]).toEqual([
      20, 12, 8,
    ]);
    const hard = result.cases.filter((t) => t.hard);
    expect(hard).toHaveLength(40);
    // The natural rate would be 10%: hard cases are four times oversampled.
    expect(result.cases.filter((t) => t.slice === "billing" && t.hard)).toHaveLength(8);
  });

  it("moves the hard share to slices that have hard traces when one has too few", () => {
    const result = sampleTraces(traces({ refund: { n: 100, hard: 50 }, billing: { n: 100, hard: 2 } }), [], {
      size: 40,
      hardShare: 0.5,
      seed: 3,
    });
    const row = (s: string) => result.slices.find((x) => x.slice === s);
    expect(row("billing")?.hard_drawn).toBe(2);
    expect(row("refund")?.hard_drawn).toBe(18);
    expect(result.cases.filter((t) => t.hard)).toHaveLength(20);
  });

  it("explains rounding with the exact quotas (largest remainder)", () => {
    const result = sampleTraces(
      traces({ a: { n: 10, hard: 0 }, b: { n: 10, hard: 0 }, c: { n: 10, hard: 0 } }),
      [],
      { size: 10, hardShare: 0, seed: 1 },
    );
    expect(result.slices.map((s) => [s.slice, s.quota, s.drawn])).toEqual([
      ["a", 10 / 3, 4],
      ["b", 10 / 3, 3],
      ["c", 10 / 3, 3],
    ]);
  });

  it("takes K per slice with --per-slice, and at least M per slice with --min-per-slice", () => {
    const all = traces({ big: { n: 500, hard: 0 }, small: { n: 20, hard: 0 }, tiny: { n: 5, hard: 0 } });
    const even = sampleTraces(all, [], { perSlice: 12, hardShare: 0, seed: 1 });
    expect(even.slices.map((s) => s.drawn)).toEqual([12, 12, 5]);
    const floored = sampleTraces(all, [], { size: 60, minPerSlice: 12, hardShare: 0, seed: 1 });
    expect(floored.slices.map((s) => [s.slice, s.drawn])).toEqual([
      ["big", 43],
      ["small", 12],
      ["tiny", 5],
    ]);
  });

  it("gives byte-identical output for the same seed, and a different draw for another", () => {
    const all = traces(counts);
    const write = (seed: number) =>
      sampleTraces(all, [], { size: 100, hardShare: 0.4, seed })
        .cases.map((t) => JSON.stringify(traceToCase(t)))
        .join("\n");
    expect(write(7)).toBe(write(7));
    expect(write(7)).not.toBe(write(8));
  });

  it("never draws a trace twice, nor an id or a text a set already holds", () => {
    const all = traces(counts);
    // The same trace exported twice, a retry of t3 with another id, and ids or texts already in sets.
    const dup = { ...(all[0] as Trace) };
    const retry = {
      ...(all[3] as Trace),
      id: "retry-of-t3",
      line: 9999,
      hard: true,
      hardBecause: ["retried"],
    };
    const existing: ExistingCase[] = [
      { set: "anchor", id: "t5", text: "anything" },
      { set: "anchor", id: "x1", text: request(6) },
    ];
    const result = sampleTraces([...all, dup, retry], existing, { size: 1000, hardShare: 0.4, seed: 1 });
    const ids = result.cases.map((t) => t.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).not.toContain("t5");
    expect(ids).not.toContain("t6");
    expect(ids).not.toContain("retry-of-t3");
    expect(result.excluded).toBe(1);
    expect(result.near_existing).toBe(1);
    expect(result.duplicates).toBe(2);
    // The retry made t3 hard: a retried question is the same hard case.
    expect(result.cases.find((t) => t.id === "t3")?.hard).toBe(true);
    expect(result.cases).toHaveLength(all.length - 2);
  });

  it("writes cases a set file accepts: expected null, needs_label, the source id", () => {
    const result = sampleTraces(traces({ refund: { n: 5, hard: 2 } }), [], {
      size: 5,
      hardShare: 0.4,
      seed: 1,
    });
    const text = result.cases.map((t) => JSON.stringify(traceToCase(t))).join("\n");
    const set = parseSet(text, "draft.jsonl", "draft", "full");
    expect(set.cases).toHaveLength(5);
    const first = JSON.parse(text.split("\n")[0] as string);
    expect(first).toMatchObject({ expected: null, metadata: { needs_label: true, source_id: first.id } });
    expect(typeof first.metadata.hard).toBe("boolean");
  });
});

describe("rotateSet", () => {
  function rotationSet(perSlice: Record<string, number>) {
    const lines = ["// rotation set, refreshed monthly"];
    let i = 0;
    for (const [slice, n] of Object.entries(perSlice)) {
      for (let k = 0; k < n; k++, i++) {
        lines.push(JSON.stringify({ id: `${slice}-${k}`, slice, input: request(5000 + i), expected: "ok" }));
      }
    }
    const text = `${lines.join("\n")}\n`;
    return { text, set: parseSet(text, "evals/rotation.jsonl", "rotation", "full") };
  }

  it("replaces round(share × n) per slice with fresh traces of that slice, keeping the other lines byte for byte", () => {
    const { text, set } = rotationSet({ refund: 20, address: 13, billing: 2 });
    const fresh = traces({
      refund: { n: 30, hard: 5 },
      address: { n: 30, hard: 5 },
      other: { n: 10, hard: 0 },
    });
    const existing = set.cases.map((c) => ({ set: "rotation", id: c.id, text: c.input ?? "" }));
    const r = rotateSet({ cases: set.cases, text }, fresh, existing, { share: 0.2, hardShare: 0.4, seed: 5 });
    expect(r.slices).toEqual([
      { slice: "address", n: 13, planned: 3, replaced: 3, fresh_available: 30 },
      { slice: "billing", n: 2, planned: 0, replaced: 0, fresh_available: 0 },
      { slice: "refund", n: 20, planned: 4, replaced: 4, fresh_available: 30 },
    ]);
    expect(r.other_slices).toBe(10);
    const after = parseSet(r.text, "evals/rotation.jsonl", "rotation", "full");
    const count = (cases: typeof set.cases, slice: string) => cases.filter((c) => c.slice === slice).length;
    for (const slice of ["refund", "address", "billing"])
      expect(count(after.cases, slice)).toBe(count(set.cases, slice));
    expect(r.left.map((l) => l.id).every((id) => !after.cases.some((c) => c.id === id))).toBe(true);
    expect(r.came.every((c) => after.cases.some((x) => x.id === c.id && x.slice === c.slice))).toBe(true);
    // Kept lines are the same bytes, in the same order, comment included.
    const keptLines = text.split("\n").filter((l) => !r.left.some((x) => l.includes(`"id":"${x.id}"`)));
    expect(r.text.startsWith(keptLines.slice(0, -1).join("\n"))).toBe(true);
    expect(
      rotateSet({ cases: set.cases, text }, fresh, existing, { share: 0.2, hardShare: 0.4, seed: 5 }).text,
    ).toBe(r.text);
  });

  it("keeps a slice's cases when it has too few fresh traces, and never draws an id or text of any set", () => {
    const { text, set } = rotationSet({ refund: 10 });
    const fresh = traces({ refund: { n: 3, hard: 0 } });
    const existing = [
      ...set.cases.map((c) => ({ set: "rotation", id: c.id, text: c.input ?? "" })),
      { set: "anchor", id: "t0", text: "x" },
      { set: "holdout", id: "h9", text: fresh[1]?.text ?? "" },
    ];
    const r = rotateSet({ cases: set.cases, text }, fresh, existing, { share: 0.5, hardShare: 0.4, seed: 1 });
    expect(r.slices[0]).toMatchObject({ planned: 5, replaced: 1 });
    expect(r.came.map((c) => c.id)).toEqual(["t2"]);
    expect(r.excluded).toBe(1);
    expect(r.near_existing).toBe(1);
  });
});
