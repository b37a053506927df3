import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { canonicalJson, requestKey, type TargetSpec, targetKeyPart } from "../../src/core/config/requests.js";
import { sha256Hex } from "../../src/core/text/digest.js";

// A cache key that changes between versions costs every team one whole run of requests: their
// saved answers are no longer found. These keys were taken from the version before the key code
// was rewritten for speed; any change to them must be on purpose.
const target: TargetSpec = {
  endpoint: "https://api.openai.com/v1",
  model: "gpt-4o-mini",
  system: "You are a support agent.",
  params: { temperature: 0, max_tokens: 256, seed: 7 },
};

/** canonicalJson as first written: entries, filtered, sorted by `<`, joined. */
function reference(value: unknown): string {
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(reference).join(",")}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${reference(v)}`).join(",")}}`;
}

describe("cache keys", () => {
  it("are the keys earlier versions wrote", () => {
    const part = targetKeyPart(target);
    expect(part).toBe(
      '{"endpoint":"https://api.openai.com/v1","model":"gpt-4o-mini","params":{"max_tokens":256,"seed":7,"temperature":0}}',
    );
    const messages = [
      { role: "system" as const, content: "You are a support agent." },
      { content: "Where is my refund? é \u{1F600}", role: "user" as const },
    ];
    expect(requestKey(part, { messages, sample: 0 })).toBe(
      "f79db547c4074e495c3f320935646aada4d6e9bd9f2399a2ac0e38cd4288e99d",
    );
    const withUndefined = [{ role: "user" as const, content: "x", name: undefined }];
    expect(requestKey(part, { messages: withUndefined, sample: 2 })).toBe(
      "66ef1be3b4569aa6d24abef0901153afb57bf1b8afcb9f6086638a4e585d7b55",
    );
  });

  it("write every value as the first version did, whatever its keys' order", () => {
    let seed = 1;
    const random = () => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const keys = [
      "a",
      "b",
      "B",
      "10",
      "9",
      "é",
      "\u{1F600}",
      "z",
      "",
      "role",
      "content",
      ...Array.from({ length: 30 }, (_, i) => `k${(i * 7) % 30}`),
    ];
    const leaves = [null, 1, 1.5, 'q"\u2028', true, undefined, Number.NaN, "\ud800"];
    const make = (depth: number): unknown => {
      const t = random();
      if (depth > 3 || t < 0.3) return leaves[Math.floor(random() * leaves.length)];
      if (t < 0.6) return Array.from({ length: Math.floor(random() * 4) }, () => make(depth + 1));
      const o: Record<string, unknown> = {};
      // Mostly a handful of keys; now and then more than the 16 sorted in place.
      const size = Math.floor(random() * (random() < 0.2 ? 40 : 6));
      for (let i = 0; i < size; i++) o[keys[Math.floor(random() * keys.length)] as string] = make(depth + 1);
      return o;
    };
    let wide = 0;
    for (let i = 0; i < 5000; i++) {
      const value = make(0);
      if (value !== null && typeof value === "object" && Object.keys(value).length > 16) wide++;
      expect(canonicalJson(value)).toBe(reference(value));
    }
    expect(wide).toBeGreaterThan(100);
    expect(canonicalJson({ b: 1, a: [undefined, { d: undefined, c: 2 }] })).toBe(
      '{"a":[null,{"c":2}],"b":1}',
    );
  });

  it("digest the text's UTF-8 bytes as createHash does", () => {
    for (const text of ["", "abc", "é \u{1F600}", "x".repeat(100_000)]) {
      expect(sha256Hex(text)).toBe(createHash("sha256").update(text).digest("hex"));
    }
  });
});
