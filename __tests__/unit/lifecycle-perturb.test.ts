import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseSet, type SetCase } from "../../src/core/config/sets.js";
import { caseLine, perturbCases } from "../../src/core/lifecycle/perturb.js";
import { perturbText, TRANSFORMS } from "../../src/core/lifecycle/perturb-text.js";
import { cleanRewrite, rewriteCases } from "../../src/core/lifecycle/rewrite.js";
import { streamFor } from "../../src/core/lifecycle/sample.js";
import { flipRates, robustness } from "../../src/core/report/robustness.js";
import { normalizeText } from "../../src/core/text/words.js";
import { type OpenAIServer, startOpenAIServer } from "../support/openai-server.js";
import { makeCase } from "./fixtures/report.js";

const SOURCE = [
  {
    id: "addr-1",
    slice: "address_change",
    input:
      "Hello, I moved last week. Please ship order A1234 to 12 Elm Street instead; my email is ada@example.com.",
    expected: { action: "update_address", order: "A1234" },
    vars: { customer: "Ada" },
    graders: [{ type: "contains", value: "Elm Street" }],
    metadata: { source_id: "t-99" },
  },
  {
    id: "refund-1",
    slice: "refund",
    messages: [
      { role: "user", content: "Hi there" },
      { role: "assistant", content: "Hello! How can I help?" },
      { role: "user", content: "Could you refund the duplicate charge from yesterday, please?" },
    ],
    expected: "refund",
  },
  { id: "tiny", slice: "smalltalk", input: "ok 42", expected: "hi" },
];

function cases(): SetCase[] {
  return parseSet(SOURCE.map((c) => JSON.stringify(c)).join("\n"), "evals/anchor.jsonl", "anchor", "full")
    .cases as SetCase[];
}

/** Damerau-Levenshtein distance (optimal string alignment), for "a typo or two" per word. */
function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      const row = d[i] as number[];
      row[j] = Math.min(
        ((d[i - 1] as number[])[j] as number) + 1,
        (row[j - 1] as number) + 1,
        ((d[i - 1] as number[])[j - 1] as number) + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        row[j] = Math.min(row[j] as number, ((d[i - 2] as number[])[j - 2] as number) + 1);
      }
    }
  }
  return (d[a.length] as number[])[b.length] as number;
}

const userText = (c: SetCase) =>
  c.input ??
  (c.messages ?? [])
    .filter((m) => m.role === "user")
    .map((m) => m.content)
    .join("\n");

describe("perturbCases", () => {
  it("is deterministic: the same seed gives the same bytes, another seed other variants", () => {
    const write = (seed: number) =>
      perturbCases(cases(), { transforms: TRANSFORMS, seed, perCase: 2 }).cases.map(caseLine).join("\n");
    expect(write(1)).toBe(write(1));
    expect(write(1)).not.toBe(write(2));
  });

  it("keeps everything of the original but its id, its user text and two metadata keys", () => {
    const { cases: out } = perturbCases(cases(), { transforms: ["typos"], seed: 1, perCase: 2 });
    const first = out.find((c) => c.id === "addr-1~typos-1") as SetCase;
    const original = cases()[0] as SetCase;
    expect(first).toMatchObject({
      slice: original.slice,
      expected: original.expected,
      vars: original.vars,
      graders: original.graders,
      metadata: { source_id: "t-99", perturbation: "typos", original: "addr-1" },
    });
    expect(out.map((c) => c.id)).toContain("addr-1~typos-2");
    expect(out.map((c) => c.id)).toContain("refund-1~typos-1");
    // The variants file is a set file eval-gate reads.
    expect(parseSet(out.map(caseLine).join("\n"), "robust.jsonl", "robust", "full").cases).toHaveLength(
      out.length,
    );
  });

  it("keeps the original's cluster on its variants, through the written file", () => {
    const clustered = cases().map((c) => ({ ...c, cluster: `conv-${c.id}` }));
    const { cases: out } = perturbCases(clustered, { transforms: ["typos"], seed: 1, perCase: 1 });
    const read = parseSet(out.map(caseLine).join("\n"), "robust.jsonl", "robust", "full").cases;
    expect(read.find((c) => c.id === "addr-1~typos-1")?.cluster).toBe("conv-addr-1");
  });

  it("keeps the meaning: words unchanged for casing, whitespace and punctuation; codes, numbers and emails untouched by typos", () => {
    for (let seed = 1; seed <= 25; seed++) {
      const { cases: out } = perturbCases(cases(), { transforms: TRANSFORMS, seed, perCase: 2 });
      for (const v of out) {
        const original = cases().find((c) => c.id === v.metadata?.original) as SetCase;
        const kind = v.metadata?.perturbation;
        expect(v.expected).toEqual(original.expected);
        const before = userText(original);
        const after = userText(v);
        expect(after).not.toBe(before);
        if (kind === "typos") {
          const a = before.split(/\s+/);
          const b = after.split(/\s+/);
          expect(b).toHaveLength(a.length);
          a.forEach((w, i) => {
            const x = b[i] as string;
            if (/[\d@/_]/.test(w)) expect(x).toBe(w);
            else expect(editDistance(w, x)).toBeLessThanOrEqual(2);
            if (x !== w) expect(x[0]).toBe(w[0]);
          });
        } else {
          expect(normalizeText(after)).toBe(normalizeText(before));
          if (kind !== "casing") expect(after.includes("A1234")).toBe(before.includes("A1234"));
        }
        // Only user turns change in a conversation.
        if (original.messages) {
          expect(v.messages?.map((m) => m.role)).toEqual(original.messages.map((m) => m.role));
          expect(v.messages?.[1]).toEqual(original.messages[1]);
        }
      }
    }
  });

  it("gives each casing variant a different kind, and skips what cannot change", () => {
    const { cases: out, skipped } = perturbCases(cases(), {
      transforms: ["casing", "typos"],
      seed: 3,
      perCase: 2,
    });
    const casings = out.filter((c) => c.id.startsWith("addr-1~casing")).map((c) => c.input);
    expect(new Set(casings).size).toBe(2);
    // "ok 42": no word of four letters to misspell.
    expect(skipped).toEqual([
      { id: "tiny", transform: "typos" },
      { id: "tiny", transform: "typos" },
    ]);
  });

  it("never perturbs a variant again", () => {
    const once = perturbCases(cases(), { transforms: ["casing"], seed: 1, perCase: 1 }).cases;
    expect(perturbCases(once, { transforms: ["casing"], seed: 1, perCase: 1 }).cases).toEqual([]);
  });

  it("perturbs text one transform at a time from a seeded stream", () => {
    const rng = () => streamFor(9, "x");
    const text = "Where is my parcel? It was due on Monday.";
    expect(perturbText(text, "whitespace", rng())).toBe(perturbText(text, "whitespace", rng()));
    expect(perturbText(text, "casing", rng(), 1)).not.toBe(perturbText(text, "casing", rng(), 2));
  });
});

describe("flipRates and robustness", () => {
  const pass = { runs: 1, passes: 1, errors: 0 };
  const fail = { runs: 1, passes: 0, errors: 0 };
  const report = [
    makeCase({ id: "a", set: "anchor", slice: "s", head: pass }),
    makeCase({ id: "b", set: "anchor", slice: "s", head: fail }),
    makeCase({
      id: "a~typos-1",
      set: "robust",
      slice: "s",
      head: fail,
      original: "a",
      perturbation: "typos",
    }),
    makeCase({
      id: "a~typos-2",
      set: "robust",
      slice: "s",
      head: pass,
      original: "a",
      perturbation: "typos",
    }),
    makeCase({
      id: "a~casing-1",
      set: "robust",
      slice: "s",
      head: pass,
      original: "a",
      perturbation: "casing",
    }),
    makeCase({
      id: "b~angry-1",
      set: "robust",
      slice: "s",
      head: fail,
      original: "b",
      perturbation: "angry",
    }),
    makeCase({
      id: "b~polite-1",
      set: "robust",
      slice: "s",
      head: { runs: 0, passes: 0, errors: 1 },
      original: "b",
    }),
    makeCase({ id: "z~typos-1", set: "robust", slice: "s", head: pass, original: "missing" }),
  ];

  it("counts, per original, the variants whose head pass/fail differs from the original's", () => {
    expect(flipRates(report)).toEqual([
      { original: "a", variants: 3, flipped: 1 },
      { original: "b", variants: 1, flipped: 0 },
    ]);
  });

  it("sums them up per kind of perturbation for the summary", () => {
    expect(robustness(report)).toEqual({
      originals: 2,
      variants: 4,
      flipped: 1,
      by: [
        { perturbation: "typos", variants: 2, flipped: 1 },
        { perturbation: "angry", variants: 1, flipped: 0 },
        { perturbation: "casing", variants: 1, flipped: 0 },
      ],
    });
    expect(robustness(report.slice(0, 2))).toBeNull();
  });

  it("prefers the original in the variant's own set", () => {
    const both = [
      makeCase({ id: "a", set: "anchor", slice: "s", head: fail }),
      makeCase({ id: "a", set: "robust", slice: "s", head: pass }),
      makeCase({ id: "a~casing-1", set: "robust", slice: "s", head: pass, original: "a" }),
    ];
    expect(flipRates(both)).toEqual([{ original: "a", variants: 1, flipped: 0 }]);
  });
});

describe("rewrites through a chat completion", () => {
  let server: OpenAIServer;
  beforeAll(async () => {
    server = await startOpenAIServer({
      respond: ({ messages }) => {
        const instruction = String(messages[0]?.content);
        const text = String(messages[1]?.content);
        if (instruction.includes("angry")) return `"${text.toUpperCase()} NOW!"`;
        if (instruction.includes("polite")) return `Good morning. ${text} Thank you so much.`;
        return "refund dupe"; // terse, and it loses every number
      },
    });
  });
  afterAll(async () => {
    await server.close();
  });

  it("rewrites each case once per style at temperature 0, and drops rewrites that lose a number", async () => {
    const { openAIEndpoint } = await import("../../src/adapters/providers/openai-http.js");
    const { parseCompletion } = await import("../../src/adapters/providers/openai-provider.js");
    const post = openAIEndpoint({ baseURL: server.url, apiKey: "sk-test", timeoutMs: 5000 });
    const result = await rewriteCases(
      cases(),
      ["angry", "polite", "terse"],
      async (instruction, text) =>
        parseCompletion(
          await post("chat/completions", {
            model: "gpt-4o-mini",
            temperature: 0,
            messages: [
              { role: "system", content: instruction },
              { role: "user", content: text },
            ],
          }),
        ).content,
      { model: "gpt-4o-mini" },
    );
    const angry = result.cases.find((c) => c.id === "addr-1~angry-1") as SetCase;
    expect(angry.input).toBe(`${String(SOURCE[0]?.input).toUpperCase()} NOW!`);
    expect(angry.metadata).toMatchObject({
      perturbation: "angry",
      original: "addr-1",
      rewrite_model: "gpt-4o-mini",
    });
    expect(angry.expected).toEqual(SOURCE[0]?.expected);
    const politeConv = result.cases.find((c) => c.id === "refund-1~polite-1") as SetCase;
    expect(politeConv.messages?.[2]?.content).toMatch(/^Good morning\. Could you refund/);
    expect(politeConv.messages?.[0]?.content).toBe("Hi there");
    // "refund dupe" drops A1234, 12 and 42; for refund-1 there is no number to drop.
    expect(result.skipped.map((s) => [s.id, s.style])).toEqual([
      ["addr-1", "terse"],
      ["tiny", "terse"],
    ]);
    expect(result.cases.map((c) => c.id)).toContain("refund-1~terse-1");
    const bodies = server
      .requests()
      .map((r) => r.body as { temperature: number; messages: { content: string }[] });
    expect(bodies).toHaveLength(9);
    expect(bodies.every((b) => b.temperature === 0)).toBe(true);
    expect(bodies.some((b) => b.messages[0]?.content.includes("Keep the request and every fact"))).toBe(true);
  });

  it("cleans answers: quotes off, empty or unchanged refused", () => {
    expect(cleanRewrite("a 1", '"A 1!"')).toEqual({ text: "A 1!" });
    expect(cleanRewrite("a 1", "  ")).toEqual({ reason: "empty answer" });
    expect(cleanRewrite("a 1", "a 1")).toEqual({ reason: "unchanged" });
    expect(cleanRewrite("order 77", "my order")).toEqual({ reason: "dropped 77" });
  });
});
